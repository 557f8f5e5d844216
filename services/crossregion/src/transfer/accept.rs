//! The handling region takes a transfer over (a window clerk of the region, or a handler of the
//! item's department): its back office may now work the case.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::access;
use super::action::{ended, response_time};
use super::state::{Action, Side};
use super::store::{self, Change};
use super::view::Transfer;

pub async fn accept(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    revision: Option<i32>,
    now: Now,
) -> Result<Transfer, Error> {
    let mut tx = pool.begin().await?;
    let row = access::for_action(&mut tx, principal, id, Action::Accept, revision).await?;
    access::require_side(&row, principal, Side::Handling, "accepting a transfer")?;
    let (days, on_time) = response_time(&mut tx, &row, now.today).await?;
    let change = Change::Accepted {
        by: principal.account,
        at: now.at,
        on: now.today,
    };
    let row = store::apply(&mut tx, &row, change).await?;
    let detail = json!({ "working_days": days, "on_time": on_time });
    ended(tx, principal, row, now, "accepted", detail, |transfer| {
        events::TransferAccepted {
            transfer: Some(transfer),
            accepted_by: principal.account.to_string(),
            accepted_at: Some(tongban_events::timestamp(now.at)),
            on_time,
            working_days: days,
        }
    })
    .await
}
