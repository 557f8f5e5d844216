//! Signing in and out, changing one's password (forced after an administrator's reset), the
//! language switch, and staying signed in when the idle warning asks.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use reqwest::Method;
use serde::Deserialize;

use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::session::SignInRefused;

use crate::AppState;
use crate::i18n::{Lang, T};
use crate::pages::frame::{Chrome, html, html_refused};
use crate::session::store::random_token;
use crate::session::{BASE, Ctx, LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE, set_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route(
            "/console/password",
            get(password_page).post(change_password),
        )
        .route("/console/lang/{lang}", get(switch_language))
        .route("/console/session/extend", post(extend))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    chrome: Chrome,
    t: T,
    username: String,
    next: String,
    /// Why the last attempt failed.
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Next {
    #[serde(default)]
    next: String,
}

/// Only the console's own pages are come back to (no open redirect).
fn safe_next(next: &str) -> &str {
    if next.starts_with("/console/") && !next.starts_with("/console//") {
        next
    } else {
        "/console/"
    }
}

async fn sign_in_page(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Query(next): Query<Next>,
) -> PageResult<Response> {
    if ctx.session.is_some() {
        return Ok(Redirect::to(safe_next(&next.next)).into_response());
    }
    // A fresh pre-session value for the form to repeat (double-submit: a page elsewhere
    // cannot read it, so cannot post a sign-in as someone else's browser).
    let pre = ctx.pre.clone().unwrap_or_else(random_token);
    ctx.pre = Some(pre.clone());
    let page = SignIn {
        chrome: Chrome::new(&ctx, &state, ""),
        t: ctx.t,
        username: String::new(),
        next: safe_next(&next.next).to_owned(),
        error: None,
    };
    let mut response = html(&page)?;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.site, PRE_COOKIE, &pre, 3600),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Credentials>,
) -> PageResult<Response> {
    let t = ctx.t;
    let refused = |error: String| -> PageResult<Response> {
        let page = SignIn {
            chrome: Chrome::new(&ctx, &state, ""),
            t,
            username: form.username.clone(),
            next: safe_next(&form.next).to_owned(),
            error: Some(error),
        };
        html_refused(&page, true)
    };
    let (cookie, session) = match state.sessions.sign_in(&form.username, &form.password).await {
        Ok(started) => started,
        Err(SignInRefused::Missing) => return refused(t.s("sign_in.missing").to_owned()),
        Err(SignInRefused::Locked) => return refused(t.s("sign_in.locked").to_owned()),
        Err(SignInRefused::Wrong) => return refused(t.s("sign_in.wrong").to_owned()),
        Err(SignInRefused::WrongAccount) => return refused(t.s("sign_in.not_staff").to_owned()),
        Err(SignInRefused::Failed(error)) => return Err(error),
    };
    let to = if session.password_change_required {
        "/console/password"
    } else {
        safe_next(&form.next)
    };
    let mut response = Redirect::to(to).into_response();
    let max_age = state.config.session_hours * 3600;
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state.site, SESSION_COOKIE, &cookie, max_age),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state.site, PRE_COOKIE, "", 0),
    );
    Ok(response)
}

async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    tongban_pages::guard::signed_out(&state, &ctx, "/console/sign-in?signed_out=1").await
}

#[derive(Template)]
#[template(path = "password.html")]
struct Password {
    chrome: Chrome,
    t: T,
    /// An administrator set the password: nothing else opens until it is changed.
    forced: bool,
    error: Option<String>,
    /// The field the error is about (`current_password`, `new_password`, `repeat`).
    error_field: String,
    changed: bool,
}

/// The password page for `ctx`'s session: `changed` after a change, or with `error` about
/// `field` (then answered 422).
fn password(
    ctx: &Ctx,
    state: &AppState,
    changed: bool,
    error: Option<(&str, String)>,
) -> PageResult<Response> {
    let refused = error.is_some();
    let (field, error) = error.map_or((String::new(), None), |(f, e)| (f.to_owned(), Some(e)));
    html_refused(
        &Password {
            chrome: Chrome::new(ctx, state, "/console/password"),
            t: ctx.t,
            forced: ctx
                .session
                .as_ref()
                .is_some_and(|s| s.password_change_required),
            error,
            error_field: field,
            changed,
        },
        refused,
    )
}

async fn password_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(changed): Query<Changed>,
) -> PageResult<Response> {
    if ctx.session.is_none() {
        return Err(PageError::SignIn { next: ctx.path });
    }
    password(&ctx, &state, changed.changed.is_some(), None)
}

#[derive(Deserialize)]
struct Changed {
    changed: Option<String>,
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PasswordChange>,
) -> PageResult<Response> {
    let Some(session) = ctx.session.clone() else {
        return Err(PageError::SignIn { next: ctx.path });
    };
    let t = ctx.t;
    let refused = |field: &str, error: String| password(&ctx, &state, false, Some((field, error)));
    if form.new_password != form.repeat {
        return refused("repeat", t.s("password.mismatch").to_owned());
    }
    let body = serde_json::json!({
        "current_password": form.current_password,
        "new_password": form.new_password,
    });
    match state
        .api
        .act(
            session.token(),
            Method::PUT,
            Service::Identity,
            "/v1/accounts/me/password",
            Some(&body),
        )
        .await
    {
        Ok(()) => {}
        Err(Failure::Refused(refusal)) if refusal.status.is_client_error() => {
            let field = refusal
                .field
                .clone()
                .unwrap_or_else(|| "new_password".into());
            let message =
                if field == "current_password" || refusal.status == StatusCode::UNAUTHORIZED {
                    t.s("password.current_wrong").to_owned()
                } else {
                    refusal.message
                };
            return refused(&field, message);
        }
        Err(failure) => return Err(failure.into()),
    }
    // Identity ended every other sign-in; this one's next token drops the temporary
    // password's restriction. Refresh now, so the next page opens.
    if state
        .sessions
        .refresh(&session.id_hash, true)
        .await?
        .is_none()
    {
        return Err(PageError::SignIn { next: ctx.path });
    }
    Ok(Redirect::to("/console/password?changed=1").into_response())
}

#[derive(Deserialize)]
struct Back {
    #[serde(default)]
    back: String,
}

/// Sets the language and goes back to the page it was chosen on.
async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut response = Redirect::to(safe_next(&back.back)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.site, LANG_COOKIE, lang.code(), 365 * 86_400),
    );
    response
}

/// The idle warning's "stay signed in": the guard has already recorded the activity.
async fn extend(ctx: Ctx) -> Response {
    match ctx.session {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => (StatusCode::UNAUTHORIZED, [(header::LOCATION, BASE)]).into_response(),
    }
}
