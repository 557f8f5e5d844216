//! The handling region sends a transfer back with the reason: the case returns to the
//! receiving window, which tells the applicant once what to fix (or refuses the case).

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::access;
use super::action::{ended, response_time};
use super::state::{Action, RejectionKind, Side};
use super::store::{self, Change};
use super::view::Transfer;

/// Why the handling region sends a transfer back.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// not_competent (not theirs to decide) or materials_defective.
    pub kind: String,
    /// What is wrong, for the receiving window to tell the applicant (1-500 characters).
    pub reason: String,
    /// The revision the caller saw.
    #[serde(default)]
    pub revision: Option<i32>,
}

pub async fn reject(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    rejection: &Rejection,
    now: Now,
) -> Result<Transfer, Error> {
    let Some(kind) = RejectionKind::parse(&rejection.kind) else {
        return Err(Error::bad_request(
            "kind",
            "not_competent or materials_defective",
        ));
    };
    let reason = rejection.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 500 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let row =
        access::for_action(&mut tx, principal, id, Action::Reject, rejection.revision).await?;
    access::require_side(&row, principal, Side::Handling, "rejecting a transfer")?;
    let (_, on_time) = response_time(&mut tx, &row, now.today).await?;
    let change = Change::Rejected {
        by: principal.account,
        at: now.at,
        on: now.today,
        kind,
        reason,
    };
    let row = store::apply(&mut tx, &row, change).await?;
    let detail = json!({ "kind": kind, "reason": reason, "on_time": on_time });
    ended(tx, principal, row, now, "rejected", detail, |transfer| {
        events::TransferRejected {
            transfer: Some(transfer),
            reason_kind: kind.as_str().to_owned(),
            reason: reason.to_owned(),
            rejected_by: principal.account.to_string(),
            rejected_at: Some(tongban_events::timestamp(now.at)),
            on_time,
        }
    })
    .await
}
