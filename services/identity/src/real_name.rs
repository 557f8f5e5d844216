//! Online real-name verification (实名核验): a citizen's full name and resident ID number are
//! checked against a national identity record service; a match is basic real-name (level 2).
//!
//! [`RealNameVerifier`] is the seam; [`HttpVerifier`] is the adapter the platform runs: an HTTP
//! client of the configured check (`identity.real_name_check_url`, with the credential in
//! `identity.real_name_check_credential`). The request and answer it expects are in
//! `docs/api.md` ("Real-name verification"). Without a configured URL there is no verifier,
//! and asking to be verified is a clear 503, never a silent pass.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use tongban_kernel::Error;

use crate::config::IdentitySettings;

/// What the national record says of a name and an ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The number exists and the name is the one on record.
    Match,
    /// The number exists under another name.
    Mismatch,
    /// No record has this number.
    NotFound,
}

/// Checks a name and an ID number against an identity record.
pub trait RealNameVerifier: Send + Sync {
    /// The record's verdict; 503 (`Error::Unavailable`) when the record cannot answer now.
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id_number: &'a str,
    ) -> BoxFuture<'a, Result<Verdict, Error>>;
}

/// The verifier the settings configure, if any.
pub fn configured(
    settings: &IdentitySettings,
) -> anyhow::Result<Option<Arc<dyn RealNameVerifier>>> {
    let url = settings.real_name_check_url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let verifier = HttpVerifier::new(
        url,
        settings.real_name_check_credential.clone(),
        Duration::from_secs(settings.real_name_check_timeout_secs.max(1)),
    )?;
    Ok(Some(Arc::new(verifier)))
}

/// The national identity check over HTTP: `POST {url}` with a bearer credential and
/// `{"request_id", "name", "id_number"}`; it answers 200 with `{"result": "match" | "mismatch" |
/// "not_found"}`. Any other answer, or none in time, is a 503 for the caller.
pub struct HttpVerifier {
    client: reqwest::Client,
    url: String,
    credential: SecretString,
}

#[derive(Serialize)]
struct CheckRequest<'a> {
    /// Ties the check to our logs (the number itself is never logged).
    request_id: Uuid,
    name: &'a str,
    id_number: &'a str,
}

#[derive(Deserialize)]
struct CheckAnswer {
    result: Verdict,
}

impl HttpVerifier {
    pub fn new(url: &str, credential: SecretString, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            // An operator's address, but still no redirects: an ID number goes where configured.
            client: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            url: url.to_owned(),
            credential,
        })
    }

    async fn check(&self, name: &str, id_number: &str) -> Result<Verdict, Error> {
        let request_id = Uuid::now_v7();
        let mut request = self.client.post(&self.url).json(&CheckRequest {
            request_id,
            name,
            id_number,
        });
        let credential = self.credential.expose_secret();
        if !credential.is_empty() {
            request = request.bearer_auth(credential);
        }
        let response = request.send().await.map_err(|e| {
            tracing::warn!(%request_id, error = %e, "the real-name check did not answer");
            Error::Unavailable(format!("the real-name check: {e}"))
        })?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(%request_id, %status, "the real-name check refused the request");
            return Err(Error::Unavailable(format!(
                "the real-name check answered {status}"
            )));
        }
        let answer: CheckAnswer = response.json().await.map_err(|e| {
            tracing::warn!(%request_id, error = %e, "the real-name check answered something else");
            Error::Unavailable(format!("the real-name check's answer: {e}"))
        })?;
        tracing::info!(%request_id, verdict = ?answer.result, "real-name check");
        Ok(answer.result)
    }
}

impl RealNameVerifier for HttpVerifier {
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id_number: &'a str,
    ) -> BoxFuture<'a, Result<Verdict, Error>> {
        Box::pin(self.check(name, id_number))
    }
}

/// The name as the record holds it: trimmed, 1-50 characters (400 naming `name` otherwise).
pub fn full_name(name: &str) -> Result<&str, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::bad_request(
            "name",
            "your full name as on your ID card, 1 to 50 characters",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_no_verifier() {
        let settings = IdentitySettings::default();
        assert!(configured(&settings).unwrap().is_none());
        let with = IdentitySettings {
            real_name_check_url: "http://127.0.0.1:9/check".into(),
            ..IdentitySettings::default()
        };
        assert!(configured(&with).unwrap().is_some());
    }

    #[test]
    fn the_answer_names_one_of_three_verdicts() {
        let read = |s: &str| {
            serde_json::from_str::<CheckAnswer>(s)
                .map(|a| a.result)
                .ok()
        };
        assert_eq!(read(r#"{"result":"match"}"#), Some(Verdict::Match));
        assert_eq!(read(r#"{"result":"not_found"}"#), Some(Verdict::NotFound));
        assert_eq!(read(r#"{"result":"maybe"}"#), None);
    }

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(full_name(" 李四 ").unwrap(), "李四");
        assert_eq!(full_name("  ").unwrap_err().status(), 400);
    }
}
