//! `Query<T>` and `Path<T>`: axum's extractors with rejections in our error body, naming the
//! parameter that did not parse (axum's own answer is a plain-text 400).

use axum::extract::FromRequestParts;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::Error;
use crate::json::{source_text, split_serde_path};

/// PostgreSQL's text cannot hold it: refused as bad input rather than failing later as a fault.
const NUL: &str = "may not contain the NUL character (%00)";

/// The name of the first query parameter that carries a NUL character (`%00`).
fn nul_parameter(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name.contains("%00") || value.contains("%00")).then(|| name.to_owned())
    })
}

/// A query string deserialised into `T`; a parameter that does not parse is a 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(name) = parts.uri.query().and_then(nul_parameter) {
            return Err(Error::bad_request(name, NUL).into_response());
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                let (field, message) = match &rejection {
                    QueryRejection::FailedToDeserializeQueryString(err) => {
                        split_serde_path(&source_text(err))
                    }
                    other => ("query".to_owned(), other.body_text()),
                };
                Err(Error::bad_request(field, message).into_response())
            }
        }
    }
}

/// Path parameters deserialised into `T`; one that does not parse is a 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    axum::extract::Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.path().contains("%00") {
            return Err(Error::bad_request("path", NUL).into_response());
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => {
                let field = match err.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => key.clone(),
                    _ => "path".to_owned(),
                };
                Err(Error::bad_request(field, err.body_text()).into_response())
            }
            Err(other) => Err(Error::internal(other.body_text()).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_parameter_that_carries_a_nul() {
        assert_eq!(nul_parameter("limit=5&q=a%00b").as_deref(), Some("q"));
        assert_eq!(nul_parameter("limit=5&q=a%2500b"), None);
        assert_eq!(nul_parameter(""), None);
    }
}
