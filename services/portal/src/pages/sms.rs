//! Signing in with a texted code (短信验证码登录, `/sign-in/sms`): a citizen whose mobile number
//! is proved asks for a code, then signs in with it. Identity answers the same whether or not
//! the number is anyone's (nothing is sent then), so the page cannot be used to probe numbers;
//! its limits (one code a minute, a few an hour) are said in words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use tongban_pages::answer::html_refused;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;
use tongban_pages::session::SignInRefused;

use crate::AppState;
use crate::pages::account::{after_sign_in, signed_in};
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in/sms", get(page).post(sign_in))
        .route("/sign-in/sms/code", post(send))
}

#[derive(Deserialize, Default)]
struct Fields {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "sign_in_sms.html")]
struct SmsSignIn {
    chrome: Chrome,
    t: T,
    form: Fields,
    /// A code was asked for: the field for it is shown.
    sent: bool,
    /// What happened, in words (sent), or why not.
    status: Option<String>,
    error: Option<String>,
}

impl SmsSignIn {
    fn new(ctx: &Ctx, form: Fields) -> Self {
        Self {
            chrome: Chrome::new(ctx, ""),
            t: ctx.t,
            form,
            sent: false,
            status: None,
            error: None,
        }
    }
}

async fn page(ctx: Ctx, Query(form): Query<Fields>) -> PageResult<Response> {
    if ctx.session.is_some() {
        return Ok(Redirect::to(after_sign_in(&form.next)).into_response());
    }
    html_refused(&SmsSignIn::new(&ctx, form), false)
}

#[derive(Deserialize)]
struct Sent {
    expires_in: i64,
}

/// Asks identity to text a code to the number; the page then asks for it.
async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Fields>,
) -> PageResult<Response> {
    let phone = form.phone.trim().to_owned();
    let mut page = SmsSignIn::new(&ctx, form);
    let answer: Result<Sent, Failure> = state
        .api
        .public_send(
            reqwest::Method::POST,
            Service::Identity,
            "/v1/oauth/sms-codes",
            &json!({ "phone": phone }),
        )
        .await;
    match answer {
        Ok(sent) => {
            page.sent = true;
            page.status = Some(ctx.t.f1("sms.sent", sent.expires_in / 60));
            html_refused(&page, false)
        }
        Err(Failure::Refused(refusal)) => {
            page.sent = refusal.status.as_u16() == 429;
            page.error = Some(code_refused(ctx.t, refusal.status.as_u16()).to_owned());
            html_refused(&page, true)
        }
        Err(failure) => Err(failure.into()),
    }
}

/// Why identity did not text a code, in words: a number it cannot read, or too soon again.
pub fn code_refused(t: T, status: u16) -> &'static str {
    match status {
        429 => t.s("sms.too_soon"),
        _ => t.s("sms.phone_invalid"),
    }
}

async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Fields>,
) -> PageResult<Response> {
    let error = match state
        .sessions
        .sign_in_by_code(&form.phone, &form.code)
        .await
    {
        Ok((cookie, _)) => return Ok(signed_in(&state, &cookie, after_sign_in(&form.next))),
        Err(SignInRefused::Missing) => "sms.missing",
        Err(SignInRefused::Locked) => "sms.too_many",
        Err(SignInRefused::Wrong) => "sms.wrong",
        Err(SignInRefused::WrongAccount) => "sign_in.staff",
        Err(SignInRefused::Failed(error)) => return Err(error),
    };
    let mut page = SmsSignIn::new(&ctx, form);
    page.sent = true;
    page.error = Some(ctx.t.s(error).to_owned());
    html_refused(&page, true)
}
