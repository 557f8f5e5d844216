//! Whether a region code names a real division, asked of the catalogue (which owns the tree)
//! over HTTP: services that take region codes as input (identity's staff and role bindings ...)
//! refuse unknown ones with a 422 naming the field, without reading the catalogue's tables.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use tongban_kernel::{Error, RegionCode};

/// Known codes remembered, at most (divisions change once a year; a restart forgets).
const REMEMBERED: usize = 10_000;

pub struct RegionDirectory {
    /// The catalogue's base URL, e.g. `http://catalogue:8082`.
    base: String,
    client: Client<HttpConnector, Empty<Bytes>>,
    known: Mutex<HashSet<RegionCode>>,
}

impl RegionDirectory {
    pub fn new(catalogue: impl Into<String>) -> Self {
        Self {
            base: catalogue.into().trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            known: Mutex::new(HashSet::new()),
        }
    }

    /// `Ok` when `code` is a known division; 422 naming `field` when the catalogue does not
    /// know it; 503 when the catalogue cannot be asked.
    pub async fn require_known(&self, code: &RegionCode, field: &str) -> Result<(), Error> {
        if self.known.lock().is_ok_and(|known| known.contains(code)) {
            return Ok(());
        }
        let url = format!("{}/v1/regions/{code}", self.base);
        let request = http::Request::get(&url)
            .body(Empty::new())
            .map_err(Error::internal)?;
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| Error::Unavailable(format!("{url} timed out")))?
            .map_err(|e| Error::Unavailable(format!("{url}: {e}")))?;
        match response.status() {
            http::StatusCode::OK => {
                if let Ok(mut known) = self.known.lock()
                    && known.len() < REMEMBERED
                {
                    known.insert(*code);
                }
                Ok(())
            }
            http::StatusCode::NOT_FOUND => Err(Error::unprocessable(
                field,
                format!(
                    "{code} is not a known administrative division (see /api/catalogue/v1/regions)"
                ),
            )),
            status => Err(Error::Unavailable(format!("{url} answered {status}"))),
        }
    }
}
