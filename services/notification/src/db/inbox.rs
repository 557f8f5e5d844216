//! The in-app inbox: each account reads its own messages, newest first, and marks them read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

/// A message in an inbox.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct InboxMessage {
    pub id: Uuid,
    /// The case it is about, if any.
    pub case_id: Option<Uuid>,
    /// The kind of message (its template key).
    pub template: String,
    pub subject: String,
    pub body: String,
    /// Urgent messages are the ones to act on (a correction notice, an overdue case).
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the caller's inbox, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    pub messages: Vec<InboxMessage>,
    /// Unread messages in the whole inbox.
    pub unread: i64,
    /// Pass as `before` for the next page; absent on the last.
    pub next: Option<Uuid>,
}

/// The caller's messages, newest first (`unread_only`: those not read yet), after the message
/// `before` of a previous page.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Inbox, Error> {
    let mut messages: Vec<InboxMessage> = sqlx::query_as(
        "select id, case_id, template, subject, body, urgent, created_at, read_at
         from messages
         where channel = 'inbox' and recipient_id = $1 and (not $2 or read_at is null)
           and ($3::uuid is null or (created_at, id) < (select created_at, id from messages
                                                         where id = $3 and recipient_id = $1))
         order by created_at desc, id desc
         limit $4",
    )
    .bind(principal.account)
    .bind(unread_only)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let next = (messages.len() as i64 > limit).then(|| {
        messages.truncate(limit as usize);
        messages.last().map(|m| m.id)
    });
    Ok(Inbox {
        messages,
        unread: unread(pool, principal).await?,
        next: next.flatten(),
    })
}

/// How many of the caller's messages are unread.
pub async fn unread(pool: &PgPool, principal: &Principal) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "select count(*) from messages
         where channel = 'inbox' and recipient_id = $1 and read_at is null",
    )
    .bind(principal.account)
    .fetch_one(pool)
    .await?)
}

/// Marks one of the caller's messages read (again is a no-op); someone else's is a 404.
pub async fn mark_read(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<InboxMessage, Error> {
    sqlx::query_as(
        "update messages set read_at = coalesce(read_at, now())
         where id = $1 and channel = 'inbox' and recipient_id = $2
         returning id, case_id, template, subject, body, urgent, created_at, read_at",
    )
    .bind(id)
    .bind(principal.account)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("message {id}")))
}

/// Marks every unread message of the caller read; returns how many.
pub async fn mark_all_read(pool: &PgPool, principal: &Principal) -> Result<u64, Error> {
    Ok(sqlx::query(
        "update messages set read_at = now()
         where channel = 'inbox' and recipient_id = $1 and read_at is null",
    )
    .bind(principal.account)
    .execute(pool)
    .await?
    .rows_affected())
}
