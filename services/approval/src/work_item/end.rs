//! The front office ends a case before its decision (issue 25): the applicant withdrew it
//! (撤回申请, acceptance's CaseWithdrawn), or the receiving window refused it (不予受理,
//! CaseRefused of a case or a 一件事 part already being handled). Its work item leaves the queue
//! undecided and its clock stops: the timers raise warnings and escalations only on work items
//! in progress, so none is raised for it later. Its history says why.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::Action;
use super::store::{self, Change, Entry};

/// How the front office ended the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The applicant withdrew the application.
    Withdrawn,
    /// The receiving window refused the application.
    RefusedAtWindow,
}

impl Ending {
    fn action(self) -> Action {
        match self {
            Self::Withdrawn => Action::Withdraw,
            Self::RefusedAtWindow => Action::RefuseAtWindow,
        }
    }

    /// Who ended it, in the history's words.
    fn by(self) -> &'static str {
        match self {
            Self::Withdrawn => "the applicant withdrew the application",
            Self::RefusedAtWindow => "the receiving window refused the application",
        }
    }
}

/// Ends the work item of case `case_id` as `ending` says, at `at`, with the front office's
/// `reason`; returns whether it changed. No work item (a case refused before acceptance, a
/// bundle case), one already decided (approved, refused: left alone) or already ended (a
/// redelivered event) changes nothing.
pub async fn ended_by_front_office(
    tx: &mut PgConnection,
    case_id: Uuid,
    ending: Ending,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, Error> {
    let Some(row) = store::load(tx, case_id, true).await? else {
        return Ok(false);
    };
    if row.state.is_final() {
        return Ok(false);
    }
    let from = row.state;
    let change = Change::Ended {
        action: ending.action(),
        reason,
    };
    let row = store::apply(tx, &row, change).await?;
    let entry = Entry {
        at,
        actor: None,
        action: row.state.as_str(),
        step: (row.current_step > 0).then_some(row.current_step),
        detail: json!({
            "why": ending.by(), "reason": reason, "from": from, "clock": "stopped",
        }),
    };
    store::note(tx, &row, entry).await?;
    Ok(true)
}
