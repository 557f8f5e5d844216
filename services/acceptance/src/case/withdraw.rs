//! The applicant withdraws before a decision (撤回申请): before acceptance, or while the back
//! office handles the case. `CaseWithdrawn` tells the others: approval closes the work item
//! (its clock stops), crossregion ends the transfer, notification tells the applicant. A
//! bundle's parts not decided yet are withdrawn with it, each with its own event.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use super::parts;
use super::state::{Action, Status};
use super::step::{Change, Move, Step, apply};
use super::store::{load, publish, require_applicant, require_not_part};
use super::view::{Case, get};

/// Withdraws the application before a decision (the applicant, or the clerk who entered it);
/// a concluded, delivered or refused case is a 409 saying where it stands.
pub async fn withdraw(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let reason = reason.trim();
    if reason.chars().count() > 500 {
        return Err(Error::bad_request("reason", "at most 500 characters"));
    }
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_applicant(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Withdraw)?;
    let step = Step {
        to: Move::By(Action::Withdraw),
        change: Change::Withdrawn { reason, at: now },
        entry: Entry::new(
            now,
            Some(principal.account),
            "withdrawn",
            json!({ "reason": reason }),
        ),
    };
    apply(&mut tx, &row, step).await?;
    // A draft never went anywhere: only a submitted case's withdrawal is news to others.
    if from != Status::Draft {
        let event = events::CaseWithdrawn {
            case: Some(row.reference()),
            reason: reason.to_owned(),
            withdrawn_at: Some(tongban_events::timestamp(now)),
        };
        publish(&mut tx, &row, &event).await?;
    }
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::Withdrawn, reason, now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}
