//! `tongban bench notification`: how fast events become messages, and how fast a backlog of
//! queued messages drains.
//!
//! - **Events in → messages stored.** `events` CaseAccepted events are written into acceptance's
//!   outbox in one go (as a burst of acceptances would leave them). The relay, the broker and
//!   the notification consumer then turn each into the applicant's inbox message and text,
//!   rendered from the template. The clock runs until the last message is stored.
//! - **Backlog drain.** `queued` webhook messages are written straight into the queue for a
//!   partner on loopback that answers 200. The clock runs until the senders have delivered
//!   them all: each is signed, posted, and recorded with its event.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::acceptance::v1 as acceptance;

use crate::Platform;

const HESHAN: &str = "430903000000";

#[derive(Debug, Clone, Serialize)]
pub struct NotificationReport {
    pub cpus: usize,
    /// Events written, and the messages they made (an inbox message and a text each).
    pub events: usize,
    pub messages: usize,
    pub events_per_second: f64,
    pub messages_per_second: f64,
    /// Webhook messages queued, and how long the senders took to deliver them all.
    pub queued: usize,
    pub drain_seconds: f64,
    pub delivered_per_second: f64,
    /// Calls the partner took (one per message: none failed, none repeated).
    pub partner_calls: usize,
}

pub async fn notification(
    mut settings: tongban_runtime::Settings,
    events: usize,
    queued: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<NotificationReport> {
    // Senders look often: the drain measures them, not their idle poll. The partner listens
    // on loopback, which webhooks may reach only when allowed.
    let sending = settings.section_mut::<tongban_notification::config::NotificationSettings>()?;
    sending.sender_poll_ms = 20;
    sending.outbound_allow = vec!["127.0.0.1".into()];
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, events, queued, &progress).await
    })
    .await
}

async fn wait_for(
    pool: &sqlx::PgPool,
    sql: &str,
    expected: i64,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let count: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
        if count >= expected {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{count} of {expected} after {within:?}: {sql}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn measure(
    platform: &Platform,
    events: usize,
    queued: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<NotificationReport> {
    let client = super::client(&platform.settings.http, 1);
    super::wait_ready(&client, platform).await?;
    let pool = tongban_runtime::db::connect(&platform.settings.database, "acceptance").await?;
    // The notification consumer has its group and its rules in place before the burst.
    wait_for(
        &pool,
        "select count(*) from notification.rules",
        1,
        Duration::from_secs(60),
    )
    .await?;

    progress(&format!(
        "writing {events} CaseAccepted events into the outbox"
    ));
    let applicant = Uuid::now_v7();
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    for n in 0..events {
        let case_id = Uuid::now_v7().to_string();
        let number = format!("11430903MB0001015R4204300101000{:012}", n);
        let event = acceptance::CaseAccepted {
            case: Some(acceptance::CaseRef {
                case_id: case_id.clone(),
                case_number: number.clone(),
                implementation_code: "11430903MB0001015R4204300101000".into(),
                item_version: 1,
                receiving_region: HESHAN.into(),
                handling_region: HESHAN.into(),
                channel: "online".into(),
                applicant_id: applicant.to_string(),
                applicant_kind: "citizen".into(),
                kind: "item".into(),
                mode: "online".into(),
                ..Default::default()
            }),
            accepted_at: Some(tongban_events::timestamp(
                tongban_kernel::Clock::system().now(),
            )),
            due_date: "2026-12-11".into(),
            round: 1,
            ..Default::default()
        };
        let about = Subject {
            key: &case_id,
            subject: Some(&number),
            regions: vec![HESHAN.into()],
        };
        outbox::enqueue(&mut tx, &about, &event).await?;
    }
    tx.commit().await?;
    progress("waiting for every message to be stored");
    let messages = 2 * events;
    wait_for(
        &pool,
        "select count(*) from notification.messages
         where event_type = 'cn.tongban.acceptance.case_accepted.v1'",
        messages as i64,
        Duration::from_secs(600),
    )
    .await?;
    let made = started.elapsed().as_secs_f64();

    progress(&format!(
        "queueing {queued} webhook messages for a loopback partner"
    ));
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let partner = axum::Router::new().route(
        "/events",
        axum::routing::post(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, partner).await });
    let hook = Uuid::now_v7();
    sqlx::query(
        "insert into notification.webhooks (id, name, url, secret, event_types, enabled)
         values ($1, '压测伙伴', $2, 'bench-secret', '{}', false)",
    )
    .bind(hook)
    .bind(format!("http://{address}/events"))
    .execute(&pool)
    .await?;
    let drain_started = Instant::now();
    sqlx::query(
        "insert into notification.messages (id, event_id, event_type, recipient_id, channel,
             template, template_version, locale, subject, body, status, created_at, next_attempt_at)
         select gen_random_uuid(), gen_random_uuid(), 'bench', $1, 'webhook', '', 0, '', 'bench',
             '{\"bench\":true}', 'queued', now(), now()
         from generate_series(1, $2)",
    )
    .bind(hook)
    .bind(queued as i64)
    .execute(&pool)
    .await?;
    progress("waiting for the senders to deliver them all");
    wait_for(
        &pool,
        "select count(*) from notification.messages where channel = 'webhook' and status = 'delivered'",
        queued as i64,
        Duration::from_secs(1_800),
    )
    .await
    .context("draining the queue")?;
    let drained = drain_started.elapsed().as_secs_f64();
    server.abort();
    pool.close().await;
    Ok(NotificationReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        events,
        messages,
        events_per_second: events as f64 / made,
        messages_per_second: messages as f64 / made,
        queued,
        drain_seconds: drained,
        delivered_per_second: queued as f64 / drained,
        partner_calls: calls.load(Ordering::Relaxed),
    })
}

/// The report as lines for a terminal.
pub fn table(report: &NotificationReport) -> String {
    format!(
        "notification, {} CPUs\n\
         events in → messages stored   {:>7} events  {:>7} messages  {:>8.0} events/s  {:>8.0} messages/s\n\
         backlog drain (webhooks)      {:>7} queued  {:>7} calls     {:>8.1} s         {:>8.0} delivered/s\n",
        report.cpus,
        report.events,
        report.messages,
        report.events_per_second,
        report.messages_per_second,
        report.queued,
        report.partner_calls,
        report.drain_seconds,
        report.delivered_per_second,
    )
}
