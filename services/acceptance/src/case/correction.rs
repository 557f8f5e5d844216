//! The one-time correction notice (一次性告知).

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
use super::store::{Listing, listing, load, publish, require_clerk, require_not_part};
use super::view::{Case, CorrectionItem, get};

/// Sends the one-time correction notice (一次性告知): everything to fix, at once. A case gets
/// one notice; a second is refused (409).
pub async fn request_correction(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    items: &[CorrectionItem],
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::RequestCorrection)?;
    let listing = listing(&mut tx, &row).await?;
    check_items(&listing, items)?;
    // One notice per round: before the first acceptance, and after each returned transfer.
    sqlx::query("insert into correction_notices (case_id, items, requested_by, requested_at, round) values ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(json!(items))
        .bind(principal.account)
        .bind(now)
        .bind(row.returns)
        .execute(&mut *tx)
        .await
        .map_err(|err| {
            Error::conflict_on(err, &[(
                "correction_notices_pkey",
                "correction_already_requested",
                "the one-time notice was already sent: accept or refuse the resubmission",
            )])
        })?;
    let step = Step {
        to: Move::By(Action::RequestCorrection),
        change: Change::Status,
        entry: Entry::new(
            now,
            Some(principal.account),
            "correction_requested",
            json!({ "items": items }),
        ),
    };
    apply(&mut tx, &row, step).await?;
    let event = events::CorrectionRequested {
        case: Some(row.reference()),
        items: items
            .iter()
            .map(|i| events::CorrectionItem {
                material_code: i.material_code.clone(),
                reason: i.reason.trim().to_owned(),
            })
            .collect(),
        requested_by: principal.account.to_string(),
        requested_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::NeedsCorrection, "", now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}

/// The notice lists 1 to 100 things to fix, each a material on the item's list with a reason
/// of 1 to 200 characters.
fn check_items(listing: &Listing, items: &[CorrectionItem]) -> Result<(), Error> {
    if items.is_empty() || items.len() > 100 {
        return Err(Error::bad_request("items", "list 1 to 100 things to fix"));
    }
    for (n, fix) in items.iter().enumerate() {
        if listing.listed_code(&fix.material_code).is_none() {
            return Err(Error::unprocessable(
                format!("items[{n}].material_code"),
                format!("{} is not on the item's material list", fix.material_code),
            ));
        }
        let reason = fix.reason.trim().chars().count();
        if reason == 0 || reason > 200 {
            return Err(Error::bad_request(
                format!("items[{n}].reason"),
                "must be 1 to 200 characters",
            ));
        }
    }
    Ok(())
}
