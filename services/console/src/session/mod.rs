//! Who is signed in, and the checks every request passes before a page sees it.
//!
//! [`guard`] runs around every page: it finds the session the cookie names (refreshing its
//! access token when due), refuses a state-changing request that does not carry the session's
//! CSRF token, and puts a [`Ctx`] in the request for the handlers (and in a failed answer, for
//! the error page drawn outside it).
//!
//! The cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
//! `Path=/console`, `Secure` where configured; its value names a row whose tokens are sealed.

pub mod store;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::PageError;
use crate::i18n::{Lang, T};
pub use store::Session;

/// The session cookie.
pub const SESSION_COOKIE: &str = "tongban_console";
/// Before signing in: the value the sign-in form must repeat (double-submit CSRF).
pub const PRE_COOKIE: &str = "tongban_console_pre";
/// The language chosen with the switch in the header.
pub const LANG_COOKIE: &str = "tongban_lang";
/// Where the console's pages live, on its own port and through the gateway alike.
pub const BASE: &str = "/console";

/// The largest form body the CSRF check reads (uploads are multipart and carry the token in
/// the query).
const FORM_LIMIT: usize = 256 * 1024;

/// What every handler is given: the person's words and, when signed in, their session.
#[derive(Clone)]
pub struct Ctx {
    pub t: T,
    pub session: Option<Session>,
    /// The pre-session CSRF value (the sign-in form repeats it).
    pub pre: Option<String>,
    /// The path asked for (where to come back after signing in).
    pub path: String,
    /// An htmx request: errors and redirects answer in htmx's terms.
    pub htmx: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| PageError::Internal("the session guard did not run".into()))
    }
}

/// A signed-in member of staff whose password needs no change: what every working page
/// requires (the sign-in page otherwise; the password page first after a reset).
pub struct Staff {
    pub session: Session,
    pub t: T,
    /// The path asked for (the language switch comes back to it).
    pub path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let Some(session) = ctx.session else {
            return Err(PageError::SignIn { next: ctx.path });
        };
        if session.password_change_required {
            return Err(PageError::ChangePassword);
        }
        Ok(Self {
            session,
            t: ctx.t,
            path: ctx.path,
        })
    }
}

/// The cookies of a request, by name.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the console's cookies.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={BASE}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Runs around every console request (see the module's documentation).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let t = T::new(Lang::pick(
        cookie(headers, LANG_COOKIE),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    ));
    let htmx = headers.contains_key("hx-request");
    let pre = cookie(headers, PRE_COOKIE).map(str::to_owned);
    let session = match cookie(headers, SESSION_COOKIE) {
        Some(value) => match state.session(value).await {
            Ok(session) => session,
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "cannot read a session");
                return finish(
                    PageError::Unavailable(String::new()).into_response(),
                    &Ctx {
                        t,
                        session: None,
                        pre,
                        path: String::new(),
                        htmx,
                    },
                    &state,
                );
            }
        },
        None => None,
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| BASE.to_owned(), |p| p.as_str().to_owned());
    let ctx = Ctx {
        t,
        session,
        pre,
        path,
        htmx,
    };
    let (mut parts, body) = request.into_parts();
    let body = if is_safe(&parts.method) {
        body
    } else {
        match checked(&ctx, &parts, body).await {
            Ok(body) => body,
            Err(refused) => return finish(refused.into_response(), &ctx, &state),
        }
    };
    parts.extensions.insert(ctx.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    finish(response, &ctx, &state)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The body of a state-changing request whose CSRF token matches, or the refusal. The token
/// comes in the `X-CSRF-Token` header (htmx, the page's script), the `csrf` field of a form,
/// or the `csrf` query parameter (a multipart upload, whose body is not read here).
async fn checked(ctx: &Ctx, parts: &Parts, body: Body) -> Result<Body, PageError> {
    let expected = match (&ctx.session, &ctx.pre) {
        (Some(session), _) => session.csrf.as_str(),
        (None, Some(pre)) => pre.as_str(),
        (None, None) => return Err(PageError::Csrf),
    };
    let from_query = parts.uri.query().and_then(|q| field(q.as_bytes(), "csrf"));
    let from_header = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (presented, body) = match (from_header.or(from_query), is_form) {
        (Some(token), _) => (Some(token), body),
        (None, true) => {
            let bytes = axum::body::to_bytes(body, FORM_LIMIT)
                .await
                .map_err(|_| PageError::TooLarge)?;
            (field(&bytes, "csrf"), Body::from(bytes))
        }
        (None, false) => (None, body),
    };
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(body),
        _ => Err(PageError::Csrf),
    }
}

fn field(form: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(form)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A failed answer takes the request's [`Ctx`] along, for the page that shows the failure
/// (`pages::errors::finish`, outside this guard) to be in the person's language and frame.
fn finish(mut response: Response, ctx: &Ctx, _: &AppState) -> Response {
    if response
        .extensions()
        .get::<crate::error::Failed>()
        .is_some()
    {
        response.extensions_mut().insert(ctx.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tongban_console=xyz; tongban_lang=en"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&headers, PRE_COOKIE), None);
    }

    #[test]
    fn the_session_cookie_stays_on_the_console_and_off_scripts() {
        let value = set_cookie(SESSION_COOKIE, "v", 60, true);
        let value = value.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/console", "Secure"] {
            assert!(value.contains(part), "{value}");
        }
        assert!(
            !set_cookie(SESSION_COOKIE, "v", 60, false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn form_fields_are_read_decoded() {
        assert_eq!(field(b"a=1&csrf=x%2By&b=2", "csrf").as_deref(), Some("x+y"));
        assert_eq!(field(b"a=1", "csrf"), None);
    }
}
