//! Approval's conclusion (办结) of an accepted case.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_kernel::Error;

use super::state::{Action, Status};
use super::step::{Change, Move, Step, apply};
use super::store::lock;

/// Records approval's conclusion (办结) of a case that was accepted: the result now awaits
/// delivery. A part of a bundle application concludes on its own; the bundle concludes when its
/// last part does (approved when every part was). Returns whether anything changed (a case
/// that is not awaiting a conclusion is left alone).
#[allow(clippy::too_many_arguments)]
pub async fn conclude(
    conn: &mut PgConnection,
    id: Uuid,
    decision: &str,
    reason: &str,
    results: Value,
    at: DateTime<Utc>,
    decided_by: Option<Uuid>,
    department: Option<Uuid>,
) -> Result<bool, Error> {
    let row = lock(conn, id).await?;
    let Some(row) = row.filter(|r| r.status == Status::Accepted) else {
        return Ok(false);
    };
    let step = Step {
        to: Move::By(Action::Conclude),
        change: Change::Concluded {
            decision,
            reason,
            results: &results,
            at,
            by: decided_by,
            department,
        },
        // Stamped when approval concluded it.
        entry: Entry::new(
            at,
            None,
            "concluded",
            json!({ "decision": decision, "reason": reason }),
        ),
    };
    apply(conn, &row, step).await?;
    if let Some(parent) = row.parent_id {
        let (open, refused): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where status = $2),
                    count(*) filter (where conclusion = 'refused')
             from cases where parent_id = $1",
        )
        .bind(parent)
        .bind(Status::Accepted)
        .fetch_one(&mut *conn)
        .await?;
        if open == 0 {
            let decision = if refused == 0 { "approved" } else { "refused" };
            let results: Value = sqlx::query_scalar(
                "select coalesce(jsonb_agg(r), '[]') from cases, jsonb_array_elements(results) r where parent_id = $1",
            )
            .bind(parent)
            .fetch_one(&mut *conn)
            .await?;
            Box::pin(conclude(
                conn, parent, decision, "", results, at, None, None,
            ))
            .await?;
        }
    }
    Ok(true)
}
