//! The checks every request to a site passes before a page sees it.
//!
//! [`guard`] runs around every page: it finds the session the cookie names (refreshing its
//! access token when due), refuses a state-changing request that does not carry the session's
//! CSRF token, and puts a [`Ctx`] in the request for the handlers (and in a failed answer, for
//! the error page drawn outside it).
//!
//! The cookies: HttpOnly (no script reads them), SameSite=Strict (no other site's page sends
//! them), `Path=` the site's base, `Secure` where configured; the session cookie's value
//! names a row whose tokens are sealed.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{Failed, PageError, PageResult};
use crate::i18n::{Lang, T, Words};
use crate::session::{Session, Sessions};

/// The largest form body the CSRF check reads (uploads are multipart and carry the token in
/// the query).
const FORM_LIMIT: usize = 256 * 1024;

/// Where a site lives and what its cookies are called.
#[derive(Debug, Clone)]
pub struct Site {
    /// Where the site's pages live (`/console`; `/` for the online hall): its cookies' path.
    pub base: &'static str,
    /// The session cookie.
    pub session_cookie: &'static str,
    /// Before signing in: the value the sign-in form must repeat (double-submit CSRF).
    pub pre_cookie: &'static str,
    /// The language chosen with the switch in the header.
    pub lang_cookie: &'static str,
    /// The cookie that asks for the elders' pages (适老化: larger type, fewer things at once),
    /// where the site offers them.
    pub elders_cookie: Option<&'static str>,
    /// Mark the cookies `Secure`: on wherever the site is reached over HTTPS; off on one
    /// machine reached as `http://127.0.0.1`.
    pub secure_cookies: bool,
}

/// What the guard needs of a site's state.
pub trait PageSite: Clone + Send + Sync + 'static {
    fn site(&self) -> &Site;
    fn sessions(&self) -> &Sessions;
    /// The site's catalogues, for the person's [`T`].
    fn words(&self) -> &'static Words;
}

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
    /// The person asked for the elders' pages (the site's elders cookie is `1`).
    pub elders: bool,
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

/// A signed-in person whose password needs no change: what every working page requires (the
/// sign-in page otherwise; the password page first after a reset). Who may sign in at all is
/// the site's [`Sessions::accepts`], so on the console this is a member of staff.
pub struct SignedIn {
    pub session: Session,
    pub t: T,
    /// The path asked for (the language switch comes back to it).
    pub path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
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

/// The cookie `name` of a request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for one of `site`'s cookies (an empty value and age 0 remove it).
pub fn set_cookie(site: &Site, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if site.secure_cookies { "; Secure" } else { "" };
    let base = site.base;
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={base}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signs the person of `ctx` out (here and at identity) and leads `to` a page, the session
/// cookie removed.
pub async fn signed_out<S: PageSite>(state: &S, ctx: &Ctx, to: &str) -> PageResult<Response> {
    if let Some(session) = &ctx.session {
        state.sessions().sign_out(session).await?;
    }
    let mut response = axum::response::Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state.site(), state.site().session_cookie, "", 0),
    );
    Ok(response)
}

/// Runs around every request to a site (see the module's documentation).
pub async fn guard<S: PageSite>(State(state): State<S>, request: Request, next: Next) -> Response {
    let site = state.site();
    let headers = request.headers();
    let t = T::new(
        Lang::pick(
            cookie(headers, site.lang_cookie),
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
        state.words(),
    );
    let htmx = headers.contains_key("hx-request");
    let elders = wants_elders(site, headers);
    let pre = cookie(headers, site.pre_cookie).map(str::to_owned);
    let session = match cookie(headers, site.session_cookie) {
        Some(value) => match state.sessions().session(value).await {
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
                        elders,
                    },
                );
            }
        },
        None => None,
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| site.base.to_owned(), |p| p.as_str().to_owned());
    let ctx = Ctx {
        t,
        session,
        pre,
        path,
        htmx,
        elders,
    };
    let (mut parts, body) = request.into_parts();
    let body = if is_safe(&parts.method) {
        body
    } else {
        match checked(&ctx, &parts, body).await {
            Ok(body) => body,
            Err(refused) => return finish(refused.into_response(), &ctx),
        }
    };
    parts.extensions.insert(ctx.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    finish(response, &ctx)
}

/// Whether the request asks for the elders' pages: only on a site that offers them.
fn wants_elders(site: &Site, headers: &HeaderMap) -> bool {
    site.elders_cookie
        .is_some_and(|name| cookie(headers, name) == Some("1"))
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
/// (the site's outermost layer, outside this guard) to be in the person's language and frame.
fn finish(mut response: Response, ctx: &Ctx) -> Response {
    if response.extensions().get::<Failed>().is_some() {
        response.extensions_mut().insert(ctx.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(secure_cookies: bool) -> Site {
        Site {
            base: "/console",
            session_cookie: "tongban_console",
            pre_cookie: "tongban_console_pre",
            lang_cookie: "tongban_lang",
            elders_cookie: None,
            secure_cookies,
        }
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tongban_console=xyz; tongban_lang=en"),
        );
        assert_eq!(cookie(&headers, "tongban_console"), Some("xyz"));
        assert_eq!(cookie(&headers, "tongban_lang"), Some("en"));
        assert_eq!(cookie(&headers, "tongban_console_pre"), None);
    }

    #[test]
    fn the_session_cookie_stays_on_its_site_and_off_scripts() {
        let value = set_cookie(&site(true), "tongban_console", "v", 60);
        let value = value.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/console;", "Secure"] {
            assert!(value.contains(part), "{value}");
        }
        let plain = set_cookie(&site(false), "tongban_console", "v", 60);
        assert!(!plain.to_str().unwrap().contains("Secure"));
        let hall = Site {
            base: "/",
            ..site(false)
        };
        let value = set_cookie(&hall, "tongban_hall", "v", 60);
        assert!(value.to_str().unwrap().contains("Path=/;"), "{value:?}");
    }

    #[test]
    fn the_elders_pages_are_asked_for_only_where_offered() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("tongban_elders=1"));
        let hall = Site {
            elders_cookie: Some("tongban_elders"),
            ..site(false)
        };
        assert!(wants_elders(&hall, &headers));
        assert!(!wants_elders(&site(false), &headers));
        headers.insert(header::COOKIE, HeaderValue::from_static("tongban_elders=0"));
        assert!(!wants_elders(&hall, &headers));
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
