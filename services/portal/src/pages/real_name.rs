//! Real-name verification online (实名认证, `/my/real-name`): an item may need its applicant
//! at basic real-name (level 2). The citizen gives their full name as on their ID card;
//! identity asks the national identity record, and on a match the session takes a fresh token
//! carrying the new level at once, so the application can be submitted straight after.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use tongban_pages::answer::html_refused;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;
use crate::pages::prefs::safe_back;

pub fn router() -> Router<AppState> {
    Router::new().route("/my/real-name", get(form).post(verify))
}

#[derive(Deserialize, Default)]
struct Fields {
    #[serde(default)]
    name: String,
    /// The page to come back to (one of the hall's own).
    #[serde(default)]
    back: String,
}

#[derive(Template)]
#[template(path = "real_name.html")]
struct RealName {
    chrome: Chrome,
    t: T,
    form: Fields,
    error: Option<String>,
}

async fn form(ctx: Ctx, Query(mut fields): Query<Fields>) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    fields.name = session.name.clone();
    fields.back = safe_back(&fields.back).to_owned();
    let page = RealName {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        form: fields,
        error: None,
    };
    html_refused(&page, false)
}

/// Identity's refusal as the citizen reads it: a mismatch, too many checks today, or no
/// national check on this platform (then the window is the way).
fn refused_words(t: T, failure: &Failure) -> Option<String> {
    let key = match failure.status().as_u16() {
        422 => "real_name.mismatch",
        429 => "real_name.too_many",
        503 => "real_name.unavailable",
        403 => "real_name.citizens_only",
        _ => return None,
    };
    Some(t.s(key).to_owned())
}

async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(mut fields): Form<Fields>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    fields.back = safe_back(&fields.back).to_owned();
    let name = fields.name.trim().to_owned();
    let outcome = if name.is_empty() {
        None
    } else {
        Some(
            state
                .api
                .act(
                    session.token(),
                    Method::POST,
                    Service::Identity,
                    "/v1/accounts/me/real-name",
                    Some(&json!({ "name": name })),
                )
                .await,
        )
    };
    let error = match outcome {
        Some(Ok(())) => {
            // The next token carries the new level: take it now.
            state
                .sessions
                .refresh(&session.id_hash, true)
                .await
                .map_err(|e| PageError::Unavailable(format!("refreshing the session: {e}")))?;
            let join = if fields.back.contains('?') { '&' } else { '?' };
            let back = format!("{}{join}done=real_name", fields.back);
            return Ok(Redirect::to(&back).into_response());
        }
        None => ctx.t.s("real_name.name_needed").to_owned(),
        Some(Err(failure)) => match refused_words(ctx.t, &failure) {
            Some(words) => words,
            None => return Err(failure.into()),
        },
    };
    let page = RealName {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        form: fields,
        error: Some(error),
    };
    html_refused(&page, true)
}
