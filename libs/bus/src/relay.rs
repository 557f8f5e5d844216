//! The outbox relay: publishes committed outbox rows to Kafka, in order, and marks them sent.
//!
//! - One relay per schema publishes at a time (a session advisory lock), so replicas of a
//!   service cannot reorder one aggregate's events.
//! - It wakes on `LISTEN/NOTIFY` when a row commits and polls as a fallback.
//! - A batch is sent pipelined (every send queued, then every delivery awaited): one awaited send
//!   at a time would cost a broker round trip per event.
//! - Kafka down means delay, never loss: unsent rows stay until a delivery is acknowledged
//!   (`acks=all`). A crash between delivery and marking re-sends the row; consumers deduplicate
//!   on `ce_id`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::postgres::PgListener;
use sqlx::{Connection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use tongban_runtime::config::OutboxSettings;

use crate::envelope::Attributes;

/// How often sent rows past retention are deleted.
const CLEANUP_EVERY: Duration = Duration::from_secs(600);

/// Connections a service's relay opens beside its pool: the one holding the lead's advisory
/// lock, detached from the pool for as long as the lead lasts (the pool may open another in
/// its place). The connection budget (`tongban::connections`) counts it.
pub const CONNECTIONS_BESIDE_POOL: u32 = 1;

/// Connections the leading relay keeps out of its pool's reach: its `LISTEN` for committed
/// rows, taken from the pool while it leads.
pub const CONNECTIONS_HELD_FROM_POOL: u32 = 1;

pub struct Relay {
    pool: PgPool,
    /// The service schema whose outbox this relay drains (also its NOTIFY channel and lock).
    schema: String,
    producer: FutureProducer,
    settings: OutboxSettings,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    id: Uuid,
    topic: String,
    key: String,
    ce_type: String,
    ce_source: String,
    ce_subject: Option<String>,
    regions: Vec<String>,
    headers: serde_json::Value,
    payload: Vec<u8>,
    created_at: DateTime<Utc>,
}

/// What one round of publishing did.
struct Round {
    fetched: usize,
    failed: usize,
}

impl Relay {
    pub fn new(
        pool: PgPool,
        schema: &str,
        producer: FutureProducer,
        settings: OutboxSettings,
    ) -> Self {
        Self {
            pool,
            schema: schema.to_owned(),
            producer,
            settings,
        }
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.settings.poll_interval_ms)
    }

    /// Relays until `shutdown`; before returning it publishes what is already committed.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.lead(&shutdown).await {
                Ok(()) => break,
                Err(err) => {
                    tracing::warn!(schema = %self.schema, error = %err, "outbox relay interrupted, retrying");
                    tokio::select! {
                        () = tokio::time::sleep(self.poll_interval()) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        // Stopping: whatever way leading ended (an error as the process went down, or never
        // having led), publish what the last requests committed, unless another replica leads
        // and will.
        if let Err(err) = self.last_drain().await {
            tracing::warn!(schema = %self.schema, error = %err,
                "the outbox relay could not publish everything before stopping; the next relay will");
        }
    }

    /// Takes the lead if nobody holds it, publishes everything unsent, and lets go.
    async fn last_drain(&self) -> anyhow::Result<()> {
        let lock_key = format!("tongban.relay.{}", self.schema);
        let mut lock_conn = self.pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("select pg_try_advisory_lock(hashtext($1))")
            .bind(&lock_key)
            .fetch_one(&mut lock_conn)
            .await?;
        if locked {
            self.drain().await?;
        }
        let _ = lock_conn.close().await;
        Ok(())
    }

    /// Becomes the schema's relay, then publishes until shutdown. An error (the database went
    /// away) gives leadership up; `run` tries again.
    async fn lead(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let lock_key = format!("tongban.relay.{}", self.schema);
        // A dedicated connection: the lock lives as long as this session does.
        let mut lock_conn = self.pool.acquire().await?.detach();
        loop {
            let locked: bool = sqlx::query_scalar("select pg_try_advisory_lock(hashtext($1))")
                .bind(&lock_key)
                .fetch_one(&mut lock_conn)
                .await?;
            if locked {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll_interval()) => {}
                () = shutdown.cancelled() => return Ok(()),
            }
        }
        tracing::info!(schema = %self.schema, "outbox relay leading");
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener
            .listen(&format!("tongban_outbox_{}", self.schema))
            .await?;
        let mut last_cleanup = Instant::now();
        loop {
            self.drain().await?;
            if shutdown.is_cancelled() {
                let _ = lock_conn.close().await;
                return Ok(());
            }
            if last_cleanup.elapsed() >= CLEANUP_EVERY {
                self.cleanup().await?;
                last_cleanup = Instant::now();
            }
            tokio::select! {
                notification = listener.recv() => { notification?; }
                () = tokio::time::sleep(self.poll_interval()) => {
                    // Still holding the lock? A dead session lost it.
                    sqlx::query("select 1").execute(&mut lock_conn).await?;
                }
                () = shutdown.cancelled() => {}
            }
        }
    }

    /// Publishes full batches until the outbox is empty or a send fails.
    async fn drain(&self) -> anyhow::Result<()> {
        loop {
            let round = self.publish_batch().await?;
            if round.failed > 0 || round.fetched < self.settings.batch_size as usize {
                return Ok(());
            }
        }
    }

    async fn publish_batch(&self) -> anyhow::Result<Round> {
        let rows: Vec<Row> = sqlx::query_as(
            "select seq, id, topic, key, ce_type, ce_source, ce_subject, regions, headers, payload, created_at
             from outbox where sent_at is null order by seq limit $1",
        )
        .bind(self.settings.batch_size)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(Round {
                fetched: 0,
                failed: 0,
            });
        }
        // Queue every send first, then await the acknowledgements.
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let attributes = Attributes {
                id: row.id,
                source: row.ce_source.clone(),
                ce_type: row.ce_type.clone(),
                time: row.created_at,
                subject: row.ce_subject.clone(),
                regions: row.regions.clone(),
                trace: trace_headers(&row.headers),
            };
            let record = FutureRecord::to(&row.topic)
                .key(&row.key)
                .payload(&row.payload)
                .headers(attributes.to_headers());
            pending.push(self.producer.send_result(record).map_err(|(err, _)| err));
        }
        let mut sent = Vec::with_capacity(rows.len());
        let mut failed = 0;
        for (row, queued) in rows.iter().zip(pending) {
            let outcome = match queued {
                Ok(delivery) => match delivery.await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err((err, _))) => Err(err.to_string()),
                    Err(_) => Err("producer dropped the message".to_owned()),
                },
                Err(err) => Err(err.to_string()),
            };
            match outcome {
                Ok(()) => sent.push(row.seq),
                Err(error) => {
                    failed += 1;
                    tracing::warn!(schema = %self.schema, event_id = %row.id, %error, "event not published, will retry");
                }
            }
        }
        if !sent.is_empty() {
            sqlx::query("update outbox set sent_at = now() where seq = any($1)")
                .bind(&sent)
                .execute(&self.pool)
                .await?;
        }
        metrics::counter!("outbox_published_total", "schema" => self.schema.clone())
            .increment(sent.len() as u64);
        if failed > 0 {
            metrics::counter!("outbox_publish_failures_total", "schema" => self.schema.clone())
                .increment(failed as u64);
        }
        Ok(Round {
            fetched: rows.len(),
            failed,
        })
    }

    async fn cleanup(&self) -> anyhow::Result<()> {
        let deleted = sqlx::query(
            "delete from outbox where sent_at < now() - make_interval(hours => $1::int)",
        )
        .bind(self.settings.retention_hours as i32)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if deleted > 0 {
            tracing::debug!(schema = %self.schema, deleted, "outbox cleaned");
        }
        Ok(())
    }
}

fn trace_headers(headers: &serde_json::Value) -> Vec<(String, String)> {
    headers
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
