//! Postal legs the halls send each other: the receiving window posts the originals (while the
//! transfer is sent or accepted), the handling region the paper result (once it is returned);
//! the side a leg was posted to confirms it arrived.

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::access;
use super::action::ended;
use super::state::Direction;
use super::store::{self, NewLeg as StoredLeg};
use super::view::Transfer;

/// A postal leg one hall sends the other.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLeg {
    /// materials (originals, from the receiving window) or result_to_receiving (the paper
    /// result, from the handling region).
    pub direction: String,
    /// 1-50 characters each.
    pub carrier: String,
    pub tracking_number: String,
}

fn text(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 50 {
        return Err(Error::bad_request(field, "must be 1 to 50 characters"));
    }
    Ok(value.to_owned())
}

/// Records paper put in the post by the side that sends it.
pub async fn send_leg(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    leg: &NewLeg,
    now: Now,
) -> Result<Transfer, Error> {
    let direction = Direction::parse(&leg.direction);
    let Some((direction, (from, _, action))) = direction.and_then(|d| Some((d, d.leg()?))) else {
        return Err(Error::bad_request(
            "direction",
            "materials or result_to_receiving",
        ));
    };
    let carrier = text("carrier", &leg.carrier)?;
    let tracking = text("tracking_number", &leg.tracking_number)?;
    let mut tx = pool.begin().await?;
    let row = access::for_action(&mut tx, principal, id, action, None).await?;
    access::require_side(&row, principal, from, "posting this leg")?;
    let stored = StoredLeg {
        transfer_id: id,
        direction,
        carrier: &carrier,
        tracking_number: &tracking,
        sent_by: Some(principal.account),
        sent_at: now.at,
    };
    let leg_id = store::insert_leg(&mut tx, &stored).await?;
    let row = store::bump(&mut tx, row.id).await?;
    let detail = json!({ "leg": leg_id, "direction": direction, "carrier": carrier, "tracking_number": tracking });
    ended(tx, principal, row, now, "leg_sent", detail, |transfer| {
        events::PostalLegSent {
            transfer: Some(transfer),
            leg_id: leg_id.to_string(),
            direction: direction.as_str().to_owned(),
            carrier,
            tracking_number: tracking,
            sent_by: principal.account.to_string(),
            sent_at: Some(tongban_events::timestamp(now.at)),
        }
    })
    .await
}

/// The side a leg was posted to confirms it arrived.
pub async fn receive_leg(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    leg_id: Uuid,
    now: Now,
) -> Result<Transfer, Error> {
    let mut tx = pool.begin().await?;
    let row = access::visible(&mut tx, principal, id, true).await?;
    let Some((direction, received)) = store::leg_for_update(&mut tx, id, leg_id).await? else {
        return Err(Error::NotFound(format!("postal leg {leg_id}")));
    };
    let Some((_, to, _)) = direction.leg() else {
        return Err(Error::Conflict {
            code: "illegal_transition",
            message: "a result posted to the applicant is not received by a hall".into(),
        });
    };
    access::require_side(&row, principal, to, "receiving this leg")?;
    if received.is_some() {
        return Err(Error::Conflict {
            code: "already_received",
            message: format!("postal leg {leg_id} was received already"),
        });
    }
    store::receive_leg(&mut tx, leg_id, principal.account, now.at).await?;
    let row = store::bump(&mut tx, row.id).await?;
    let detail = json!({ "leg": leg_id, "direction": direction });
    ended(
        tx,
        principal,
        row,
        now,
        "leg_received",
        detail,
        |transfer| events::PostalLegReceived {
            transfer: Some(transfer),
            leg_id: leg_id.to_string(),
            direction: direction.as_str().to_owned(),
            received_by: principal.account.to_string(),
            received_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await
}
