//! The online hall's cookies, and the pre-session value every visitor's forms repeat.
//!
//! Public forms (looking a case up, rating a visit, a comment, signing in) change things
//! without a session, so they carry the double-submit value of a pre-session cookie: a page
//! of another site can neither read it nor set it. [`pre_session`] gives each visitor one
//! before the guard looks for it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use tongban_pages::guard::{Site, cookie, set_cookie};
use tongban_pages::session::store::random_token;

use crate::AppState;

/// The hall's session cookie.
pub const SESSION_COOKIE: &str = "tongban_portal";
/// Before signing in: the value every public form repeats.
pub const PRE_COOKIE: &str = "tongban_portal_pre";
/// The language chosen with the switch (shared with the console's name, not its path).
pub const LANG_COOKIE: &str = "tongban_lang";
/// The elders' mode (长辈版), kept for the person on this device.
pub const ELDERS_COOKIE: &str = "tongban_elders";
/// How long a preference (language, elders' mode) is kept: a year.
pub const PREFERENCE_SECS: i64 = 365 * 86_400;
/// How long a pre-session value is kept: a visit's day.
const PRE_SECS: i64 = 86_400;

/// The hall's cookies, on every path (`/`).
pub fn site(secure_cookies: bool) -> Site {
    Site {
        base: "/",
        session_cookie: SESSION_COOKIE,
        pre_cookie: PRE_COOKIE,
        lang_cookie: LANG_COOKIE,
        elders_cookie: Some(ELDERS_COOKIE),
        secure_cookies,
    }
}

/// Before the guard: a visitor without a session or a pre-session value is given one, in the
/// request (so this page's forms carry it) and in a cookie (so the form's answer matches).
pub async fn pre_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    // Files come after their page, whose answer already set the value.
    if request.uri().path().starts_with("/assets/")
        || cookie(headers, SESSION_COOKIE).is_some()
        || cookie(headers, PRE_COOKIE).is_some()
    {
        return next.run(request).await;
    }
    let value = random_token();
    let pair = format!("{PRE_COOKIE}={value}");
    let joined = match headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        Some(existing) => format!("{existing}; {pair}"),
        None => pair,
    };
    if let Ok(joined) = HeaderValue::from_str(&joined) {
        request.headers_mut().insert(header::COOKIE, joined);
    }
    let mut response = next.run(request).await;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.site, PRE_COOKIE, &value, PRE_SECS),
    );
    response
}
