//! The queue of messages to send: claiming the due ones under a lease.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::notification::v1 as events;

use super::pacing::Pacing;
use super::publish::Reference;

#[derive(sqlx::FromRow)]
pub(super) struct Claimed {
    pub(super) id: Uuid,
    pub(super) event_id: Uuid,
    pub(super) event_type: String,
    pub(super) case_id: Option<Uuid>,
    pub(super) recipient_id: Uuid,
    pub(super) channel: String,
    pub(super) template: String,
    pub(super) subject: String,
    pub(super) body: String,
    pub(super) attempts: i32,
    pub(super) urgent: bool,
    /// Where it goes when the message says (a webhook's URL; the number a one-time code is
    /// for); else the recipient's contact details.
    pub(super) address: Option<String>,
    /// A webhook's signing secret, sealed under the KEK.
    pub(super) sealed_secret: Option<Vec<u8>>,
    /// A one-time code's: it is not sent later than this.
    pub(super) expires_at: Option<DateTime<Utc>>,
}

impl Claimed {
    pub(super) fn reference(&self) -> events::MessageRef {
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

/// Claims up to `pacing.batch` messages due at `now` for `lease`.
pub(super) async fn claim(
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
             (select w.sealed_secret from webhooks w where w.id = m.recipient_id and m.channel = 'webhook') as sealed_secret",
    )
    .bind(pacing.batch)
    .bind(format!("{} seconds", lease.as_secs().max(1)))
    .bind(now)
    .fetch_all(pool)
    .await
}
