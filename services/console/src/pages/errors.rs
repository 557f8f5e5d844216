//! A failure as the person sees it: a page in their language saying what happened and what
//! to do, with the service's own words when it refused (which field, and why). Not signed in
//! is a redirect to the sign-in page (for htmx, `HX-Redirect`).

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use tongban_pages::error::{Failed, PageError};
use tongban_pages::headers::secure;

use crate::AppState;
use crate::i18n::{self, Lang, T};
use crate::pages::frame::Chrome;
use crate::pages::frame::urlencode;
use crate::session::Ctx;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    t: T,
    title: String,
    message: String,
}

/// Only the console's own files run and load; nothing may frame it.
const POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                      frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; \
                      form-action 'self'";

/// Around every request, outside the session guard: a failure (a handler's, or the guard's
/// own refusal) becomes a page in the person's language, and every answer gets the security
/// headers.
pub async fn finish(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(Failed(error)) = response.extensions_mut().remove::<Failed>() {
        let ctx = response.extensions_mut().remove::<Ctx>().unwrap_or(Ctx {
            t: i18n::t(Lang::Zh),
            session: None,
            pre: None,
            path: String::new(),
            htmx: false,
            elders: false,
        });
        response = render(&error, &ctx, &state);
    }
    secure(&mut response, POLICY);
    response
}

/// Any path under `/console/` that is no page.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

/// `error` as the answer `ctx`'s person sees.
fn render(error: &PageError, ctx: &Ctx, state: &AppState) -> Response {
    let t = ctx.t;
    let redirect = match error {
        PageError::SignIn { next } => {
            let next = if next.is_empty() { &ctx.path } else { next };
            Some(format!("/console/sign-in?next={}", urlencode(next)))
        }
        PageError::ChangePassword => Some("/console/password".to_owned()),
        _ => None,
    };
    if let Some(to) = redirect {
        let mut response = StatusCode::SEE_OTHER.into_response();
        let name = if ctx.htmx { "hx-redirect" } else { "location" };
        if let Ok(value) = HeaderValue::from_str(&to) {
            response.headers_mut().insert(name, value);
        }
        if ctx.htmx {
            *response.status_mut() = StatusCode::OK;
        }
        return response;
    }
    // `sign_in.not_staff`: the site's words for an account of the wrong kind.
    let (title, message) = error.words(t, "sign_in.not_staff");
    let page = ErrorPage {
        chrome: Chrome::new(ctx, state, ""),
        t,
        title: title.clone(),
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("<!doctype html><title>{title}</title><p>{title}</p>"));
    let mut response = (error.status(), Html(body)).into_response();
    if ctx.htmx {
        // htmx swaps nothing on an error status; show the error where the answer would go.
        response
            .headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#main"));
        response
            .headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("hx-request"));
    }
    response
}
