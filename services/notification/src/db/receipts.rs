//! Providers' delivery receipts: a sent text becomes delivered, or failed.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::notification::v1 as events;
use tongban_kernel::Error;

use crate::delivery::publish;

#[derive(sqlx::FromRow)]
struct Sent {
    event_id: Uuid,
    event_type: String,
    case_id: Option<Uuid>,
    recipient_id: Uuid,
    template: String,
    attempts: i32,
}

/// Records the receipt for text `id`; a text not awaiting one (unknown, already receipted) is
/// left alone. Returns whether it changed.
pub async fn sms(
    pool: &PgPool,
    id: Uuid,
    delivered: bool,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    let sent: Option<Sent> = sqlx::query_as(
        "update messages set status = $2,
             delivered_at = case when $2 = 'delivered' then $3 end,
             last_error = case when $2 = 'failed_permanent' then $4 end
         where id = $1 and channel = 'sms' and status = 'sent'
         returning event_id, event_type, case_id, recipient_id, template, attempts",
    )
    .bind(id)
    .bind(if delivered {
        "delivered"
    } else {
        "failed_permanent"
    })
    .bind(at)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sent) = sent else {
        return Ok(false);
    };
    let message = Some(
        crate::delivery::Reference {
            id,
            event_id: sent.event_id,
            event_type: &sent.event_type,
            case_id: sent.case_id,
            recipient_id: sent.recipient_id,
            channel: "sms",
            template: &sent.template,
        }
        .event(),
    );
    let stamp = Some(tongban_events::timestamp(at));
    if delivered {
        let event = events::MessageDelivered {
            message,
            delivered_at: stamp,
        };
        publish(&mut tx, id, &event).await?;
    } else {
        let event = events::MessageFailed {
            message,
            attempts: sent.attempts as u32,
            reason: reason.to_owned(),
            failed_at: stamp,
        };
        publish(&mut tx, id, &event).await?;
    }
    tx.commit().await?;
    Ok(true)
}
