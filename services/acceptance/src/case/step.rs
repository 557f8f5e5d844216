//! A case's steps: where each takes it (the transition table, or with its 一件事
//! application), what it stores beside the status, and its history entry, in one update.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_kernel::Error;

use super::state::{Action, Status, transition};
use super::store::{COLUMNS, Row, append, written};

/// Where a step takes a case.
#[derive(Debug, Clone, Copy)]
pub(super) enum Move {
    /// By `action`, as the transition table allows (else 409 `illegal_transition`).
    By(Action),
    /// A part of a bundle application, to where its bundle went (the bundle's move was
    /// checked; the applicant deals with one case, so its parts follow wherever they are).
    WithBundle(Status),
}

/// What a change stores beside the status.
pub(super) enum Change<'a> {
    /// The status alone (a correction notice).
    Status,
    Submitted {
        number: Option<&'a str>,
        query_password: Option<&'a str>,
        submissions: i32,
        at: DateTime<Utc>,
    },
    Accepted {
        due: NaiveDate,
        provisional: bool,
        at: DateTime<Utc>,
        by: Uuid,
    },
    Refused {
        reason: &'a str,
        at: DateTime<Utc>,
        by: Uuid,
    },
    Withdrawn {
        reason: &'a str,
        at: DateTime<Utc>,
    },
    Concluded {
        decision: &'a str,
        reason: &'a str,
        results: &'a Value,
        at: DateTime<Utc>,
        by: Option<Uuid>,
        department: Option<Uuid>,
    },
    /// The handling region sent round `round` back.
    Returned {
        round: i32,
        returned: &'a Value,
    },
    /// The result went out: the bundle's parts with it (counting the visit, a pickup's, on the
    /// case itself).
    Delivered {
        delivery: &'a Value,
        at: DateTime<Utc>,
        visit: i32,
    },
}

type Update<'q> = QueryAs<'q, Postgres, Row, PgArguments>;

impl<'a> Change<'a> {
    /// The columns it sets besides the status (`$2`), from `$3` on, and which rows.
    fn sql(&self) -> (&'static str, &'static str) {
        let one = "where id = $1";
        match self {
            Self::Status => ("", one),
            Self::Submitted { .. } => (
                ", number = $3, query_password = $4, submissions = $5, submitted_at = $6",
                one,
            ),
            Self::Accepted { .. } => (
                ", due_date = $3, due_date_provisional = $4, decided_at = $5, decided_by = $6",
                one,
            ),
            Self::Refused { .. } => (
                ", refusal_reason = $3, decided_at = $4, decided_by = $5",
                one,
            ),
            Self::Withdrawn { .. } => (", withdrawal_reason = $3, withdrawn_at = $4", one),
            Self::Concluded { .. } => (
                ", conclusion = $3, conclusion_reason = $4, results = $5, concluded_at = $6,
                   concluded_by = $7, handling_department_id = $8",
                one,
            ),
            Self::Returned { .. } => (", returns = $3, returned = $4", one),
            Self::Delivered { .. } => (
                ", delivery = $3, delivered_at = $4,
                   visits = visits + case when id = $1 then $5 else 0 end",
                "where id = $1 or parent_id = $1",
            ),
        }
    }

    /// Binds what [`Change::sql`] names, in its order.
    fn bind(&self, query: Update<'a>) -> Update<'a> {
        match *self {
            Self::Status => query,
            Self::Submitted {
                number,
                query_password,
                submissions,
                at,
            } => query
                .bind(number)
                .bind(query_password)
                .bind(submissions)
                .bind(at),
            Self::Accepted {
                due,
                provisional,
                at,
                by,
            } => query.bind(due).bind(provisional).bind(at).bind(by),
            Self::Refused { reason, at, by } => query.bind(reason).bind(at).bind(by),
            Self::Withdrawn { reason, at } => query.bind(reason).bind(at),
            Self::Concluded {
                decision,
                reason,
                results,
                at,
                by,
                department,
            } => query
                .bind(decision)
                .bind(reason)
                .bind(results)
                .bind(at)
                .bind(by)
                .bind(department),
            Self::Returned { round, returned } => query.bind(round).bind(returned),
            Self::Delivered {
                delivery,
                at,
                visit,
            } => query.bind(delivery).bind(at).bind(visit),
        }
    }
}

/// One step of a case: where it goes, what it stores, and its history entry.
pub(super) struct Step<'a> {
    pub(super) to: Move,
    pub(super) change: Change<'a>,
    pub(super) entry: Entry<'a>,
}

/// Moves case `row` by `step` (the transition table decides where; an illegal move is a 409),
/// writing its status, the change's columns and its history entry; returns the case as it now
/// is. A number taken meanwhile is a 409.
pub(super) async fn apply(tx: &mut PgConnection, row: &Row, step: Step<'_>) -> Result<Row, Error> {
    let to = match step.to {
        Move::By(action) => transition(row.status, action)?,
        Move::WithBundle(to) => to,
    };
    let (sets, rows) = step.change.sql();
    let sql = format!("update cases set status = $2{sets} {rows} returning {COLUMNS}");
    let query = sqlx::query_as(&sql).bind(row.id).bind(to);
    let updated: Vec<Row> = step
        .change
        .bind(query)
        .fetch_all(&mut *tx)
        .await
        .map_err(|err| {
            Error::conflict_on(
                err,
                &[("cases_number_key", "number_taken", "retry the submission")],
            )
        })?;
    let moved = updated
        .into_iter()
        .find(|r| r.id == row.id)
        .ok_or_else(|| Error::internal("the moved case vanished"))?;
    append(tx, &written(&moved), Some(row.status), to, step.entry).await?;
    Ok(moved)
}
