//! Writing events: in the caller's transaction, next to the state change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::{Event, topics};
use tongban_runtime::telemetry;

/// Who an event is about: the Kafka key, the CloudEvents subject and the regions concerned.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The aggregate id; one aggregate's events keep their order.
    pub key: &'a str,
    /// `ce_subject`: the case number for case events, absent otherwise.
    pub subject: Option<&'a str>,
    /// 12-digit region codes the event concerns.
    pub regions: Vec<String>,
}

/// Records `event` in the outbox within the caller's transaction and returns its `ce_id`.
/// The current span's trace context goes with it, so the consumer's span continues the trace.
pub async fn enqueue<E: Event>(
    tx: &mut PgConnection,
    about: &Subject<'_>,
    event: &E,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let trace: serde_json::Map<String, serde_json::Value> = telemetry::current_trace_headers()
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    sqlx::query(
        // created_at: the moment of the insert (not the transaction's start, which now() is),
        // from which the relay's and the consumers' delays are measured.
        "insert into outbox (id, topic, key, ce_type, ce_source, ce_subject, regions, headers, payload, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp())",
    )
    .bind(id)
    .bind(topics::of_service(E::SERVICE))
    .bind(about.key)
    .bind(E::TYPE)
    .bind(format!("/tongban/{}", E::SERVICE))
    .bind(about.subject)
    .bind(&about.regions)
    .bind(serde_json::Value::Object(trace))
    .bind(event.encode_to_vec())
    .execute(tx)
    .await?;
    Ok(id)
}
