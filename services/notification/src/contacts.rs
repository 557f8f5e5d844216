//! Recipients' contact details, read from identity when a message is sent (they are kept
//! nowhere else). The notification service signs in as its own service account (OAuth 2.0
//! client credentials) and keeps the token until shortly before it expires.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use tongban_runtime::config::HttpSettings;

/// How an account can be reached, as identity says.
#[derive(Debug, Clone, Deserialize)]
pub struct Contact {
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub locale: String,
}

/// Why no contact could be read: worth trying again later, or never going to work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Temporary(String),
    Permanent(String),
}

pub struct Contacts {
    client: reqwest::Client,
    /// The identity service's base URL.
    identity: String,
    client_id: String,
    secret: SecretString,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl Contacts {
    /// Asks identity at `http.upstreams["identity"]`.
    pub fn new(
        http: &HttpSettings,
        client_id: impl Into<String>,
        secret: SecretString,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .pool_idle_timeout(http.client_idle_timeout())
                .build()?,
            identity: http.upstream("identity").to_owned(),
            client_id: client_id.into(),
            secret,
            token: Mutex::new(None),
        })
    }

    /// A token of the service account, signed in again a minute before the last one expires.
    async fn token(&self) -> Result<String, Lookup> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        if self.secret.expose_secret().is_empty() {
            return Err(Lookup::Permanent(
                "notification.client_secret is not set: no contact details can be read".into(),
            ));
        }
        let response = self
            .client
            .post(format!("{}/v1/oauth/token", self.identity))
            .basic_auth(&self.client_id, Some(self.secret.expose_secret()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| Lookup::Temporary(format!("identity not reached: {e}")))?;
        if !response.status().is_success() {
            return Err(Lookup::Temporary(format!(
                "identity refused the service account ({})",
                response.status()
            )));
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| Lookup::Temporary(format!("identity's token answer: {e}")))?;
        let until =
            Instant::now() + Duration::from_secs(token.expires_in.saturating_sub(60).max(1));
        *cached = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// The contact details of `account`.
    pub async fn of(&self, account: Uuid) -> Result<Contact, Lookup> {
        let token = self.token().await?;
        let response = self
            .client
            .get(format!("{}/v1/accounts/{account}/contact", self.identity))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| Lookup::Temporary(format!("identity not reached: {e}")))?;
        match response.status().as_u16() {
            200 => response
                .json()
                .await
                .map_err(|e| Lookup::Temporary(format!("identity's contact answer: {e}"))),
            404 => Err(Lookup::Permanent(format!(
                "account {account} does not exist"
            ))),
            401 => {
                // The token went stale early (a key rotated away): sign in again next time.
                *self.token.lock().await = None;
                Err(Lookup::Temporary("identity did not take the token".into()))
            }
            status => Err(Lookup::Temporary(format!("identity answered {status}"))),
        }
    }
}
