//! Text messages (SMS) through an HTTP gateway.

use std::time::Duration;

use futures::future::BoxFuture;

use super::channel::{Channel, Outcome, Outgoing, classify};

/// Text messages through an HTTP SMS gateway: a POST of `{to, content, reference, callback}`
/// with the gateway's API key as a bearer token. The gateway answers at once (sent) and
/// reports delivery later to `callback`, signed with the same key (see `receipts`).
pub struct SmsGateway {
    client: reqwest::Client,
    endpoint: String,
    api_key: secrecy::SecretString,
    callback: String,
    /// The signature every text starts with, as carriers require (【通办】).
    sign: String,
}

impl SmsGateway {
    pub fn new(
        endpoint: impl Into<String>,
        api_key: secrecy::SecretString,
        callback: impl Into<String>,
        sign: impl Into<String>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder().timeout(timeout).build()?,
            endpoint: endpoint.into(),
            api_key,
            callback: callback.into(),
            sign: sign.into(),
        })
    }
}

impl Channel for SmsGateway {
    fn name(&self) -> &'static str {
        "sms"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome> {
        use secrecy::ExposeSecret;
        Box::pin(async move {
            let body = serde_json::json!({
                "to": message.address,
                "content": format!("【{}】{}：{}", self.sign, message.subject, message.body),
                "reference": message.id,
                "callback": self.callback,
            });
            let response = self
                .client
                .post(&self.endpoint)
                .bearer_auth(self.api_key.expose_secret())
                .json(&body)
                .send()
                .await;
            classify(response, false)
        })
    }
}
