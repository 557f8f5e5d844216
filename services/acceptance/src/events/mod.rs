//! Events the acceptance service consumes.
//!
//! - [`catalogue`]: item and bundle versions in force, and the working-day calendar, kept as a
//!   local projection so a submission is checked without calling the catalogue.
//! - [`conclusions`]: approval's conclusions (办结); the result then awaits delivery.
//! - [`certificates`]: approval's e-certificates, which stand in for government-issued
//!   materials (一证通办).
//! - `tongban_agreements`: the crossregion service's 通办 agreements, which let other regions'
//!   windows take cases in for an item.
//! - [`progress`]: the back office's steps, pauses and extensions, into the case history.
//! - [`transfers`]: transfers the handling region sent back: the case returns to its window.
//! - `tongban_duties`: identity's separation-of-duties exceptions for named service centres.

pub mod catalogue;
pub mod certificates;
pub mod conclusions;
pub mod progress;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::approval::v1::{
    CaseConcluded, CaseOverdue, CertificateIssued, CertificateRevoked, ClockPaused, ClockResumed,
    DueDateRecalculated, StepClaimed, StepCompleted, StepReturned, TimeLimitExtended,
    WorkItemOpened,
};
use tongban_events::catalogue::v1::{
    BundlePublished, BundleWithdrawn, CalendarChanged, ItemPublished, ItemWithdrawn,
};
use tongban_events::crossregion::v1::TransferRejected;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    let catalogue = Arc::new(catalogue::CatalogueProjection);
    let certificates = Arc::new(certificates::Certificates);
    let progress = Arc::new(progress::BackOfficeProgress);
    vec![
        ConsumerSpec::named("catalogue-projection", &[topics::CATALOGUE])
            .on::<ItemPublished, _>(catalogue.clone())
            .on::<ItemWithdrawn, _>(catalogue.clone())
            .on::<BundlePublished, _>(catalogue.clone())
            .on::<BundleWithdrawn, _>(catalogue.clone())
            .on::<CalendarChanged, _>(catalogue)
            .into(),
        ConsumerSpec::named("certificates", &[topics::APPROVAL])
            .on::<CertificateIssued, _>(certificates.clone())
            .on::<CertificateRevoked, _>(certificates)
            .into(),
        ConsumerSpec::named("conclusions", &[topics::APPROVAL])
            .on::<CaseConcluded, _>(Arc::new(conclusions::Conclusions))
            .into(),
        tongban_agreements::consumer(),
        ConsumerSpec::named("back-office-progress", &[topics::APPROVAL])
            .on::<WorkItemOpened, _>(progress.clone())
            .on::<StepClaimed, _>(progress.clone())
            .on::<StepCompleted, _>(progress.clone())
            .on::<StepReturned, _>(progress.clone())
            .on::<ClockPaused, _>(progress.clone())
            .on::<ClockResumed, _>(progress.clone())
            .on::<TimeLimitExtended, _>(progress.clone())
            .on::<CaseOverdue, _>(progress.clone())
            .on::<DueDateRecalculated, _>(progress)
            .into(),
        ConsumerSpec::named("returned-transfers", &[topics::CROSSREGION])
            .on::<TransferRejected, _>(Arc::new(transfers::ReturnedTransfers))
            .into(),
        tongban_duties::consumer(),
    ]
}
