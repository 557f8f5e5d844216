//! Events the crossregion service consumes.
//!
//! - [`catalogue`]: which items are in force and where each is handled.

pub mod catalogue;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![ConsumerSpec {
        name: "catalogue-items",
        topics: vec![topics::CATALOGUE],
        handler: Arc::new(catalogue::CatalogueItems),
    }]
}
