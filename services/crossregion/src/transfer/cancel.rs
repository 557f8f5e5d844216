//! A case ended before its decision (issue 25): the applicant withdrew it (acceptance's
//! CaseWithdrawn) or the receiving window refused it (CaseRefused, e.g. a 一件事 application sent
//! back by another part's region, whose other parts were taken over already). Its transfer, if
//! the handling region still owes something on it (sent, or taken over), is cancelled: nobody
//! takes a withdrawn case over, and no hand-over deadline is escalated for it.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::state::TransferState;
use super::store::{self, Change};

/// Why a case ended, as `TransferCancelled` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The applicant withdrew the application.
    Withdrawn,
    /// The receiving window did not accept it.
    RefusedAtWindow,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Withdrawn => "withdrawn",
            Self::RefusedAtWindow => "refused_at_window",
        }
    }
}

/// Cancels the open transfer of case `case_id` (`why`, with acceptance's `reason`, at `at`);
/// returns whether one was cancelled. A case never transferred, or whose transfer is back at
/// the window or decided, or a redelivered event, changes nothing.
pub async fn cancelled(
    tx: &mut PgConnection,
    case_id: Uuid,
    why: Why,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, Error> {
    let open = [TransferState::Sent, TransferState::Accepted];
    let Some(row) = store::of_case_in(tx, case_id, &open).await? else {
        return Ok(false);
    };
    let from = row.state;
    let row = store::apply(tx, &row, Change::Cancelled).await?;
    let event = events::TransferCancelled {
        transfer: Some(row.reference()),
        why: why.as_str().to_owned(),
        reason: reason.to_owned(),
        cancelled_at: Some(tongban_events::timestamp(at)),
    };
    let detail = json!({ "why": why.as_str(), "reason": reason, "from": from });
    let entry = Entry::new(at, None, "cancelled", detail);
    store::record(tx, &row, entry, Some(&event)).await?;
    Ok(true)
}
