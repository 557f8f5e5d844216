//! Events the acceptance service consumes.
//!
//! - [`catalogue`]: item and bundle versions in force, and the working-day calendar, kept as a
//!   local projection so a submission is checked without calling the catalogue.
//! - [`conclusions`]: approval's conclusions (办结); the result then awaits delivery.
//! - [`certificates`]: approval's e-certificates, which stand in for government-issued
//!   materials (一证通办).
//! - [`agreements`]: the crossregion service's 通办 agreements, which let other regions'
//!   windows take cases in for an item.
//! - [`progress`]: the back office's steps, pauses and extensions, into the case history.
//! - [`transfers`]: transfers the handling region sent back: the case returns to its window.

pub mod agreements;
pub mod catalogue;
pub mod certificates;
pub mod conclusions;
pub mod progress;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "catalogue-projection",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(catalogue::CatalogueProjection),
        },
        ConsumerSpec {
            name: "certificates",
            topics: vec![topics::APPROVAL],
            handler: Arc::new(certificates::Certificates),
        },
        ConsumerSpec {
            name: "conclusions",
            topics: vec![topics::APPROVAL],
            handler: Arc::new(conclusions::Conclusions),
        },
        ConsumerSpec {
            name: "agreements",
            topics: vec![topics::CROSSREGION],
            handler: Arc::new(agreements::Agreements),
        },
        ConsumerSpec {
            name: "back-office-progress",
            topics: vec![topics::APPROVAL],
            handler: Arc::new(progress::BackOfficeProgress),
        },
        ConsumerSpec {
            name: "returned-transfers",
            topics: vec![topics::CROSSREGION],
            handler: Arc::new(transfers::ReturnedTransfers),
        },
    ]
}
