//! Events the crossregion service consumes.
//!
//! - [`catalogue`]: which items are in force and where each is handled; the working-day
//!   calendar.
//! - [`cases`]: accepted, concluded and delivered cases: the transfers' hand-overs.
//! - [`clock`]: the transferred cases' clocks as the handling back office runs them.

pub mod cases;
pub mod catalogue;
pub mod clock;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers(response_days: u32, delivery_days: u32) -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "catalogue-items",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(catalogue::CatalogueItems),
        },
        ConsumerSpec {
            name: "transferred-cases",
            topics: vec![topics::ACCEPTANCE, topics::APPROVAL],
            handler: Arc::new(cases::TransferredCases {
                response_days,
                delivery_days,
            }),
        },
        ConsumerSpec {
            name: "case-clock",
            topics: vec![topics::APPROVAL],
            handler: Arc::new(clock::CaseClock),
        },
    ]
}
