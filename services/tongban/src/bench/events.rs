//! `tongban bench events`: how long an event takes from the transaction in which acceptance
//! commits it to the transaction in which another service applies it — the outbox relay, the
//! broker, the consumer's fetch — while a county's windows accept applicants' cases at a
//! steady, moderate rate.
//!
//! The event is `CaseAccepted`, which approval, crossregion, notification and the statistics
//! all consume. Each latency is read from the database afterwards, so watching does not slow
//! what is watched: the event's outbox row (`acceptance.outbox.created_at`, the accepting
//! transaction's start) to the consumer's inbox row (`<service>.inbox.received_at`, the
//! applying transaction's start, written with the event's effect).

use std::time::{Duration, Instant};

use serde::Serialize;

use tongban_events::Event as _;
use tongban_events::acceptance::v1::CaseAccepted;
use tongban_runtime::Settings;

use super::intake::{Drafts, acceptance};
use super::{Measured, client, paced, percentiles, window_clerk};
use crate::Platform;

/// One consumer's view of the events: how long each took to reach it.
#[derive(Debug, Clone, Serialize)]
pub struct Consumed {
    /// `service/handler`, or `every consumer` for all together.
    pub consumer: String,
    pub events: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventsReport {
    pub cpus: usize,
    /// Acceptances offered per second.
    pub offered_per_second: f64,
    /// The acceptances at the window (requests through the gateway).
    pub acceptances: Measured,
    /// The first leg alone: the outbox row to its being marked sent (the relay woken, the
    /// broker's acknowledgement of every event in its batch).
    pub published: Consumed,
    /// Every consumer's deliveries together.
    pub all: Consumed,
    pub consumers: Vec<Consumed>,
}

/// Runs the benchmark: `cases` applicants' cases submitted, then accepted at `rate` per second.
pub async fn events(
    settings: Settings,
    cases: usize,
    rate: f64,
    progress: impl Fn(&str),
) -> anyhow::Result<EventsReport> {
    anyhow::ensure!(rate > 0.0, "the rate must be positive");
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, cases, rate, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    cases: usize,
    rate: f64,
    progress: &impl Fn(&str),
) -> anyhow::Result<EventsReport> {
    const CONCURRENCY: usize = 16;
    let client = client(&platform.settings.http, CONCURRENCY);
    let (gateway, drafts) =
        Drafts::on_demo(platform, &client, cases, CONCURRENCY, progress).await?;
    progress(&format!("submitting {cases} cases"));
    drafts.submit(&client, CONCURRENCY).await?;
    let clerk = window_clerk(&platform.settings, &client, &gateway).await?;

    progress(&format!("accepting {cases} cases at {rate} per second"));
    let acceptances = paced(
        &client,
        &drafts.accept_urls(),
        &acceptance(&drafts.deferrable),
        &clerk,
        rate,
    )
    .await?;

    progress("waiting for every consumer to apply every CaseAccepted");
    // One pool reading across the services' schemas (they share the database).
    let pool = tongban_runtime::db::connect(&platform.settings.database, "public").await?;
    let read = async { anyhow::Ok((delivered(&pool, cases).await?, sent(&pool).await?)) }.await;
    pool.close().await;
    let (latencies, published) = read?;
    let summary = |consumer: String, values: Vec<f64>| {
        let events = values.len();
        let [p50_ms, p95_ms, p99_ms, max_ms] = percentiles(values);
        Consumed {
            consumer,
            events,
            p50_ms,
            p95_ms,
            p99_ms,
            max_ms,
        }
    };
    let all = summary(
        "every consumer".to_owned(),
        latencies
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .collect(),
    );
    Ok(EventsReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        offered_per_second: rate,
        acceptances,
        published: summary("published (acceptance's relay)".to_owned(), published),
        all,
        consumers: latencies
            .into_iter()
            .map(|(consumer, values)| summary(consumer, values))
            .collect(),
    })
}

/// Each consumer's latencies (ms) for the `cases` CaseAccepted events, once every consumer that
/// applies them has applied every one (a consumer that has some must get all, within two
/// minutes).
async fn delivered(pool: &sqlx::PgPool, cases: usize) -> anyhow::Result<Vec<(String, Vec<f64>)>> {
    let consumers = tongban_runtime::config::SERVICES
        .iter()
        .filter(|s| **s != tongban_acceptance::NAME);
    let query = consumers
        .map(|schema| {
            format!(
                "select '{schema}/' || i.consumer, (extract(epoch from (i.received_at - o.created_at)) * 1000)::float8
                 from {schema}.inbox i join acceptance.outbox o on o.id = i.event_id
                 where o.ce_type = $1"
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows: Vec<(String, f64)> = sqlx::query_as(&query)
            .bind(CaseAccepted::TYPE)
            .fetch_all(pool)
            .await?;
        let mut by_consumer = std::collections::BTreeMap::<String, Vec<f64>>::new();
        for (consumer, latency) in rows {
            by_consumer.entry(consumer).or_default().push(latency);
        }
        let behind: Vec<String> = by_consumer
            .iter()
            .filter(|(_, v)| v.len() < cases)
            .map(|(c, v)| format!("{c} has {}", v.len()))
            .collect();
        if !by_consumer.is_empty() && behind.is_empty() {
            return Ok(by_consumer.into_iter().collect());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "after two minutes, of {cases} CaseAccepted events {}",
            if behind.is_empty() {
                "no consumer has applied any".to_owned()
            } else {
                behind.join(", ")
            }
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How long (ms) each CaseAccepted took from its outbox row to being marked sent.
async fn sent(pool: &sqlx::PgPool) -> anyhow::Result<Vec<f64>> {
    Ok(sqlx::query_scalar(
        "select (extract(epoch from (sent_at - created_at)) * 1000)::float8
         from acceptance.outbox where ce_type = $1 and sent_at is not null",
    )
    .bind(CaseAccepted::TYPE)
    .fetch_all(pool)
    .await?)
}

/// The report as a table for a terminal.
pub fn table(report: &EventsReport) -> String {
    let row = |c: &Consumed| {
        format!(
            "{:<52} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}\n",
            c.consumer, c.events, c.p50_ms, c.p95_ms, c.p99_ms, c.max_ms
        )
    };
    let mut out = format!(
        "CaseAccepted from acceptance's commit to each consumer's, {} CPUs, {:.0} acceptances/s offered ({:.0}/s answered, p99 {:.1} ms)\n{:<52} {:>7} {:>8} {:>8} {:>8} {:>8}\n",
        report.cpus,
        report.offered_per_second,
        report.acceptances.requests_per_second,
        report.acceptances.p99_ms,
        "consumer",
        "events",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
    );
    out.push_str(&row(&report.published));
    for consumer in &report.consumers {
        out.push_str(&row(consumer));
    }
    out.push_str(&row(&report.all));
    out
}
