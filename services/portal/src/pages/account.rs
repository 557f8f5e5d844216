//! Signing in (ID number and password), registering as a citizen, and signing out. A new
//! account is signed in at once. Identity decides everything (the ID number's check character,
//! the password rules, an account already registered) and the page shows its words beside the
//! field it names.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use tongban_pages::answer::{html_refused, urlencode};
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::{Ctx, set_cookie};
use tongban_pages::i18n::T;
use tongban_pages::session::SignInRefused;

use crate::AppState;
use crate::pages::frame::Chrome;
use crate::pages::prefs::safe_back;
use crate::session::{PRE_COOKIE, SESSION_COOKIE};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/register", get(register_page).post(register))
        .route("/sign-out", post(sign_out))
}

/// The identity documents a citizen registers with (GB 11643 first).
pub const ID_TYPES: [&str; 5] = [
    "resident_id_card",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
    "foreign_permanent_resident",
];

#[derive(Deserialize, Default)]
struct Next {
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: the page asked for, or the person's applications.
pub fn after_sign_in(next: &str) -> &str {
    match safe_back(next) {
        "/" => "/my",
        next => next,
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    chrome: Chrome,
    t: T,
    username: String,
    next: String,
    error: Option<&'static str>,
}

impl SignIn {
    /// `next` for a query string (the sign-in by code comes back to the same page).
    fn next_query(&self) -> String {
        urlencode(&self.next)
    }
}

async fn sign_in_page(ctx: Ctx, Query(next): Query<Next>) -> PageResult<Response> {
    if ctx.session.is_some() {
        return Ok(Redirect::to(after_sign_in(&next.next)).into_response());
    }
    html_refused(
        &SignIn {
            chrome: Chrome::new(&ctx, ""),
            t: ctx.t,
            username: String::new(),
            next: next.next,
            error: None,
        },
        false,
    )
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// A session started: to `to`, with its cookie (the pre-session value is no longer needed).
pub fn signed_in(state: &AppState, cookie: &str, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            &state.site,
            SESSION_COOKIE,
            cookie,
            state.config.session_hours * 3600,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state.site, PRE_COOKIE, "", 0),
    );
    response
}

async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Credentials>,
) -> PageResult<Response> {
    let error = match state.sessions.sign_in(&form.username, &form.password).await {
        Ok((cookie, _)) => return Ok(signed_in(&state, &cookie, after_sign_in(&form.next))),
        Err(SignInRefused::Missing) => "sign_in.missing",
        Err(SignInRefused::Locked) => "sign_in.locked",
        Err(SignInRefused::Wrong) => "sign_in.wrong",
        Err(SignInRefused::WrongAccount) => "sign_in.staff",
        Err(SignInRefused::Failed(error)) => return Err(error),
    };
    let page = SignIn {
        chrome: Chrome::new(&ctx, ""),
        t: ctx.t,
        username: form.username,
        next: form.next,
        error: Some(error),
    };
    html_refused(&page, true)
}

#[derive(Deserialize, Default)]
struct Registration {
    /// citizen (the default) or enterprise: an enterprise registers with its unified social
    /// credit code in `id_number` and its registered name in `name`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id_type: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct Register {
    chrome: Chrome,
    t: T,
    id_types: [&'static str; 5],
    form: Registration,
    /// What is wrong, and the field it is about.
    error: Option<(String, String)>,
}

impl Register {
    fn enterprise(&self) -> bool {
        self.form.kind == "enterprise"
    }

    /// Whether the error is about `field` (the field is marked invalid and described by it).
    fn wrong(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

#[derive(Deserialize)]
struct Kind {
    kind: Option<String>,
}

async fn register_page(ctx: Ctx, Query(kind): Query<Kind>) -> PageResult<Response> {
    let kind = match kind.kind.as_deref() {
        Some("enterprise") => "enterprise",
        _ => "citizen",
    };
    html_refused(
        &Register {
            chrome: Chrome::new(&ctx, ""),
            t: ctx.t,
            id_types: ID_TYPES,
            form: Registration {
                kind: kind.to_owned(),
                id_type: ID_TYPES[0].to_owned(),
                ..Registration::default()
            },
            error: None,
        },
        false,
    )
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Registration>,
) -> PageResult<Response> {
    let mut page = Register {
        chrome: Chrome::new(&ctx, ""),
        t: ctx.t,
        id_types: ID_TYPES,
        form,
        error: None,
    };
    if page.form.password != page.form.repeat {
        page.error = Some(("repeat".to_owned(), ctx.t.s("register.mismatch").to_owned()));
        return html_refused(&page, true);
    }
    let (path, body) = if page.enterprise() {
        let body = serde_json::json!({
            "credit_code": page.form.id_number.trim(),
            "name": page.form.name.trim(),
            "phone": page.form.phone.trim(),
            "password": page.form.password,
        });
        ("/v1/accounts/enterprises", body)
    } else {
        let body = serde_json::json!({
            "id_type": page.form.id_type,
            "id_number": page.form.id_number.trim(),
            "name": page.form.name.trim(),
            "phone": page.form.phone.trim(),
            "password": page.form.password,
        });
        ("/v1/accounts/citizens", body)
    };
    let registered = state
        .api
        .public_act(reqwest::Method::POST, Service::Identity, path, &body)
        .await;
    match registered {
        Ok(()) => {}
        Err(Failure::Refused(refusal)) => {
            // The credit code is the enterprise's "document number" on this page.
            let field = match refusal.field.clone().unwrap_or_default().as_str() {
                "credit_code" => "id_number".to_owned(),
                field => field.to_owned(),
            };
            let message = if refusal.status.as_u16() == 409 {
                ctx.t.s("register.taken").to_owned()
            } else {
                refusal.message
            };
            page.error = Some((field, message));
            return html_refused(&page, true);
        }
        Err(failure) => return Err(failure.into()),
    }
    match state
        .sessions
        .sign_in(&page.form.id_number, &page.form.password)
        .await
    {
        Ok((cookie, _)) => Ok(signed_in(&state, &cookie, "/my")),
        Err(SignInRefused::Failed(error)) => Err(error),
        Err(refused) => Err(PageError::Internal(format!(
            "a new account could not sign in: {refused:?}"
        ))),
    }
}

async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    tongban_pages::guard::signed_out(&state, &ctx, "/").await
}
