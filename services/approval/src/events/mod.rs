//! Events the approval service consumes, all through the service's one consumer group.
//!
//! - [`departments`]: the catalogue's departments, into a local directory.
//! - [`catalogue`]: item versions (steps, promised limit, results) and the working-day calendar.
//! - [`cases`]: acceptance's accepted cases, each opening a work item.
//! - [`front_office`]: acceptance's withdrawals and refusals, each closing the case's work item
//!   undecided (read with the accepted cases, in one case's order).
//! - [`transfers`]: the crossregion service's answers to transferred cases.
//! - `tongban_duties`: identity's separation-of-duties exceptions for named service centres.

pub mod cases;
pub mod catalogue;
pub mod departments;
pub mod front_office;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::acceptance::v1::{CaseAccepted, CaseRefused, CaseWithdrawn};
use tongban_events::catalogue::v1::{CalendarChanged, DepartmentRegistered, ItemPublished};
use tongban_events::crossregion::v1::{TransferAccepted, TransferRejected};
use tongban_events::topics;
use tongban_runtime::Clock;

pub fn consumers(warning_days: u32, clock: Clock) -> Vec<ConsumerSpec> {
    let catalogue = Arc::new(catalogue::CatalogueProjection {
        warning_days,
        clock: clock.clone(),
    });
    let transfers = Arc::new(transfers::TransferAnswers);
    let ends = Arc::new(front_office::FrontOfficeEnds);
    vec![
        ConsumerSpec::named("department-directory", &[topics::CATALOGUE])
            .on::<DepartmentRegistered, _>(Arc::new(departments::DepartmentDirectory))
            .into(),
        ConsumerSpec::named("catalogue-projection", &[topics::CATALOGUE])
            .on::<ItemPublished, _>(catalogue.clone())
            .on::<CalendarChanged, _>(catalogue)
            .into(),
        ConsumerSpec::named("accepted-cases", &[topics::ACCEPTANCE])
            .on::<CaseAccepted, _>(Arc::new(cases::AcceptedCases {
                warning_days,
                clock,
            }))
            .on::<CaseWithdrawn, _>(ends.clone())
            .on::<CaseRefused, _>(ends)
            .into(),
        ConsumerSpec::named("transfer-answers", &[topics::CROSSREGION])
            .on::<TransferAccepted, _>(transfers.clone())
            .on::<TransferRejected, _>(transfers)
            .into(),
        tongban_duties::consumer(),
    ]
}
