//! The sender: claims due messages, attempts each through its channel (after the recipient's
//! limits and the channel's cap), and records what came of it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use tongban_runtime::CancellationToken;

use super::attempt::record;
use super::channel::{Channel, Channels, Outcome, Outgoing};
use super::pacing::{MAX_THROTTLE_WAIT, Pacing, Throttles, quiet_until};
use super::queue::{Claimed, claim};
use crate::contacts::{Contacts, Lookup};

/// Where `message` goes: the address read with the claim (a webhook's URL, a one-time code's
/// number), else an account's phone number or e-mail address (read from identity now), or why
/// it cannot be known.
async fn address(message: &Claimed, contacts: &Contacts) -> Result<String, Outcome> {
    if let Some(address) = &message.address {
        return Ok(address.clone());
    }
    match message.channel.as_str() {
        channel @ ("sms" | "email") => match contacts.of(message.recipient_id).await {
            Ok(contact) if channel == "sms" => contact
                .phone
                .ok_or_else(|| Outcome::Skipped("the recipient gave no mobile number".into())),
            Ok(contact) => contact
                .email
                .ok_or_else(|| Outcome::Skipped("the recipient gave no e-mail address".into())),
            Err(Lookup::Temporary(why)) => Err(Outcome::Temporary(why)),
            Err(Lookup::Permanent(why)) => Err(Outcome::Permanent(why)),
        },
        _ => Err(Outcome::Permanent("no address for the recipient".into())),
    }
}

/// Whether a non-urgent text or e-mail must wait: quiet hours (texts), or the recipient's
/// hourly limit on the channel (counted over what was sent in the last hour).
async fn deferral(
    pool: &PgPool,
    pacing: &Pacing,
    message: &Claimed,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, sqlx::Error> {
    if message.urgent || !["sms", "email"].contains(&message.channel.as_str()) {
        return Ok(None);
    }
    if message.channel == "sms"
        && let Some(until) = quiet_until(pacing, now)
    {
        return Ok(Some(Outcome::Deferred {
            until,
            why: "quiet hours".into(),
        }));
    }
    let (sent, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "select count(*), min(sent_at) from messages
         where recipient_id = $1 and channel = $2 and sent_at > $3 and id <> $4",
    )
    .bind(message.recipient_id)
    .bind(&message.channel)
    .bind(now - chrono::Duration::hours(1))
    .bind(message.id)
    .fetch_one(pool)
    .await?;
    Ok((sent >= pacing.hourly_limit).then(|| Outcome::Deferred {
        until: oldest.unwrap_or(now) + chrono::Duration::hours(1),
        why: format!(
            "the hourly limit: {sent} sent by {} to this recipient within the hour",
            message.channel
        ),
    }))
}

/// What a sender works with.
pub struct Sender {
    pub pool: PgPool,
    pub channels: Channels,
    pub contacts: Arc<Contacts>,
    pub pacing: Pacing,
    pub throttles: Throttles,
    /// Its time (adjustable in tests).
    pub clock: tongban_runtime::Clock,
    /// Rung when something urgent was queued (a one-time code): look now, not at the next poll.
    pub wake: Arc<tokio::sync::Notify>,
    /// Opens webhook secrets (sealed under the KEK).
    pub vault: tongban_vault::Vault,
}

/// The setting that turns a channel on, for the error of a message no configured channel takes.
fn setting_of(channel: &str) -> &'static str {
    match channel {
        "sms" => "notification.sms_endpoint",
        "email" => "notification.smtp_host",
        _ => "the sender's channels",
    }
}

impl Sender {
    /// One attempt at `message`: what came of it.
    async fn attempt(
        &self,
        channels: &HashMap<&'static str, Arc<dyn Channel>>,
        message: &Claimed,
    ) -> Outcome {
        let now = self.clock.now();
        if message.expires_at.is_some_and(|at| at <= now) {
            return Outcome::Permanent("the code expired before it could be sent".into());
        }
        match deferral(&self.pool, &self.pacing, message, now).await {
            Ok(Some(deferred)) => return deferred,
            Ok(None) => {}
            Err(err) => return Outcome::Temporary(format!("checking the limits: {err}")),
        }
        let Some(channel) = channels.get(message.channel.as_str()) else {
            return Outcome::Permanent(format!(
                "no {} channel is configured ({})",
                message.channel,
                setting_of(&message.channel)
            ));
        };
        let address = match address(message, &self.contacts).await {
            Ok(address) => address,
            Err(outcome) => return outcome,
        };
        if let Some(throttle) = self.throttles.get(channel.name()) {
            match throttle.reserve(Instant::now(), MAX_THROTTLE_WAIT) {
                Ok(wait) if wait.is_zero() => {}
                Ok(wait) => tokio::time::sleep(wait).await,
                Err(wait) => {
                    return Outcome::Deferred {
                        until: self.clock.now()
                            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                        why: format!("the {} channel's cap per second", channel.name()),
                    };
                }
            }
        }
        let secret = match &message.sealed_secret {
            None => None,
            Some(sealed) => {
                let context =
                    crate::db::webhooks::SEALED.context(&message.recipient_id.to_string());
                match self.vault.open(&context, sealed) {
                    Ok(secret) => Some(String::from_utf8_lossy(&secret).into_owned()),
                    // A KEK the operator has yet to configure: worth trying again.
                    Err(err) => return Outcome::Temporary(format!("the webhook's secret: {err}")),
                }
            }
        };
        let outgoing = Outgoing {
            id: message.id,
            event_type: message.event_type.clone(),
            address,
            subject: message.subject.clone(),
            body: message.body.clone(),
            secret,
        };
        channel.send(&outgoing).await
    }

    /// Sends due messages until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let channels: HashMap<&'static str, Arc<dyn Channel>> = self
            .channels
            .iter()
            .map(|c| (c.name(), c.clone()))
            .collect();
        // Longer than any one send may take (the channels time out well before, and a throttled
        // send waits at most MAX_THROTTLE_WAIT first).
        let lease = Duration::from_secs(120);
        loop {
            let claimed = match claim(&self.pool, &self.pacing, self.clock.now(), lease).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming messages failed; trying again");
                    Vec::new()
                }
            };
            let busy = !claimed.is_empty();
            let sender = &self;
            let sends = claimed.iter().map(|message| {
                let channels = &channels;
                async move {
                    let outcome = sender.attempt(channels, message).await;
                    let at = sender.clock.now();
                    if let Err(err) = record(&sender.pool, &sender.pacing, message, &outcome, at).await
                    {
                        tracing::warn!(message = %message.id, error = %err,
                            "recording an attempt failed; the lease runs out and it is tried again");
                    }
                }
            });
            futures::future::join_all(sends).await;
            if !busy {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.pacing.poll) => {}
                }
            } else if shutdown.is_cancelled() {
                return;
            }
        }
    }
}
