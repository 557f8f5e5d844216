//! Approval's conclusion (办结) of an accepted case.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::Status;
use super::store::{COLUMNS, Row, record};

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
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row.filter(|r| r.status == Status::Accepted) else {
        return Ok(false);
    };
    sqlx::query(
        "update cases set status = $8, conclusion = $2, conclusion_reason = $3, results = $4,
             concluded_at = $5, concluded_by = $6, handling_department_id = $7
         where id = $1",
    )
    .bind(id)
    .bind(decision)
    .bind(reason)
    .bind(&results)
    .bind(at)
    .bind(decided_by)
    .bind(department)
    .bind(Status::Concluded)
    .execute(&mut *conn)
    .await?;
    record(
        conn,
        id,
        None,
        "concluded",
        Some(Status::Accepted),
        Status::Concluded,
        json!({ "decision": decision, "reason": reason }),
    )
    .await?;
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
