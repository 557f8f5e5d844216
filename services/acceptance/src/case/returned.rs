//! A transfer sent back by the handling region (跨域通办).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::Status;
use super::store::{COLUMNS, Row, record_at};

/// The handling region sent round `round` of the case's transfer back (kind: not_competent or
/// materials_defective): the case returns to its receiving window, and a part takes its bundle
/// with it (the applicant deals with one case). Returns whether anything changed: a rejection
/// of an earlier round, or of a case no longer accepted, is passed over.
pub async fn transfer_returned(
    conn: &mut PgConnection,
    id: Uuid,
    round: i32,
    returned: Value,
    at: DateTime<Utc>,
) -> Result<bool, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row.filter(|r| r.status == Status::Accepted && r.returns + 1 == round) else {
        return Ok(false);
    };
    let mut cases = vec![(row.id, round)];
    if let Some(parent) = row.parent_id {
        let bundle: Option<i32> = sqlx::query_scalar(
            "select returns from cases where id = $1 and status = $2 for update",
        )
        .bind(parent)
        .bind(Status::Accepted)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(returns) = bundle {
            cases.push((parent, returns + 1));
        }
    }
    for (case, round) in cases {
        sqlx::query("update cases set status = $4, returns = $2, returned = $3 where id = $1")
            .bind(case)
            .bind(round)
            .bind(&returned)
            .bind(Status::Returned)
            .execute(&mut *conn)
            .await?;
        record_at(
            conn,
            case,
            Some(at),
            None,
            "transfer_returned",
            Some(Status::Accepted),
            Status::Returned,
            json!({ "round": round, "part": (case != id).then_some(id), "returned": returned }),
        )
        .await?;
    }
    Ok(true)
}
