//! Acceptance delivered a transferred case's result: the transfer ends; a posted result is its
//! last postal leg.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::state::{DeliveryMethod, Direction, TransferState};
use super::store::{self, Change, NewLeg};

/// How the result of a transferred case reached the applicant (acceptance's CaseDelivered).
pub struct Delivery {
    pub case_id: Uuid,
    pub method: DeliveryMethod,
    pub carrier: String,
    pub tracking_number: String,
    pub delivered_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Returns whether a transfer moved.
pub async fn delivered(tx: &mut PgConnection, delivery: &Delivery) -> Result<bool, Error> {
    let Some(row) = store::of_case(tx, delivery.case_id, TransferState::Returned).await? else {
        return Ok(false);
    };
    let on = tongban_runtime::clock::local_date(delivery.at);
    let on_time = row.deliver_by.is_none_or(|by| super::state::met(by, on));
    let change = Change::Delivered {
        method: delivery.method,
        at: delivery.at,
        on,
    };
    let row = store::apply(tx, &row, change).await?;
    if delivery.method == DeliveryMethod::Post {
        let leg = NewLeg {
            transfer_id: row.id,
            direction: Direction::ResultToApplicant,
            carrier: &delivery.carrier,
            tracking_number: &delivery.tracking_number,
            sent_by: delivery.delivered_by,
            sent_at: delivery.at,
        };
        let leg_id = store::insert_leg(tx, &leg).await?;
        let event = events::PostalLegSent {
            transfer: Some(row.reference()),
            leg_id: leg_id.to_string(),
            direction: Direction::ResultToApplicant.as_str().into(),
            carrier: delivery.carrier.clone(),
            tracking_number: delivery.tracking_number.clone(),
            sent_by: delivery
                .delivered_by
                .map(|d| d.to_string())
                .unwrap_or_default(),
            sent_at: Some(tongban_events::timestamp(delivery.at)),
        };
        store::publish(tx, &row, &event).await?;
    }
    let event = events::TransferCompleted {
        transfer: Some(row.reference()),
        method: delivery.method.as_str().to_owned(),
        delivered_at: Some(tongban_events::timestamp(delivery.at)),
        on_time,
    };
    let detail = json!({ "method": delivery.method, "on_time": on_time });
    let entry = Entry::new(delivery.at, delivery.delivered_by, "delivered", detail);
    store::record(tx, &row, entry, Some(&event)).await?;
    Ok(true)
}
