//! Finishing a ticket records the visit in acceptance (一次一评): `POST /v1/visits` with the
//! clerk's own token, so acceptance applies its own rules (the clerk's region, the case's
//! hall) and counts the visit on the case when there is one. The ticket's id is the visit's,
//! so asking again (a retry after a failure on either side) records it once. The answer's
//! rating code is what the window's rating device rates the visit by.

use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use tongban_kernel::{Error, ErrorBody};
use tongban_runtime::config::HttpSettings;

/// What acceptance is asked to record.
#[derive(Debug, Serialize)]
pub struct NewVisit {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub region_code: String,
    /// intake, supply, pickup or other.
    pub purpose: String,
}

/// The visit as acceptance recorded it.
#[derive(Debug, Clone, Deserialize)]
pub struct Recorded {
    pub id: Uuid,
    pub rating_code: String,
}

/// Acceptance's visits, asked over HTTP.
pub struct Visits {
    client: reqwest::Client,
    /// Acceptance's base URL.
    base: String,
}

impl Visits {
    /// Acceptance at `http.upstreams["acceptance"]`.
    pub fn new(http: &HttpSettings) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_idle_timeout(http.client_idle_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::internal)?;
        Ok(Self {
            client,
            base: http.upstream("acceptance").to_owned(),
        })
    }

    /// Records `visit` as the clerk whose token is `bearer`. Acceptance's refusals come back
    /// as the same kind of answer (which field, why); 503 when it cannot be asked, and the
    /// ticket stays in service until it can.
    pub async fn record(&self, bearer: &str, visit: &NewVisit) -> Result<Recorded, Error> {
        let url = format!("{}/v1/visits", self.base);
        let unavailable = |e: String| Error::Unavailable(format!("acceptance ({url}): {e}"));
        let response = self
            .client
            .post(&url)
            .bearer_auth(bearer)
            .json(visit)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|e| unavailable(e.to_string()));
        }
        let body: Option<ErrorBody> = response.json().await.ok();
        let message = body
            .as_ref()
            .map_or_else(|| status.to_string(), |b| b.message.clone());
        Err(match status {
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                let field = body
                    .and_then(|b| b.field)
                    .unwrap_or_else(|| "case_id".into());
                Error::unprocessable(&field, message)
            }
            StatusCode::FORBIDDEN => Error::Forbidden(message),
            StatusCode::NOT_FOUND => Error::unprocessable("case_id", message),
            StatusCode::CONFLICT => Error::Conflict {
                code: "visit_refused",
                message,
            },
            _ => unavailable(format!("answered {status}: {message}")),
        })
    }
}
