//! Separation of duties (审批分离, 一审一核): the person who accepted a case completes none of
//! its approval steps, and no one completes two steps of one case (an item whose process is
//! 审核合一 has one back-office step). Checked when a step is claimed and again when it is
//! completed, returned or decided; refused with 403 and a code naming the rule, unless the
//! handling centre has an exception in force (a town centre with one officer): then the action
//! goes on, marked in the history and counted (`tongban_duties`).

use sqlx::PgConnection;

use tongban_duties::Excepted;
use tongban_kernel::{Error, Principal};

use super::state::StepState;
use super::store::Row;

/// `Ok` when `principal` may act on step `position` of `row`: `Some` when only the handling
/// centre's exception allows it.
pub async fn check(
    tx: &mut PgConnection,
    principal: &Principal,
    row: &Row,
    position: i32,
) -> Result<Option<Excepted>, Error> {
    match refusal(tx, principal, row, position).await? {
        None => Ok(None),
        Some(refusal) => tongban_duties::excepted(tx, &row.handling_region, refusal)
            .await
            .map(Some),
    }
}

/// The first rule `principal` would break by acting on step `position` of `row`.
async fn refusal(
    tx: &mut PgConnection,
    principal: &Principal,
    row: &Row,
    position: i32,
) -> Result<Option<Error>, Error> {
    if row.accepted_by == Some(principal.account) {
        return Ok(Some(Error::Denied {
            code: "acceptor_does_not_approve",
            message: "you accepted this case: another person handles its approval steps \
                      (separation of duties)"
                .into(),
        }));
    }
    let other: Option<(i32, String)> = sqlx::query_as(
        "select position, name from work_item_steps
         where case_id = $1 and position <> $2 and state = $4 and completed_by = $3
         order by position limit 1",
    )
    .bind(row.case_id)
    .bind(position)
    .bind(principal.account)
    .bind(StepState::Done)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(other.map(|(done, name)| Error::Denied {
        code: "one_step_per_person",
        message: format!(
            "you completed step {done} ({name}) of this case: another person handles \
             step {position} (separation of duties)"
        ),
    }))
}

/// `detail` of action `action` on `row` by `principal`, marked when it went on under an
/// exception (and the use counted).
pub async fn mark(
    tx: &mut PgConnection,
    excepted: Option<&Excepted>,
    principal: &Principal,
    row: &Row,
    action: &str,
    detail: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, Error> {
    let used = tongban_duties::Use {
        subject_id: row.case_id,
        reference: &row.case_number,
        action,
        actor: principal.account,
        at,
    };
    tongban_duties::mark(tx, excepted, used, detail).await
}
