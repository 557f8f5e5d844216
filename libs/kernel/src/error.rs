//! The error every HTTP handler returns, mapped to a status in one `match`.
//!
//! 4xx bodies say what was wrong and, for bad input, which field. 5xx bodies are opaque: the
//! detail goes to the log with the request's trace, never to the caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Handlers return `Result<T>`; the error half renders as [`ErrorBody`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request is malformed; `field` names the offending input (a JSON path, a query
    /// parameter or a header).
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 403: authenticated, but outside the caller's powers or jurisdiction.
    #[error("{0}")]
    Forbidden(String),
    /// 403: within the caller's powers, but a rule forbids it to this person now (separation
    /// of duties, a password to change first); `code` names the rule.
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// 404: nothing with that identity is visible to the caller.
    #[error("{0} not found")]
    NotFound(String),
    /// 409: the request conflicts with the current state (a duplicate, a stale version).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 422: well-formed, but breaks a domain rule; `field` names the input at fault.
    #[error("{field}: {message}")]
    Unprocessable { field: String, message: String },
    /// 429: too many of these too soon (e.g. one-time codes for one number); `field` names the
    /// input the limit is about, and the answer says in `Retry-After` when to try again.
    #[error("{field}: {message}")]
    TooManyRequests {
        field: String,
        message: String,
        retry_after_secs: u64,
    },
    /// 502: the gateway could not reach the service behind it.
    #[error("bad gateway: {0}")]
    BadGateway(String),
    /// 413: the request body is larger than the server accepts.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 503: the request took longer than the server allows; the caller may retry.
    #[error("the request timed out")]
    Timeout,
    /// 503: a dependency (database, broker) is unreachable; the caller may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 503: the platform is not set up to do this (an adapter no one configured); retrying
    /// will not help until an operator does. The message says what is missing, and is shown.
    #[error("{0}")]
    NotConfigured(String),
    /// 500: a bug or an unexpected failure. Logged in full, shown to nobody. Its text carries
    /// the failure with every cause, so it has no `source` of its own: a report that walks the
    /// chain (anyhow's `{:#}`) names each cause once.
    #[error("internal error: {}", chain(.0.as_ref()))]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }

    /// A violation of one of `constraints` (name, code, message) becomes that 409; any other
    /// database error maps as usual. Unique constraints are named in the migrations for this.
    pub fn conflict_on(err: sqlx::Error, constraints: &[(&str, &'static str, &str)]) -> Self {
        if let sqlx::Error::Database(db) = &err
            && let Some(name) = db.constraint()
            && let Some((_, code, message)) = constraints.iter().find(|(c, _, _)| *c == name)
        {
            return Self::Conflict {
                code,
                message: (*message).to_owned(),
            };
        }
        err.into()
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Denied { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout | Self::Unavailable(_) | Self::NotConfigured(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body a caller sees. Stable `code`s are part of the API contract.
    pub fn body(&self) -> ErrorBody {
        let (code, field) = match self {
            Self::BadRequest { field, .. } => ("bad_request", Some(field.clone())),
            Self::Unauthorized => ("unauthorized", None),
            Self::Forbidden(_) => ("forbidden", None),
            Self::NotFound(_) => ("not_found", None),
            Self::Conflict { code, .. } | Self::Denied { code, .. } => (*code, None),
            Self::Unprocessable { field, .. } => ("unprocessable", Some(field.clone())),
            Self::TooManyRequests { field, .. } => ("too_many_requests", Some(field.clone())),
            Self::BadGateway(_) => ("bad_gateway", None),
            Self::PayloadTooLarge(_) => ("payload_too_large", Some("body".to_owned())),
            Self::Timeout => ("timeout", None),
            Self::Unavailable(_) => ("unavailable", None),
            Self::NotConfigured(_) => ("not_configured", None),
            Self::Internal(_) => ("internal", None),
        };
        let message = match self {
            // Never leak internals; the trace id in the log ties the two together.
            Self::Internal(_) => "internal error".to_owned(),
            Self::Unavailable(_) => "a dependency is unavailable, try again later".to_owned(),
            Self::BadGateway(_) => "the service behind the gateway did not answer".to_owned(),
            Self::BadRequest { message, .. }
            | Self::Unprocessable { message, .. }
            | Self::TooManyRequests { message, .. } => message.clone(),
            other => other.to_string(),
        };
        ErrorBody {
            code: code.to_owned(),
            message,
            field,
        }
    }
}

/// A page size: `default` when absent, 400 on `limit` outside 1..=`max`.
pub fn page_limit(value: Option<i64>, default: i64, max: i64) -> Result<i64> {
    let limit = value.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::bad_request(
            "limit",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// Parses a path, query or header parameter: a 400 naming `field`, with the parser's reason,
/// when it does not parse.
pub fn parse_param<T>(field: &str, raw: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.trim()
        .parse()
        .map_err(|err: T::Err| Error::bad_request(field, err.to_string()))
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        let code = match &err {
            sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        };
        match (&err, code.as_deref()) {
            // The database is away (restarting, failing over, unreachable): the caller may
            // retry. SQLSTATE class 08 is a lost connection, 57P0x the server shutting down or
            // starting.
            (
                sqlx::Error::PoolTimedOut
                | sqlx::Error::Io(_)
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
                _,
            ) => Self::Unavailable(err.to_string()),
            (_, Some(code)) if code.starts_with("08") || code.starts_with("57P0") => {
                Self::Unavailable(err.to_string())
            }
            // 22021: text the database's encoding cannot hold (NUL); the extractors refuse it
            // first, this catches any other way in.
            (_, Some("22021")) => {
                Self::bad_request("input", "text may not contain the NUL character")
            }
            _ => Self::Internal(Box::new(err)),
        }
    }
}

/// `err` and each of its causes, joined by `: `.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        // Some errors repeat their cause in their own text; say it once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        if matches!(self, Self::Unauthorized) {
            // RFC 6750 §3: tell the client which scheme, and that its token did not do.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// The JSON body of every 4xx and 5xx response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable error code (`bad_request`, `not_found`, `duplicate_...`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The input at fault, for `bad_request` and `unprocessable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_opaque() {
        let err = Error::internal("connection string postgres://secret@db");
        let body = err.body();
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body.code, "internal");
        assert!(!body.message.contains("secret"));
    }

    #[test]
    fn an_internal_error_names_each_cause_once() {
        let io = std::io::Error::other("disk full");
        let wrapped: anyhow::Error = anyhow::Error::new(io).context("writing the outbox");
        let err = Error::internal(wrapped);
        assert_eq!(
            err.to_string(),
            "internal error: writing the outbox: disk full"
        );
        let report = format!("{:#}", anyhow::Error::new(err));
        assert_eq!(report, "internal error: writing the outbox: disk full");
    }

    #[test]
    fn bad_request_names_the_field() {
        let body = Error::bad_request("region", "must be 12 digits").body();
        assert_eq!(body.field.as_deref(), Some("region"));
        assert_eq!(body.message, "must be 12 digits");
    }

    #[test]
    fn a_missing_adapter_is_a_503_that_says_what_is_missing() {
        let err = Error::NotConfigured("no national identity check is configured".into());
        let body = err.body();
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body.code, "not_configured");
        assert_eq!(body.message, "no national identity check is configured");
    }
}
