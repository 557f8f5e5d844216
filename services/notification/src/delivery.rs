//! Sending what is queued: every channel other than the inbox goes through one [`Channel`]
//! trait. A sender claims due messages under a lease (a sender that dies mid-send leaves them
//! to be tried again), sends them, and records each attempt: sent or delivered; a temporary
//! failure is retried with exponential back-off up to a cap, a permanent one is final. Each
//! outcome is an event on `tongban.notification.v1`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::notification::v1 as events;
use tongban_runtime::CancellationToken;

use crate::contacts::{Contacts, Lookup};

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
pub struct Webhook {
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder().timeout(timeout).build()?,
        })
    }
}

impl Channel for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
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
            // A partner's 2xx is its receipt.
            classify(response, true)
        })
    }
}

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

/// E-mail over SMTP (lettre): plain text, from the configured sender, with the message id as
/// its Message-ID. The server's acceptance is `sent` (mail has no delivery receipt here).
pub struct Email {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Email {
    pub fn new(
        settings: &crate::config::NotificationSettings,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        use lettre::AsyncSmtpTransport;
        use lettre::transport::smtp::authentication::Credentials;
        use secrecy::ExposeSecret;
        type Smtp = AsyncSmtpTransport<lettre::Tokio1Executor>;
        let host = settings.smtp_host.as_str();
        let mut builder = match settings.smtp_tls.as_str() {
            "tls" => Smtp::relay(host)?,
            "starttls" => Smtp::starttls_relay(host)?,
            "none" => Smtp::builder_dangerous(host),
            other => anyhow::bail!("notification.smtp_tls: {other:?} is not none, starttls or tls"),
        }
        .port(settings.smtp_port)
        .timeout(Some(timeout));
        if !settings.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_username.clone(),
                settings.smtp_password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings
                .mail_from
                .parse()
                .map_err(|e| anyhow::anyhow!("notification.mail_from: {e}"))?,
        })
    }
}

impl Channel for Email {
    fn name(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome> {
        use lettre::AsyncTransport;
        Box::pin(async move {
            let Ok(to) = message.address.parse::<lettre::message::Mailbox>() else {
                return Outcome::Permanent(format!("{} is not an e-mail address", message.address));
            };
            let mail = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(&message.subject)
                .message_id(Some(format!("<{}@tongban>", message.id)))
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(message.body.clone());
            let mail = match mail {
                Ok(mail) => mail,
                Err(err) => return Outcome::Permanent(format!("not a valid e-mail: {err}")),
            };
            match self.transport.send(mail).await {
                Ok(_) => Outcome::Sent { delivered: false },
                Err(err) if err.is_permanent() => Outcome::Permanent(err.to_string()),
                Err(err) => Outcome::Temporary(err.to_string()),
            }
        })
    }
}

/// An HTTP answer as an attempt's outcome: 2xx sent (`delivered` when that is all there is to
/// it), 408/429/5xx and no answer temporary, the other 4xx permanent.
fn classify(response: Result<reqwest::Response, reqwest::Error>, delivered: bool) -> Outcome {
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

/// How senders pace themselves.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// How often to look for due messages.
    pub poll: Duration,
    /// Messages claimed per round.
    pub batch: i64,
    /// The first retry waits this long; each next one twice as long (capped at an hour).
    pub retry_base: Duration,
    /// Attempts before a temporary failure becomes final.
    pub max_attempts: i32,
    /// Non-urgent texts wait out these China hours: from `quiet_from` to `quiet_until` (e.g.
    /// 22 to 8, across midnight). Equal hours: no quiet hours.
    pub quiet_from: u32,
    pub quiet_until: u32,
    /// Non-urgent texts and e-mails per recipient and channel within an hour; more wait.
    pub hourly_limit: i64,
}

/// A channel's cap on sends per second (a carrier's or a mail relay's limit), for one sender:
/// a generic cell-rate algorithm that lets `burst` sends through at once and then one every
/// `1 / rate` seconds. A sender waits for its slot; one that would wait too long defers the
/// message instead (a deferral is not an attempt).
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    /// How far ahead of the steady pace a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time of the next send.
    next: Mutex<Option<Instant>>,
}

impl Throttle {
    /// `rate` sends per second, `rate` of them at once; `None` for 0 (no cap).
    pub fn per_second(rate: u32) -> Option<Self> {
        (rate > 0).then(|| {
            let interval = Duration::from_secs(1) / rate;
            Self {
                interval,
                tolerance: interval * (rate - 1),
                next: Mutex::new(None),
            }
        })
    }

    /// Reserves the next slot from `now` and says how long to wait for it; when that is longer
    /// than `max_wait`, reserves nothing and says how long it would have been.
    pub fn reserve(&self, now: Instant, max_wait: Duration) -> Result<Duration, Duration> {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = next.unwrap_or(now).max(now);
        let allowed = due
            .checked_sub(self.tolerance)
            .map_or(now, |at| at.max(now));
        let wait = allowed - now;
        if wait > max_wait {
            return Err(wait);
        }
        *next = Some(due + self.interval);
        Ok(wait)
    }
}

/// The caps per channel name (channels without one are not capped).
pub type Throttles = HashMap<&'static str, Throttle>;

/// The longest a sender waits for a channel's slot before deferring the message: well within
/// the lease on it.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(30);

/// When non-urgent texts may go again if `now` falls in the quiet hours, else `None`.
pub fn quiet_until(pacing: &Pacing, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::{TimeZone, Timelike};
    let (from, until) = (pacing.quiet_from % 24, pacing.quiet_until % 24);
    if from == until {
        return None;
    }
    let local = now.with_timezone(&tongban_runtime::clock::china());
    let hour = local.hour();
    let quiet = if from < until {
        hour >= from && hour < until
    } else {
        hour >= from || hour < until
    };
    if !quiet {
        return None;
    }
    let mut day = local.date_naive();
    if hour >= until {
        day = day.succ_opt()?;
    }
    let end = day.and_hms_opt(until, 0, 0)?;
    tongban_runtime::clock::china()
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones.
pub fn backoff(pacing: &Pacing, attempts: i32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 20) as u32);
    pacing
        .retry_base
        .saturating_mul(factor)
        .min(Duration::from_secs(3600))
}

#[derive(sqlx::FromRow)]
struct Claimed {
    id: Uuid,
    event_id: Uuid,
    event_type: String,
    case_id: Option<Uuid>,
    recipient_id: Uuid,
    channel: String,
    template: String,
    subject: String,
    body: String,
    attempts: i32,
    urgent: bool,
    /// Where it goes when the message says (a webhook's URL; the number a one-time code is
    /// for); else the recipient's contact details.
    address: Option<String>,
    secret: Option<String>,
    /// A one-time code's: it is not sent later than this.
    expires_at: Option<DateTime<Utc>>,
}

/// What every message event says about the message.
pub struct Reference<'a> {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub case_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub channel: &'a str,
    pub template: &'a str,
}

impl Reference<'_> {
    pub fn event(&self) -> events::MessageRef {
        events::MessageRef {
            message_id: self.id.to_string(),
            event_id: self.event_id.to_string(),
            event_type: self.event_type.to_owned(),
            case_id: self.case_id.map(|c| c.to_string()).unwrap_or_default(),
            recipient_id: self.recipient_id.to_string(),
            channel: self.channel.to_owned(),
            template: self.template.to_owned(),
        }
    }
}

impl Claimed {
    fn reference(&self) -> events::MessageRef {
        Reference {
            id: self.id,
            event_id: self.event_id,
            event_type: &self.event_type,
            case_id: self.case_id,
            recipient_id: self.recipient_id,
            channel: &self.channel,
            template: &self.template,
        }
        .event()
    }
}

/// Writes a message event to the outbox, keyed by the message.
pub async fn publish<E: Event>(
    tx: &mut PgConnection,
    message_id: Uuid,
    event: &E,
) -> Result<(), sqlx::Error> {
    let key = message_id.to_string();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions: Vec::new(),
        },
        event,
    )
    .await?;
    Ok(())
}

/// Claims up to `pacing.batch` messages due at `now` for `lease`.
async fn claim(
    pool: &PgPool,
    pacing: &Pacing,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as(
        "with due as (
             select id from messages
             where status in ('queued', 'failed_temporary') and next_attempt_at <= $3
             order by next_attempt_at limit $1
             for update skip locked)
         update messages m set next_attempt_at = $3 + $2::interval, attempts = m.attempts + 1
         from due where m.id = due.id
         returning m.id, m.event_id, m.event_type, m.case_id, m.recipient_id, m.channel,
             m.template, m.subject, m.body, m.attempts, m.urgent, m.expires_at,
             coalesce(m.address,
                 (select w.url from webhooks w where w.id = m.recipient_id and m.channel = 'webhook')) as address,
             (select w.secret from webhooks w where w.id = m.recipient_id and m.channel = 'webhook') as secret",
    )
    .bind(pacing.batch)
    .bind(format!("{} seconds", lease.as_secs().max(1)))
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Records one attempt's outcome and publishes what it means.
async fn record(
    pool: &PgPool,
    pacing: &Pacing,
    message: &Claimed,
    outcome: &Outcome,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Outcome::Deferred { until, why } = outcome {
        // Not an attempt: back in the queue for later, the count as it was.
        sqlx::query(
            "update messages set status = 'queued', next_attempt_at = $2, attempts = attempts - 1,
                 last_error = $3
             where id = $1",
        )
        .bind(message.id)
        .bind(until)
        .bind(why)
        .execute(&mut *tx)
        .await?;
        return tx.commit().await;
    }
    let (status, detail, next) = match outcome {
        Outcome::Sent { delivered: true } => ("delivered", String::new(), None),
        Outcome::Sent { delivered: false } => ("sent", String::new(), None),
        Outcome::Temporary(why) if message.attempts < pacing.max_attempts => (
            "failed_temporary",
            why.clone(),
            Some(at + backoff(pacing, message.attempts)),
        ),
        Outcome::Temporary(why) => (
            "failed_permanent",
            format!("{why} (after {} attempts)", message.attempts),
            None,
        ),
        Outcome::Permanent(why) => ("failed_permanent", why.clone(), None),
        Outcome::Skipped(why) => ("skipped", why.clone(), None),
        Outcome::Deferred { .. } => return tx.commit().await,
    };
    // Once it is out (or never will be), a one-time code's text is kept without the code.
    sqlx::query(
        "update messages set status = $2, last_error = nullif($3, ''), next_attempt_at = $4,
             body = case when $2 = 'failed_temporary' then body
                 else coalesce(redacted_body, body) end,
             redacted_body = case when $2 = 'failed_temporary' then redacted_body end,
             sent_at = case when $2 in ('sent', 'delivered') then $5 else sent_at end,
             delivered_at = case when $2 = 'delivered' then $5 else delivered_at end
         where id = $1",
    )
    .bind(message.id)
    .bind(status)
    .bind(&detail)
    .bind(next)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into delivery_attempts (message_id, attempt, at, outcome, detail)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(message.id)
    .bind(message.attempts)
    .bind(at)
    .bind(status)
    .bind(&detail)
    .execute(&mut *tx)
    .await?;
    let stamp = Some(tongban_events::timestamp(at));
    match status {
        "sent" | "delivered" => {
            let sent = events::MessageSent {
                message: Some(message.reference()),
                attempt: message.attempts as u32,
                sent_at: stamp,
            };
            publish(&mut tx, message.id, &sent).await?;
            if status == "delivered" {
                let delivered = events::MessageDelivered {
                    message: Some(message.reference()),
                    delivered_at: stamp,
                };
                publish(&mut tx, message.id, &delivered).await?;
            }
        }
        "failed_permanent" => {
            let failed = events::MessageFailed {
                message: Some(message.reference()),
                attempts: message.attempts as u32,
                reason: detail.clone(),
                failed_at: stamp,
            };
            publish(&mut tx, message.id, &failed).await?;
        }
        _ => {}
    }
    tx.commit().await
}

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
        let outgoing = Outgoing {
            id: message.id,
            event_type: message.event_type.clone(),
            address,
            subject: message.subject.clone(),
            body: message.body.clone(),
            secret: message.secret.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_lets_a_burst_through_then_keeps_the_pace() {
        let throttle = Throttle::per_second(2).unwrap();
        let start = Instant::now();
        let long = Duration::from_secs(30);
        let waits: Vec<Duration> = (0..6)
            .map(|_| throttle.reserve(start, long).unwrap())
            .collect();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 500, 1000, 1500, 2000]);
        // A send that would wait longer than allowed reserves nothing.
        assert_eq!(
            throttle.reserve(start, Duration::from_millis(100)),
            Err(Duration::from_millis(2500))
        );
        assert_eq!(
            throttle.reserve(start, long),
            Ok(Duration::from_millis(2500))
        );
        // Idle time refills the burst, but not beyond it.
        let later = start + Duration::from_secs(60);
        assert_eq!(throttle.reserve(later, long), Ok(Duration::ZERO));
        assert_eq!(throttle.reserve(later, long), Ok(Duration::ZERO));
        assert_eq!(
            throttle.reserve(later, long),
            Ok(Duration::from_millis(500))
        );
        assert!(Throttle::per_second(0).is_none());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let pacing = pacing();
        assert_eq!(backoff(&pacing, 1), Duration::from_secs(5));
        assert_eq!(backoff(&pacing, 2), Duration::from_secs(10));
        assert_eq!(backoff(&pacing, 4), Duration::from_secs(40));
        assert_eq!(backoff(&pacing, 30), Duration::from_secs(3600));
    }

    fn pacing() -> Pacing {
        Pacing {
            poll: Duration::from_millis(500),
            batch: 50,
            retry_base: Duration::from_secs(5),
            max_attempts: 8,
            quiet_from: 22,
            quiet_until: 8,
            hourly_limit: 5,
        }
    }

    fn china(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        tongban_runtime::clock::china()
            .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_run_across_midnight_until_the_morning() {
        let pacing = pacing();
        assert_eq!(quiet_until(&pacing, china(27, 21, 59)), None);
        assert_eq!(
            quiet_until(&pacing, china(27, 22, 0)),
            Some(china(28, 8, 0))
        );
        assert_eq!(
            quiet_until(&pacing, china(28, 3, 30)),
            Some(china(28, 8, 0))
        );
        assert_eq!(quiet_until(&pacing, china(28, 8, 0)), None);
        let daytime = Pacing {
            quiet_from: 12,
            quiet_until: 14,
            ..pacing
        };
        assert_eq!(
            quiet_until(&daytime, china(27, 13, 0)),
            Some(china(27, 14, 0))
        );
        let never = Pacing {
            quiet_from: 0,
            quiet_until: 0,
            ..pacing
        };
        assert_eq!(quiet_until(&never, china(27, 23, 0)), None);
    }

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
