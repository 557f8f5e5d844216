//! Whether a region code names a real division, and what lies above it, asked of the catalogue
//! (which owns the tree) over HTTP: services that take region codes as input refuse unknown
//! ones with a 422 naming the field, and follow the stored parents (special zones do not always
//! nest by code) without reading the catalogue's tables.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use tongban_kernel::{Error, RegionCode};

use crate::config::HttpSettings;

/// Regions remembered, at most (divisions change once a year; a restart forgets).
const REMEMBERED: usize = 10_000;

pub struct RegionDirectory {
    /// The catalogue's base URL, e.g. `http://catalogue:8082`.
    base: String,
    client: Client<HttpConnector, Empty<Bytes>>,
    /// Region → its lineage (code and name), province first, itself last.
    known: Mutex<HashMap<RegionCode, Vec<Named>>>,
}

/// A division as the catalogue names it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Named {
    pub code: String,
    #[serde(default)]
    pub name: String,
}

impl RegionDirectory {
    /// Asks the catalogue at `http.upstreams["catalogue"]`.
    pub fn new(http: &HttpSettings) -> Self {
        Self {
            base: http.upstream("catalogue").to_owned(),
            client: crate::http::client(http),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `code` is a known division; 422 naming `field` when the catalogue does not
    /// know it; 503 when the catalogue cannot be asked.
    pub async fn require_known(&self, code: &RegionCode, field: &str) -> Result<(), Error> {
        self.lineage(code, field).await.map(|_| ())
    }

    /// The codes of `code` and every region above it, province first; errors as
    /// [`RegionDirectory::require_known`].
    pub async fn lineage(&self, code: &RegionCode, field: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .named_lineage(code, field)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect())
    }

    /// The name of the division a service gave by its `code` (赫山区), or the code itself when
    /// it is no code or the catalogue cannot say: for showing, never for deciding.
    pub async fn name_of(&self, code: &str) -> String {
        let Ok(parsed) = code.parse::<RegionCode>() else {
            return code.to_owned();
        };
        match self.named_lineage(&parsed, "region").await {
            Ok(lineage) => lineage
                .last()
                .map_or_else(|| code.to_owned(), |r| r.name.clone()),
            Err(_) => code.to_owned(),
        }
    }

    /// [`RegionDirectory::lineage`] with the divisions' names (what a printed document is
    /// headed with).
    pub async fn named_lineage(&self, code: &RegionCode, field: &str) -> Result<Vec<Named>, Error> {
        if let Some(lineage) = self.known.lock().ok().and_then(|k| k.get(code).cloned()) {
            return Ok(lineage);
        }
        let url = format!("{}/v1/regions/{code}/ancestors", self.base);
        let request = http::Request::get(&url)
            .body(Empty::new())
            .map_err(Error::internal)?;
        let unavailable = |e: String| Error::Unavailable(format!("{url}: {e}"));
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| unavailable("timed out".into()))?
            .map_err(|e| unavailable(e.to_string()))?;
        match response.status() {
            http::StatusCode::OK => {}
            http::StatusCode::NOT_FOUND => {
                return Err(Error::unprocessable(
                    field,
                    format!(
                        "{code} is not a known administrative division (see /api/catalogue/v1/regions)"
                    ),
                ));
            }
            status => return Err(unavailable(format!("answered {status}"))),
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .to_bytes();
        let lineage: Vec<Named> =
            serde_json::from_slice(&body).map_err(|e| unavailable(e.to_string()))?;
        if let Ok(mut known) = self.known.lock()
            && known.len() < REMEMBERED
        {
            known.insert(*code, lineage.clone());
        }
        Ok(lineage)
    }
}
