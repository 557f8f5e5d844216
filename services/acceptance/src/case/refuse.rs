//! Not accepting a case (不予受理).

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
use super::store::{load, publish, require_clerk, require_not_part};
use super::view::{Case, get};

/// Does not accept the case (不予受理), with the written reason the law requires.
pub async fn refuse(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 500 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Refuse)?;
    let step = Step {
        to: Move::By(Action::Refuse),
        change: Change::Refused {
            reason,
            at: now,
            by: principal.account,
        },
        entry: Entry::new(
            now,
            Some(principal.account),
            "refused",
            json!({ "reason": reason }),
        ),
    };
    apply(&mut tx, &row, step).await?;
    let event = events::CaseRefused {
        case: Some(row.reference()),
        reason: reason.to_owned(),
        refused_by: principal.account.to_string(),
        refused_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::Refused, reason, now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}
