//! Why a page could not be shown. A handler returns a [`PageError`]; its response carries the
//! error in an extension ([`Failed`]), the session guard (`guard`) adds the request's
//! context, and the site's outermost layer draws it as a page in the person's language, so no
//! handler needs to know how errors look.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::{Failure, Refusal};
use crate::i18n::T;

#[derive(Debug, Clone)]
pub enum PageError {
    /// Not signed in (or the session ended): 303 to the sign-in page, back to `next` after.
    SignIn { next: String },
    /// The password an administrator set must be changed first: 303 to the password page.
    ChangePassword,
    /// A state-changing request without its session's CSRF token: 403, nothing changed.
    Csrf,
    /// A form body too large to check: 413.
    TooLarge,
    /// An account of a kind this site does not serve signed in: 403.
    WrongAccount,
    /// The service refused (its 4xx, in its words): shown with the same status.
    Refused(Refusal),
    /// Nothing in scope under that address: 404.
    NotFound,
    /// A service cannot be reached, or the site's database: 503 (the detail is logged).
    Unavailable(String),
    /// A bug: 500 (the detail is logged).
    Internal(String),
}

/// The extension a failed response carries past the session guard to the error page.
#[derive(Debug, Clone)]
pub struct Failed(pub PageError);

impl PageError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } | Self::ChangePassword => StatusCode::SEE_OTHER,
            Self::Csrf | Self::WrongAccount => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Refused(refusal) => refusal.status,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match &self {
            Self::Unavailable(detail) if !detail.is_empty() => {
                tracing::warn!(detail, "page unavailable");
            }
            Self::Internal(detail) => tracing::error!(detail, "page failed"),
            _ => {}
        }
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Failed(self));
        response
    }
}

impl From<Failure> for PageError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Refused(refusal) if refusal.status == StatusCode::UNAUTHORIZED => {
                Self::SignIn {
                    next: String::new(),
                }
            }
            Failure::Refused(refusal) => Self::Refused(refusal),
            Failure::Unavailable(detail) => Self::Unavailable(detail),
        }
    }
}

impl From<sqlx::Error> for PageError {
    fn from(err: sqlx::Error) -> Self {
        Self::Unavailable(format!("pages database: {err}"))
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(format!("template: {err}"))
    }
}

impl From<anyhow::Error> for PageError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(format!("{err:#}"))
    }
}

pub type PageResult<T> = Result<T, PageError>;

/// The words [`PageError::words`] asks a site's catalogues for, which every site's catalogues
/// must hold (its tests check them with `i18n::check::missing`).
pub const KEYS: [&str; 13] = [
    "error.csrf.title",
    "error.csrf",
    "error.too_large.title",
    "error.too_large",
    "error.forbidden.title",
    "error.not_found.title",
    "error.not_found",
    "error.refused.title",
    "error.unavailable.title",
    "error.unavailable",
    "error.internal.title",
    "error.internal",
    "error.home",
];

impl PageError {
    /// The error page's title and message in `t`'s words: the site's `error.*` keys (and
    /// `wrong_account`'s, which tells an account of the wrong kind where to go instead), or the
    /// service's own words when it refused.
    pub fn words(&self, t: T, wrong_account: &str) -> (String, String) {
        let (title, message) = match self {
            Self::Csrf => ("error.csrf.title", t.s("error.csrf").to_owned()),
            Self::TooLarge => ("error.too_large.title", t.s("error.too_large").to_owned()),
            Self::WrongAccount => ("error.forbidden.title", t.s(wrong_account).to_owned()),
            Self::NotFound => ("error.not_found.title", t.s("error.not_found").to_owned()),
            Self::Refused(refusal) if refusal.status == StatusCode::FORBIDDEN => {
                ("error.forbidden.title", refusal.message.clone())
            }
            Self::Refused(refusal) => ("error.refused.title", refusal.message.clone()),
            Self::Unavailable(_) => (
                "error.unavailable.title",
                t.s("error.unavailable").to_owned(),
            ),
            Self::Internal(_) | Self::SignIn { .. } | Self::ChangePassword => {
                ("error.internal.title", t.s("error.internal").to_owned())
            }
        };
        (t.s(title).to_owned(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the error page asks for is listed for the sites' checks.
    #[test]
    fn the_listed_keys_are_those_the_error_page_asks_for() {
        let source = include_str!("error.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap()];
        for key in crate::i18n::check::keys_in(code) {
            assert!(KEYS.contains(&key.as_str()), "{key} is not in KEYS");
        }
        for key in KEYS.iter().filter(|k| **k != "error.home") {
            assert!(
                code.contains(&format!("\"{key}\"")),
                "{key} is listed but not asked for"
            );
        }
    }
}
