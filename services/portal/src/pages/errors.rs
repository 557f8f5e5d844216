//! A failure as the person sees it: a page in their language saying what happened and what
//! to do, with the service's own words when it refused. Not signed in is a redirect to the
//! sign-in page.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use tongban_pages::answer::urlencode;
use tongban_pages::error::{Failed, PageError};
use tongban_pages::guard::Ctx;
use tongban_pages::headers::secure;
use tongban_pages::i18n::{Lang, T};

use crate::AppState;
use crate::pages::frame::Chrome;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    t: T,
    title: String,
    message: String,
}

/// Only the hall's own files run and load; nothing may frame it.
const POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Around every request, outside the session guard: a failure becomes a page in the person's
/// language, and every answer gets the security headers.
pub async fn finish(State(_): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(Failed(error)) = response.extensions_mut().remove::<Failed>() {
        let ctx = response.extensions_mut().remove::<Ctx>().unwrap_or(Ctx {
            t: crate::i18n::t(Lang::Zh),
            session: None,
            pre: None,
            path: String::new(),
            htmx: false,
            elders: false,
        });
        response = render(&error, &ctx);
    }
    secure(&mut response, POLICY);
    response
}

/// Any path that is no page.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

/// `error` as the answer `ctx`'s person sees.
fn render(error: &PageError, ctx: &Ctx) -> Response {
    let t = ctx.t;
    if let PageError::SignIn { next } = error {
        let next = if next.is_empty() { &ctx.path } else { next };
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(to) = HeaderValue::from_str(&format!("/sign-in?next={}", urlencode(next))) {
            response.headers_mut().insert("location", to);
        }
        return response;
    }
    // `sign_in.staff`: the site's words for an account of the wrong kind.
    let (title, message) = error.words(t, "sign_in.staff");
    let page = ErrorPage {
        chrome: Chrome::new(ctx, ""),
        t,
        title: title.clone(),
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("<!doctype html><title>{title}</title><p>{title}</p>"));
    (error.status(), Html(body)).into_response()
}
