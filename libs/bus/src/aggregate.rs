//! What every aggregate (a case, a work item, a transfer, a rating ...) does when it changes:
//! appends a row to its history and, when the change is published, writes its event to the
//! outbox, both in the caller's transaction. One helper for all, so each aggregate's store says
//! only which table and which key.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::Event;

use crate::outbox::{self, Subject};

/// An aggregate whose changes are kept in a history table and published through the outbox.
pub trait Aggregate {
    /// Its history table (`case_history`) and the column naming the aggregate (`case_id`).
    /// Every history table has `at`, `actor`, `action` and `detail` besides.
    const HISTORY: (&'static str, &'static str);

    /// The aggregate's id, as its history rows name it.
    fn id(&self) -> Uuid;

    /// Who its events are about: the Kafka key (one aggregate's events stay in order), the
    /// CloudEvents subject and the regions concerned.
    fn subject(&self) -> Subject<'_>;
}

/// A column of a history table beyond the common ones (a case's states, a work item's step).
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    Text(Option<&'a str>),
    Int(Option<i32>),
}

/// One history row.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// When it happened: the service clock's now, or the instant another service's event
    /// states.
    pub at: DateTime<Utc>,
    /// Who did it; none for the platform itself (a timer, another service's event).
    pub actor: Option<Uuid>,
    /// What happened, in snake case (`accepted`, `step_completed`).
    pub action: &'a str,
    pub detail: serde_json::Value,
    /// The aggregate's own columns, by name.
    pub columns: &'a [(&'static str, Column<'a>)],
}

impl<'a> Entry<'a> {
    /// An entry with the common columns only.
    pub fn new(
        at: DateTime<Utc>,
        actor: Option<Uuid>,
        action: &'a str,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            at,
            actor,
            action,
            detail,
            columns: &[],
        }
    }

    /// The same entry with the aggregate's own columns.
    pub fn with(self, columns: &'a [(&'static str, Column<'a>)]) -> Self {
        Self { columns, ..self }
    }
}

/// Appends `entry` to `aggregate`'s history.
pub async fn record<A: Aggregate + ?Sized>(
    tx: &mut PgConnection,
    aggregate: &A,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    let (table, key) = A::HISTORY;
    let mut names = format!("{key}, at, actor, action, detail");
    let mut values = "$1, $2, $3, $4, $5".to_owned();
    for (n, (name, _)) in entry.columns.iter().enumerate() {
        names.push_str(", ");
        names.push_str(name);
        values.push_str(&format!(", ${}", n + 6));
    }
    // The statement is the same for every row of one aggregate's kind: prepared once per
    // connection.
    let sql = format!("insert into {table} ({names}) values ({values})");
    let mut query = sqlx::query(&sql)
        .bind(aggregate.id())
        .bind(entry.at)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(&entry.detail);
    for (_, column) in entry.columns {
        query = match *column {
            Column::Text(text) => query.bind(text),
            Column::Int(int) => query.bind(int),
        };
    }
    query.execute(tx).await?;
    Ok(())
}

/// Writes `event` about `aggregate` to the outbox; returns its `ce_id`.
pub async fn publish<A: Aggregate + ?Sized, E: Event>(
    tx: &mut PgConnection,
    aggregate: &A,
    event: &E,
) -> Result<Uuid, sqlx::Error> {
    outbox::enqueue(tx, &aggregate.subject(), event).await
}
