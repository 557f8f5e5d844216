//! Events the approval service consumes, all through the service's one consumer group.
//!
//! - [`departments`]: the catalogue's departments, into a local directory.
//! - [`catalogue`]: item versions (steps, promised limit, results) and the working-day calendar.
//! - [`cases`]: acceptance's accepted cases, each opening a work item.
//! - [`transfers`]: the crossregion service's answers to transferred cases.

pub mod cases;
pub mod catalogue;
pub mod departments;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;
use tongban_runtime::Clock;

pub fn consumers(warning_days: u32, clock: Clock) -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "department-directory",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(departments::DepartmentDirectory),
        },
        ConsumerSpec {
            name: "catalogue-projection",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(catalogue::CatalogueProjection {
                warning_days,
                clock: clock.clone(),
            }),
        },
        ConsumerSpec {
            name: "accepted-cases",
            topics: vec![topics::ACCEPTANCE],
            handler: Arc::new(cases::AcceptedCases {
                warning_days,
                clock,
            }),
        },
        ConsumerSpec {
            name: "transfer-answers",
            topics: vec![topics::CROSSREGION],
            handler: Arc::new(transfers::TransferAnswers),
        },
    ]
}
