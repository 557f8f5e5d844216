//! Recording an attempt: the message's new status, the attempt row and the events it means, in
//! one transaction.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use tongban_events::notification::v1 as events;

use super::channel::Outcome;
use super::pacing::{Pacing, backoff};
use super::publish::publish;
use super::queue::Claimed;

/// Records one attempt's outcome and publishes what it means.
pub(super) async fn record(
    pool: &PgPool,
    pacing: &Pacing,
    message: &Claimed,
    outcome: &Outcome,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Outcome::Deferred { until, why } = outcome {
        requeue(&mut tx, message, *until, why).await?;
        return tx.commit().await;
    }
    let Some(verdict) = verdict(pacing, message, outcome, at) else {
        return tx.commit().await;
    };
    store(&mut tx, message, &verdict, at).await?;
    announce(&mut tx, message, &verdict, at).await?;
    tx.commit().await
}

/// What an attempt comes to: the message's status (stored as text, as it always was), the
/// reason of a failure or skip (empty when there is none), and when to try again.
struct Verdict {
    status: &'static str,
    detail: String,
    next: Option<DateTime<Utc>>,
}

/// The verdict on `outcome` (`None` for a deferral, which is no attempt): a temporary failure
/// is retried after a back-off until `pacing.max_attempts`, then final.
fn verdict(
    pacing: &Pacing,
    message: &Claimed,
    outcome: &Outcome,
    at: DateTime<Utc>,
) -> Option<Verdict> {
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
        Outcome::Deferred { .. } => return None,
    };
    Some(Verdict {
        status,
        detail,
        next,
    })
}

/// A deferral: not an attempt, so back in the queue for `until` with the count as it was.
async fn requeue(
    tx: &mut PgConnection,
    message: &Claimed,
    until: DateTime<Utc>,
    why: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update messages set status = 'queued', next_attempt_at = $2, attempts = attempts - 1,
             last_error = $3
         where id = $1",
    )
    .bind(message.id)
    .bind(until)
    .bind(why)
    .execute(tx)
    .await?;
    Ok(())
}

/// The message's new status and the attempt's row.
async fn store(
    tx: &mut PgConnection,
    message: &Claimed,
    verdict: &Verdict,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
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
    .bind(verdict.status)
    .bind(&verdict.detail)
    .bind(verdict.next)
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
    .bind(verdict.status)
    .bind(&verdict.detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The events the verdict means: sent (and delivered), or failed for good.
async fn announce(
    tx: &mut PgConnection,
    message: &Claimed,
    verdict: &Verdict,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let stamp = Some(tongban_events::timestamp(at));
    match verdict.status {
        "sent" | "delivered" => {
            let sent = events::MessageSent {
                message: Some(message.reference()),
                attempt: message.attempts as u32,
                sent_at: stamp,
            };
            publish(tx, message.id, &sent).await?;
            if verdict.status == "delivered" {
                let delivered = events::MessageDelivered {
                    message: Some(message.reference()),
                    delivered_at: stamp,
                };
                publish(tx, message.id, &delivered).await?;
            }
        }
        "failed_permanent" => {
            let failed = events::MessageFailed {
                message: Some(message.reference()),
                attempts: message.attempts as u32,
                reason: verdict.detail.clone(),
                failed_at: stamp,
            };
            publish(tx, message.id, &failed).await?;
        }
        _ => {}
    }
    Ok(())
}
