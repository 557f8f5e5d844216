//! The person's account (`/my/account`): where messages go and in which language (kept by
//! identity, used by notification), and proving the mobile number with a texted code — a
//! proved number is what signing in by code needs.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::answer::{Acted, Done, html_refused, settled};
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;
use crate::pages::sms::code_refused;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/account", get(page).post(save))
        .route("/my/account/phone/code", post(send_code))
        .route("/my/account/phone/verify", post(verify))
}

/// The languages messages can be written in.
const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// The person's contact details, as identity keeps them.
#[derive(Deserialize, Default)]
pub struct Contact {
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub email: Option<String>,
    pub locale: String,
}

#[derive(Deserialize, Default)]
struct Fields {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    challenge_id: Option<Uuid>,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    t: T,
    contact: Contact,
    locales: [&'static str; 2],
    /// A code is on its way for this challenge: the field for it is shown.
    challenge: Option<Uuid>,
    done: Option<String>,
    status: Option<String>,
    error: Option<String>,
}

/// The page, with what just happened.
async fn show(
    state: &AppState,
    ctx: &Ctx,
    done: Option<String>,
    outcome: (Option<Uuid>, Option<String>, Option<String>),
) -> PageResult<Response> {
    let session = signed_in(ctx)?;
    let contact: Contact = state
        .api
        .get(
            session.token(),
            Service::Identity,
            "/v1/accounts/me/contact",
        )
        .await?;
    let (challenge, status, error) = outcome;
    let refused = error.is_some();
    let page = AccountPage {
        chrome: Chrome::new(ctx, "/my/account"),
        t: ctx.t,
        contact,
        locales: LOCALES,
        challenge,
        done,
        status,
        error,
    };
    html_refused(&page, refused)
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    show(&state, &ctx, done.words(ctx.t), (None, None, None)).await
}

/// Saves where messages go and their language; identity checks the number and the address.
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Fields>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let mut body = json!({ "email": form.email.trim() });
    if !form.phone.trim().is_empty() {
        body["phone"] = json!(form.phone.trim());
    }
    if LOCALES.contains(&form.locale.as_str()) {
        body["locale"] = json!(form.locale);
    }
    let outcome = state
        .api
        .act(
            session.token(),
            Method::PUT,
            Service::Identity,
            "/v1/accounts/me/contact",
            Some(&body),
        )
        .await;
    match settled(outcome, "/my/account?done=contact_saved")? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(&state, &ctx, None, (None, None, Some(message))).await,
    }
}

#[derive(Deserialize)]
struct Challenge {
    challenge_id: Uuid,
    phone: String,
}

/// Texts a code to the account's own number.
async fn send_code(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let answer: Result<Challenge, Failure> = state
        .api
        .send(
            session.token(),
            Method::POST,
            Service::Identity,
            "/v1/accounts/me/phone/challenges",
            &json!({}),
        )
        .await;
    let outcome = match answer {
        Ok(sent) => (
            Some(sent.challenge_id),
            Some(ctx.t.f1("account.code_sent", sent.phone)),
            None,
        ),
        Err(Failure::Refused(refusal)) => (
            None,
            None,
            Some(code_refused(ctx.t, refusal.status.as_u16()).to_owned()),
        ),
        Err(failure) => return Err(failure.into()),
    };
    show(&state, &ctx, None, outcome).await
}

/// Proves the number with the code texted to it.
async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Fields>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let Some(challenge) = form.challenge_id else {
        return show(&state, &ctx, None, (None, None, None)).await;
    };
    let answer: Result<Value, Failure> = state
        .api
        .send(
            session.token(),
            Method::POST,
            Service::Identity,
            "/v1/accounts/me/phone/verify",
            &json!({ "challenge_id": challenge, "code": form.code.trim() }),
        )
        .await;
    match answer {
        Ok(_) => Ok(Redirect::to("/my/account?done=phone_verified").into_response()),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 422 => {
            // A wrong code keeps the challenge (tries are left); an expired one does not.
            let again = (refusal.field.as_deref() == Some("code")).then_some(challenge);
            let words = ctx.t.s("account.code_wrong").to_owned();
            show(&state, &ctx, None, (again, None, Some(words))).await
        }
        Err(failure) => Err(failure.into()),
    }
}
