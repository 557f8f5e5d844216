//! The halls (大厅) from tongban.hall.v1: queue tickets (取号、叫号: issued, called with the wait,
//! served with the walk and the service, absent, transferred, cancelled) and bookings (预约:
//! booked, cancelled, checked in, missed, and the suspension a no-show began), into
//! [`crate::db::halls`]. The reminder of a booking is not a statistic and is passed over.

use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::hall::v1::{
    AppointmentBooked, AppointmentCancelled, AppointmentCheckedIn, AppointmentMissed,
    AppointmentRef, BookingSuspended, TicketAbsent, TicketCalled, TicketCancelled, TicketFinished,
    TicketIssued, TicketRef, TicketServingStarted, TicketTransferred,
};

use super::support::{day, required, seen};
use crate::db::halls::{self, AppointmentFacts, AppointmentStep, TicketStep};

pub struct Halls;

/// Records ticket `ticket`'s `step` and moves the freshness mark.
async fn ticket_step(
    tx: &mut PgConnection,
    event: &Delivered,
    ticket: Option<&TicketRef>,
    step: TicketStep,
) -> Result<(), HandleError> {
    let facts = ticket_facts(required("ticket", ticket)?, event)?;
    halls::ticket(tx, &facts, &step).await?;
    seen(tx, event).await
}

fn ticket_facts(ticket: &TicketRef, event: &Delivered) -> Result<halls::TicketFacts, HandleError> {
    let issued_for = match field::optional_date("ticket.day", &ticket.day)? {
        Some(date) => date,
        // The hall's day of the event: what the ticket was issued for, near enough.
        None => day(event.attributes.time),
    };
    Ok(halls::TicketFacts {
        ticket_id: field::uuid("ticket.ticket_id", &ticket.ticket_id)?,
        region_code: ticket.region_code.clone(),
        group_id: field::uuid("ticket.group_id", &ticket.group_id)?,
        number: ticket.number.clone(),
        day: issued_for,
        appointment_id: field::optional_uuid("ticket.appointment_id", &ticket.appointment_id)?,
        priority: ticket.priority.clone(),
        offset: event.offset,
    })
}

fn window(id: &str) -> Result<Uuid, HandleError> {
    field::uuid("window_id", id)
}

impl On<TicketIssued> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        issued: TicketIssued,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(issued.arrived_at);
        ticket_step(tx, event, issued.ticket.as_ref(), TicketStep::Issued { at }).await
    }
}

impl On<TicketCalled> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        called: TicketCalled,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = TicketStep::Called {
            window: window(&called.window_id)?,
            window_name: called.window_name.clone(),
            calls: called.calls,
            at: event.instant(called.called_at),
            wait_ms: called.wait_ms.max(0),
        };
        ticket_step(tx, event, called.ticket.as_ref(), step).await
    }
}

impl On<TicketServingStarted> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        started: TicketServingStarted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = TicketStep::Started {
            window: window(&started.window_id)?,
            at: event.instant(started.started_at),
            walk_ms: started.walk_ms.max(0),
        };
        ticket_step(tx, event, started.ticket.as_ref(), step).await
    }
}

impl On<TicketFinished> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        finished: TicketFinished,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = TicketStep::Finished {
            window: window(&finished.window_id)?,
            at: event.instant(finished.finished_at),
            service_ms: finished.service_ms.max(0),
        };
        ticket_step(tx, event, finished.ticket.as_ref(), step).await
    }
}

impl On<TicketAbsent> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        absent: TicketAbsent,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = TicketStep::Absent {
            window: window(&absent.window_id)?,
            at: event.instant(absent.at),
        };
        ticket_step(tx, event, absent.ticket.as_ref(), step).await
    }
}

impl On<TicketTransferred> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        transferred: TicketTransferred,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(transferred.at);
        let step = TicketStep::Transferred { at };
        ticket_step(tx, event, transferred.ticket.as_ref(), step).await
    }
}

impl On<TicketCancelled> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        cancelled: TicketCancelled,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(cancelled.at);
        let step = TicketStep::Cancelled { at };
        ticket_step(tx, event, cancelled.ticket.as_ref(), step).await
    }
}

/// Records booking `appointment`'s `step` and moves the freshness mark.
async fn appointment_step(
    tx: &mut PgConnection,
    event: &Delivered,
    appointment: Option<&AppointmentRef>,
    step: AppointmentStep,
) -> Result<(), HandleError> {
    let facts = appointment_facts(required("appointment", appointment)?, event)?;
    halls::appointment(tx, &facts, step).await?;
    seen(tx, event).await
}

fn appointment_facts(
    appointment: &AppointmentRef,
    event: &Delivered,
) -> Result<AppointmentFacts, HandleError> {
    let starts_at = appointment.starts_at.map(|at| event.instant(Some(at)));
    let slot_day = match field::optional_date("appointment.day", &appointment.day)? {
        Some(date) => date,
        None => day(starts_at.unwrap_or(event.attributes.time)),
    };
    Ok(AppointmentFacts {
        appointment_id: field::uuid("appointment.appointment_id", &appointment.appointment_id)?,
        region_code: appointment.region_code.clone(),
        group_id: field::optional_uuid("appointment.group_id", &appointment.group_id)?,
        item_code: appointment.item_code.clone(),
        day: slot_day,
        starts_at,
        channel: appointment.channel.clone(),
        offset: event.offset,
    })
}

impl On<AppointmentBooked> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        booked: AppointmentBooked,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = AppointmentStep::Booked {
            at: event.instant(booked.booked_at),
        };
        appointment_step(tx, event, booked.appointment.as_ref(), step).await
    }
}

impl On<AppointmentCancelled> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        cancelled: AppointmentCancelled,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = AppointmentStep::Cancelled {
            at: event.instant(cancelled.cancelled_at),
        };
        appointment_step(tx, event, cancelled.appointment.as_ref(), step).await
    }
}

impl On<AppointmentCheckedIn> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        checked_in: AppointmentCheckedIn,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = AppointmentStep::CheckedIn {
            at: event.instant(checked_in.checked_in_at),
            ticket: field::optional_uuid("ticket_id", &checked_in.ticket_id)?,
        };
        appointment_step(tx, event, checked_in.appointment.as_ref(), step).await
    }
}

impl On<AppointmentMissed> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        missed: AppointmentMissed,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = AppointmentStep::Missed {
            at: event.instant(missed.at),
        };
        appointment_step(tx, event, missed.appointment.as_ref(), step).await
    }
}

impl On<BookingSuspended> for Halls {
    async fn on(
        &self,
        tx: &mut PgConnection,
        suspended: BookingSuspended,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let step = AppointmentStep::Suspended {
            until: event.instant(suspended.until),
        };
        appointment_step(tx, event, suspended.appointment.as_ref(), step).await
    }
}
