//! Outbound webhooks to partner systems, signed with each subscription's secret.

use std::time::Duration;

use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::channel::{Channel, Outcome, Outgoing, classify};
use crate::outbound::Outbound;

/// The HMAC-SHA256 signature header of a webhook body sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex of HMAC(secret, "<timestamp>.<body>")>`. The receiver recomputes it
/// and rejects a timestamp too far from its clock (replays).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length: this cannot fail (an empty signature would be refused).
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Outbound webhooks to partner systems: a POST of the JSON body, signed, with the message id
/// as `X-Tongban-Delivery` (the receiver's idempotency key: a retried call carries the same).
/// Only to addresses [`Outbound`] permits (checked again here: a URL registered before the
/// rule, or a name that now resolves inward); redirects are not followed.
pub struct Webhook {
    client: reqwest::Client,
    outbound: Outbound,
}

impl Webhook {
    pub fn new(timeout: Duration, outbound: Outbound) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(outbound.resolver())
                .build()?,
            outbound,
        })
    }
}

impl Channel for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let allowed = reqwest::Url::parse(&message.address)
                .map_err(|e| e.to_string())
                .and_then(|url| self.outbound.check_literal(&url));
            if let Err(why) = allowed {
                return Outcome::Permanent(format!("not sent: {why}"));
            }
            let secret = message.secret.as_deref().unwrap_or_default();
            let response = self
                .client
                .post(&message.address)
                .header("content-type", "application/json")
                .header("x-tongban-event", &message.event_type)
                .header("x-tongban-delivery", message.id.to_string())
                // Signed at the system's time (`Clock::system()`), not the service clock: the
                // partner checks the timestamp against its own real clock to refuse replays.
                .header(
                    "x-tongban-signature",
                    signature(
                        secret,
                        tongban_kernel::Clock::system().now().timestamp(),
                        &message.body,
                    ),
                )
                .body(message.body.clone())
                .send()
                .await;
            match response {
                // A redirect is not followed: it could lead anywhere, inward included.
                Ok(r) if r.status().is_redirection() => Outcome::Permanent(format!(
                    "answered {}: redirects are not followed; register the final URL",
                    r.status()
                )),
                // A partner's 2xx is its receipt.
                response => classify(response, true),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_timestamp_and_the_body() {
        let signed = signature("secret", 1_764_000_000, "{\"a\":1}");
        assert!(signed.starts_with("t=1764000000,v1="));
        assert_eq!(signed.len(), "t=1764000000,v1=".len() + 64);
        assert_ne!(signed, signature("secret", 1_764_000_001, "{\"a\":1}"));
        assert_ne!(signed, signature("other", 1_764_000_000, "{\"a\":1}"));
        // The published test vector of HMAC-SHA256 (RFC 4231, case 2), through the same code.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
