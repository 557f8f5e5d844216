//! Cancelling a booking: the person (or a clerk of the hall) until the centre's
//! `cancel_before_minutes` before the slot; a hold any time.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::clock::china;
use tongban_kernel::{Error, Principal};

use super::book::{move_to, require_party};
use super::state::{Action, Status};
use super::store::{self, Appointment};
use crate::centre;

/// Cancels appointment `id` at `now`.
pub async fn cancel(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Appointment, Error> {
    let mut tx = pool.begin().await?;
    let mut appointment = store::lock(&mut tx, id).await?;
    require_party(principal, &appointment)?;
    let was = appointment.status;
    if was == Status::Booked {
        let rules = centre::store::get(&mut tx, &appointment.region_code)
            .await?
            .rules;
        let until =
            appointment.starts_at - Duration::minutes(i64::from(rules.cancel_before_minutes));
        if now > until {
            return Err(Error::Conflict {
                code: "too_late_to_cancel",
                message: format!(
                    "a booking can be cancelled until {} (China time), {} minutes before its \
                     slot; the hall can still be told at the window",
                    until.with_timezone(&china()).format("%Y-%m-%d %H:%M"),
                    rules.cancel_before_minutes
                ),
            });
        }
    }
    move_to(&mut appointment, Action::Cancel)?;
    appointment.cancelled_at = Some(now);
    appointment.held_until = None;
    if was == Status::Held {
        // A hold was never announced; letting it go is no cancellation to count.
        store::update(&mut tx, &appointment).await?;
    } else {
        let event = events::AppointmentCancelled {
            appointment: Some(appointment.reference()),
            cancelled_by: principal.account.to_string(),
            cancelled_at: Some(tongban_events::timestamp(now)),
        };
        store::save(&mut tx, &appointment, &event).await?;
    }
    tx.commit().await?;
    Ok(appointment)
}
