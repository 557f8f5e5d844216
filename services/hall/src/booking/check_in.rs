//! Checking in at the kiosk (签到): the booking's QR code (its id) or the identity card turns
//! a booking of today into a ticket, due at the slot's start, so the window calls it before
//! the walk-ins once its time comes. Anyone at the kiosk may do it; no sign-in.

use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::clock::china;
use tongban_kernel::{Error, Now, RegionCode};

use super::book::move_to;
use super::person::{PersonKey, id_number};
use super::state::{Action, Status};
use super::store;
use crate::centre;
use crate::queue::order::Priority;
use crate::queue::take::{self, Issued, NewTicket};

/// What the kiosk read: the QR code of the booking, or the identity card.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CheckInForm {
    /// The booking's id, as its QR code carries it.
    pub appointment_id: Option<Uuid>,
    /// The identity card number of the person booked for.
    pub id_number: Option<String>,
}

/// Checks in at the centre of `region` at `now`; the ticket as the person sees it.
pub async fn check_in(
    pool: &PgPool,
    persons: &PersonKey,
    region: &RegionCode,
    form: CheckInForm,
    now: Now,
) -> Result<Issued, Error> {
    let card = match form.id_number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(id_number("id_number", n)?),
        _ => None,
    };
    let mut tx = pool.begin().await?;
    let centre = centre::store::get(&mut tx, region.as_str()).await?;
    take::require_open(&mut tx, &centre, now).await?;
    let found = match (form.appointment_id, &card) {
        (Some(id), _) => Some(store::lock(&mut tx, id).await?)
            .filter(|a| a.region_code == region.as_str() && a.day == now.today),
        (None, Some(card)) => {
            let person = persons.digest(card);
            store::lock_pending_of(&mut tx, region.as_str(), &person, now.today).await?
        }
        (None, None) => {
            return Err(Error::unprocessable(
                "appointment_id",
                "scan the booking's QR code, or read the identity card (id_number)",
            ));
        }
    };
    let mut appointment =
        found.ok_or_else(|| Error::NotFound(format!("no booking for today at {}", centre.name)))?;
    if appointment.status == Status::Booked && appointment.ends_at <= now.at {
        return Err(Error::Conflict {
            code: "appointment_missed",
            message: format!(
                "the booked slot ended at {}; please take a ticket",
                appointment.ends_at.with_timezone(&china()).format("%H:%M")
            ),
        });
    }
    move_to(&mut appointment, Action::CheckIn)?;
    appointment.checked_in_at = Some(now.at);
    let group = centre
        .groups
        .iter()
        .find(|g| g.id == appointment.group_id && g.active)
        .ok_or_else(|| Error::Conflict {
            code: "group_closed",
            message: "the window group of this booking is closed; please ask at the desk".into(),
        })?;
    // The card read now, or the one given when booking (65 or older today).
    let priority = match &card {
        Some(card) => Priority::of(card.birth_date(), None, now.today),
        None => appointment.priority,
    };
    let ticket = take::issue(
        &mut tx,
        region.as_str(),
        group,
        NewTicket {
            appointment_id: Some(appointment.id),
            due_at: Some(appointment.starts_at),
            person_id: appointment.account_id,
            item_code: Some(appointment.item_code.clone()),
            priority,
            weight: centre.rules.weight(priority),
        },
        now,
    )
    .await?;
    let event = events::AppointmentCheckedIn {
        appointment: Some(appointment.reference()),
        ticket_id: ticket.id.to_string(),
        number: ticket.number.clone(),
        checked_in_at: Some(tongban_events::timestamp(now.at)),
    };
    store::save(&mut tx, &appointment, &event).await?;
    let issued = take::issued(&mut tx, &ticket, group, now.at).await?;
    tx.commit().await?;
    Ok(issued)
}
