//! What a channel is: the message as it sends it, what came of an attempt, and the trait every
//! channel but the inbox implements.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

/// A message as a channel sends it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Uuid,
    pub event_type: String,
    /// Where it goes: a phone number, an e-mail address, a URL.
    pub address: String,
    pub subject: String,
    pub body: String,
    /// A webhook subscription's signing secret.
    pub secret: Option<String>,
}

/// What a channel made of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed over; `delivered` when the far side confirmed receipt in the same exchange.
    Sent { delivered: bool },
    /// Worth trying again later (a timeout, a 5xx, a throttle).
    Temporary(String),
    /// Never going to work (a 4xx, an address that does not exist).
    Permanent(String),
    /// The channel does not apply to this recipient (no e-mail address given): not a failure.
    Skipped(String),
    /// Not now (quiet hours, the recipient's hourly limit): queued again for `until`, the
    /// attempt not counted.
    Deferred { until: DateTime<Utc>, why: String },
}

/// The channels a sender sends through.
pub type Channels = Vec<Arc<dyn Channel>>;

/// A way of reaching a recipient.
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome>;
}

/// An HTTP answer as an attempt's outcome: 2xx sent (`delivered` when that is all there is to
/// it), 408/429/5xx and no answer temporary, the other 4xx permanent.
pub(super) fn classify(
    response: Result<reqwest::Response, reqwest::Error>,
    delivered: bool,
) -> Outcome {
    match response {
        Ok(r) if r.status().is_success() => Outcome::Sent { delivered },
        Ok(r) if r.status().as_u16() == 408 || r.status().as_u16() == 429 => {
            Outcome::Temporary(format!("answered {}", r.status()))
        }
        Ok(r) if r.status().is_client_error() => {
            Outcome::Permanent(format!("answered {}", r.status()))
        }
        Ok(r) => Outcome::Temporary(format!("answered {}", r.status())),
        Err(err) => Outcome::Temporary(format!("not reached: {err}")),
    }
}
