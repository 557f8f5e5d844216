//! Events the crossregion service consumes.
//!
//! - [`catalogue`]: which items are in force and where each is handled; the working-day
//!   calendar.
//! - the transfers' hand-overs and clocks: `transfer::events`.

pub mod catalogue;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

use crate::transfer;

pub fn consumers(response_days: u32, delivery_days: u32) -> Vec<ConsumerSpec> {
    let mut consumers = vec![ConsumerSpec {
        name: "catalogue-items",
        topics: vec![topics::CATALOGUE],
        handler: Arc::new(catalogue::CatalogueItems),
    }];
    consumers.extend(transfer::events::consumers(response_days, delivery_days));
    consumers
}
