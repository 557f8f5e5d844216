//! The notification service: templates, messages and channels (in-app inbox, SMS, e-mail, webhooks) with delivery attempts and receipts.
//!
//! # Layout
//! - [`app`]: the state every handler shares ([`AppState`]).
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`domain`]: kinds of message, their typed variables, template checking and rendering
//!   (no I/O).
//! - [`db`]: queries: messages from events, the inbox, templates.
//! - [`events`]: what it consumes (case events; role bindings and item names).
//! - [`delivery`]: the senders: every channel but the inbox, with attempts, back-off and caps.
//! - `/v1/codes`: one-time codes identity has texted (they never go on an event stream).
//! - `migrations/`: the `notification` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.notification.v1` through the outbox.
//!
//! # Where to find: the one-time correction notice (一次性告知)
//! From acceptance's `CorrectionRequested` event to the applicant, in four files:
//! 1. `events/cases.rs`, `On<CorrectionRequested>`: the case's facts (its applicant, kept in
//!    the `cases` projection) and the `items` to bring (every missing material's reason).
//! 2. `db/messages.rs`, `raise`: the rule for the event type names the template, the
//!    recipients (`applicant`) and the channels; the latest template version in the
//!    applicant's language is rendered ([`domain::render`]) and stored once per channel.
//! 3. `domain.rs`, `KINDS`: the notice's variables. Its rule and first wording are data of
//!    the migrations `20261128100000_notifications.sql` and `20261128110000_delivery.sql`
//!    (rules row `correction_requested`, urgent: no quiet hours, no hourly limit).
//! 4. `delivery/sender.rs`: the text and the e-mail are sent (the inbox's is there at once).

pub mod app;
pub mod config;
pub mod contacts;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod events;
pub mod http;
pub mod outbound;

pub use app::AppState;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "notification";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let sending: config::NotificationSettings = settings.section()?;
    let max_age_hours = sending.max_event_age_hours;
    let http = settings.http.clone();
    let stop_senders = shutdown.clone();
    let clock = settings.clock.clone();
    let outbound = outbound::Outbound::new(&sending.outbound_allow)?;
    let vault = settings.secrets.vault()?;
    let host = Host::connect(NAME, settings, migrator()).await?;
    db::webhooks::seal_plaintext(&host.pool, &vault).await?;
    let build = |host: &Host| {
        let pacing = delivery::Pacing {
            poll: Duration::from_millis(sending.sender_poll_ms.max(10)),
            batch: 50,
            retry_base: Duration::from_millis(sending.retry_base_ms.max(1)),
            max_attempts: sending.max_attempts.max(1),
            quiet_from: sending.quiet_hours_from,
            quiet_until: sending.quiet_hours_until,
            hourly_limit: i64::from(sending.hourly_limit.max(1)),
        };
        let wake = Arc::new(tokio::sync::Notify::new());
        match senders(&sending, &http, &outbound) {
            Ok((channels, contacts)) => {
                let sender = delivery::Sender {
                    pool: host.pool.clone(),
                    channels,
                    contacts,
                    pacing,
                    throttles: [
                        ("sms", sending.sms_per_second),
                        ("email", sending.email_per_second),
                        ("webhook", sending.webhook_per_second),
                    ]
                    .into_iter()
                    .filter_map(|(channel, rate)| {
                        Some((channel, delivery::Throttle::per_second(rate)?))
                    })
                    .collect(),
                    clock: clock.clone(),
                    wake: wake.clone(),
                    vault: vault.clone(),
                };
                tokio::spawn(sender.run(stop_senders));
            }
            Err(err) => tracing::error!(error = %err, "the senders could not start"),
        }
        let (api, doc) = http::app(AppState {
            pool: host.pool.clone(),
            sms_api_key: sending.sms_api_key.clone(),
            code_senders: Arc::new(sending.code_senders.clone()),
            wake,
            clock,
            outbound,
            vault,
        });
        (api, doc, events::consumers(max_age_hours))
    };
    let (api, doc, consumers) = build(&host);
    host.serve(listener, api, doc, consumers, shutdown).await
}

/// The channels configured here (webhooks always; SMS when a gateway is set; e-mail when an
/// SMTP server is) and the contacts reader.
fn senders(
    sending: &crate::config::NotificationSettings,
    http: &tongban_runtime::config::HttpSettings,
    outbound: &outbound::Outbound,
) -> anyhow::Result<(delivery::Channels, Arc<contacts::Contacts>)> {
    let timeout = Duration::from_millis(sending.send_timeout_ms);
    let mut channels: Vec<Arc<dyn delivery::Channel>> =
        vec![Arc::new(delivery::Webhook::new(timeout, outbound.clone())?)];
    if !sending.sms_endpoint.is_empty() {
        channels.push(Arc::new(delivery::SmsGateway::new(
            &sending.sms_endpoint,
            sending.sms_api_key.clone(),
            &sending.sms_callback_url,
            &sending.sms_sign,
            timeout,
        )?));
    }
    if !sending.smtp_host.is_empty() {
        channels.push(Arc::new(delivery::Email::new(sending, timeout)?));
    }
    let contacts = contacts::Contacts::new(
        http,
        &sending.client_id,
        sending.client_secret.clone(),
        timeout,
    )?;
    Ok((channels, Arc::new(contacts)))
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
