//! Texting one-time codes: identity asks the notification service (`POST /v1/codes`), which
//! owns the SMS channel, signing the call with a short token of its own service account. The
//! code goes in that one call and is kept nowhere else: not on an event stream, not in a log.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use tongban_auth::Claims;
use tongban_kernel::{AccountKind, Clock, Error};
use tongban_runtime::config::{HttpSettings, IDENTITY_CLIENT_ID};

use crate::config::IdentitySettings;
use crate::keys::Signer;

/// A code to text, as the notification service takes it.
#[derive(Debug, Serialize)]
pub struct CodeText<'a> {
    /// The challenge: asking again with it sends nothing new.
    pub id: Uuid,
    pub account_id: Uuid,
    pub phone: &'a str,
    /// phone_verification or login.
    pub purpose: &'a str,
    pub code: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// The notification service as identity calls it.
pub struct Texts {
    client: reqwest::Client,
    /// The notification service's base URL (its upstream); empty when none is configured.
    notification: String,
    signer: Arc<Signer>,
    identity: Arc<IdentitySettings>,
    /// Identity's own service account (made on start).
    account: Uuid,
}

impl Texts {
    /// Sends through the notification service at `http.upstreams["notification"]`.
    pub fn new(
        http: &HttpSettings,
        signer: Arc<Signer>,
        identity: Arc<IdentitySettings>,
        account: Uuid,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_idle_timeout(http.client_idle_timeout())
                .build()?,
            notification: http.upstream("notification").to_owned(),
            signer,
            identity,
            account,
        })
    }

    /// A token of identity's service account, valid for a minute.
    async fn token(&self) -> Result<String, Error> {
        // Credentials live on the system's time (`Clock::system`), as every verifier checks them.
        let now = Clock::system().now().timestamp();
        let claims = Claims {
            iss: self.identity.tokens.issuer.clone(),
            aud: self.identity.tokens.audience.clone(),
            sub: self.account,
            iat: now,
            exp: now + 60,
            jti: Uuid::now_v7(),
            kind: AccountKind::Service,
            rnl: 3,
            roles: Vec::new(),
            client_id: Some(IDENTITY_CLIENT_ID.to_owned()),
            sid: None,
            pwd: false,
        };
        Ok(self.signer.current().await?.sign(&claims))
    }

    /// Has the code texted; 503 when the notification service cannot take it now.
    pub async fn send(&self, text: &CodeText<'_>) -> Result<(), Error> {
        if self.notification.is_empty() {
            return Err(Error::Unavailable(
                "no notification upstream is configured to text codes".into(),
            ));
        }
        let response = self
            .client
            .post(format!("{}/v1/codes", self.notification))
            .bearer_auth(self.token().await?)
            .json(text)
            .send()
            .await
            .map_err(|e| Error::Unavailable(format!("the notification service: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        tracing::warn!(%status, body, challenge = %text.id, "the notification service refused a code");
        Err(Error::Unavailable(format!(
            "the notification service answered {status}"
        )))
    }
}
