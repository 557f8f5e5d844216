//! Looking a case up without signing in (`/lookup`): the case number and the query password
//! from the receipt (受理回执) show where the case stands. Acceptance answers a wrong password
//! like an unknown number, and refuses a number after five wrong passwords for 15 minutes;
//! the page says so in plain words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use tongban_pages::answer::html_refused;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new().route("/lookup", get(form).post(lookup))
}

/// Where a case stands, as acceptance tells the holder of its number and password.
#[derive(Deserialize)]
pub struct Progress {
    pub number: String,
    pub item_name: String,
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// approved or refused, once concluded.
    pub conclusion: Option<String>,
    pub due_date: Option<NaiveDate>,
}

#[derive(Deserialize, Default)]
struct Asked {
    #[serde(default)]
    number: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct Lookup {
    chrome: Chrome,
    t: T,
    number: String,
    found: Option<Progress>,
    /// Why nothing is shown: the message key.
    error: Option<&'static str>,
}

async fn form(ctx: Ctx) -> PageResult<Response> {
    html_refused(
        &Lookup {
            chrome: Chrome::new(&ctx, "/lookup"),
            t: ctx.t,
            number: String::new(),
            found: None,
            error: None,
        },
        false,
    )
}

async fn lookup(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(asked): Form<Asked>,
) -> PageResult<Response> {
    let number: String = asked
        .number
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let password = asked.password.trim();
    let (found, error) = if number.len() != 43 || password.is_empty() {
        (None, Some("lookup.incomplete"))
    } else {
        let body = serde_json::json!({ "number": number, "password": password });
        match state
            .api
            .public_send::<_, Progress>(
                reqwest::Method::POST,
                Service::Acceptance,
                "/v1/cases/lookup",
                &body,
            )
            .await
        {
            Ok(found) => (Some(found), None),
            Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 429 => {
                (None, Some("lookup.too_many"))
            }
            Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 404 => {
                (None, Some("lookup.not_found"))
            }
            Err(Failure::Refused(_)) => (None, Some("lookup.incomplete")),
            Err(failure) => return Err(failure.into()),
        }
    };
    let page = Lookup {
        chrome: Chrome::new(&ctx, "/lookup"),
        t: ctx.t,
        number,
        found,
        error,
    };
    html_refused(&page, page.error.is_some())
}
