//! A transfer sent back by the handling region (跨域通办).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_kernel::Error;

use super::state::{Action, Status};
use super::step::{Change, Move, Step, apply};
use super::store::lock;

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
    let row = lock(conn, id).await?;
    let Some(row) = row.filter(|r| r.status == Status::Accepted && r.returns + 1 == round) else {
        return Ok(false);
    };
    let mut cases = vec![(row, round)];
    if let Some(parent) = cases[0].0.parent_id {
        let bundle = lock(conn, parent).await?;
        if let Some(bundle) = bundle.filter(|b| b.status == Status::Accepted) {
            let round = bundle.returns + 1;
            cases.push((bundle, round));
        }
    }
    for (case, round) in cases {
        let detail =
            json!({ "round": round, "part": (case.id != id).then_some(id), "returned": returned });
        let step = Step {
            to: Move::By(Action::ReturnTransfer),
            change: Change::Returned {
                round,
                returned: &returned,
            },
            // Stamped when the handling region sent it back.
            entry: Entry::new(at, None, "transfer_returned", detail),
        };
        apply(conn, &case, step).await?;
    }
    Ok(true)
}
