//! What the insight service consumes: every case-bearing topic and the halls', into
//! order-independent facts (see [`crate::db::facts`] and [`crate::db::halls`]).
//!
//! - [`catalogue`]: item and department names.
//! - [`cases`]: acceptance's case events and approval's conclusions and red flags.
//! - [`transfers`]: crossregion's hand-overs.
//! - [`ratings`]: ratings (好差评).
//! - [`halls`]: the halls' queue tickets and bookings (取号、叫号、预约).
//! - `support`: what the handlers share (the halls' day of an instant, required fields,
//!   the freshness mark).

pub mod cases;
pub mod catalogue;
pub mod halls;
pub mod ratings;
mod support;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::acceptance::v1::{
    CaseAccepted, CaseDelivered, CaseRefused, CaseSubmitted, CaseWithdrawn, CorrectionRequested,
    Rated, VisitRecorded,
};
use tongban_events::approval::v1::{CaseConcluded, CaseOverdue};
use tongban_events::catalogue::v1::{DepartmentRegistered, ItemPublished};
use tongban_events::crossregion::v1::{
    ResultReturned, TransferAccepted, TransferCompleted, TransferRejected, TransferSent,
};
use tongban_events::hall::v1::{
    AppointmentBooked, AppointmentCancelled, AppointmentCheckedIn, AppointmentMissed,
    BookingSuspended, TicketAbsent, TicketCalled, TicketCancelled, TicketFinished, TicketIssued,
    TicketServingStarted, TicketTransferred,
};
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    let names = Arc::new(catalogue::Names);
    let cases = Arc::new(cases::Cases);
    let transfers = Arc::new(transfers::Transfers);
    vec![
        ConsumerSpec::named("names", &[topics::CATALOGUE])
            .on::<ItemPublished, _>(names.clone())
            .on::<DepartmentRegistered, _>(names)
            .into(),
        ConsumerSpec::named("cases", &[topics::ACCEPTANCE, topics::APPROVAL])
            .on::<CaseSubmitted, _>(cases.clone())
            .on::<CorrectionRequested, _>(cases.clone())
            .on::<CaseAccepted, _>(cases.clone())
            .on::<CaseRefused, _>(cases.clone())
            .on::<CaseWithdrawn, _>(cases.clone())
            .on::<VisitRecorded, _>(cases.clone())
            .on::<CaseDelivered, _>(cases.clone())
            .on::<CaseConcluded, _>(cases.clone())
            .on::<CaseOverdue, _>(cases)
            .into(),
        ConsumerSpec::named("transfers", &[topics::CROSSREGION])
            .on::<TransferSent, _>(transfers.clone())
            .on::<TransferAccepted, _>(transfers.clone())
            .on::<TransferRejected, _>(transfers.clone())
            .on::<ResultReturned, _>(transfers.clone())
            .on::<TransferCompleted, _>(transfers)
            .into(),
        ConsumerSpec::named("ratings", &[topics::ACCEPTANCE])
            .on::<Rated, _>(Arc::new(ratings::Ratings))
            .into(),
        halls(),
    ]
}

/// The halls' tickets and bookings (a booking's reminder is passed over).
fn halls() -> ConsumerSpec {
    let halls = Arc::new(halls::Halls);
    ConsumerSpec::named("halls", &[topics::HALL])
        .on::<TicketIssued, _>(halls.clone())
        .on::<TicketCalled, _>(halls.clone())
        .on::<TicketServingStarted, _>(halls.clone())
        .on::<TicketFinished, _>(halls.clone())
        .on::<TicketAbsent, _>(halls.clone())
        .on::<TicketTransferred, _>(halls.clone())
        .on::<TicketCancelled, _>(halls.clone())
        .on::<AppointmentBooked, _>(halls.clone())
        .on::<AppointmentCancelled, _>(halls.clone())
        .on::<AppointmentCheckedIn, _>(halls.clone())
        .on::<AppointmentMissed, _>(halls.clone())
        .on::<BookingSuspended, _>(halls)
        .into()
}

/// Every topic the statistics are fed from.
pub fn topics() -> Vec<&'static str> {
    let mut topics: Vec<&'static str> = consumers().into_iter().flat_map(|c| c.topics).collect();
    topics.sort_unstable();
    topics.dedup();
    topics
}
