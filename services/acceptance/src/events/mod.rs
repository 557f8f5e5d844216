//! Events the acceptance service consumes.
//!
//! - [`catalogue`]: item and bundle versions in force, and the working-day calendar, kept as a
//!   local projection so a submission is checked without calling the catalogue.

pub mod catalogue;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![ConsumerSpec {
        name: "catalogue-projection",
        topics: vec![topics::CATALOGUE],
        handler: Arc::new(catalogue::CatalogueProjection),
    }]
}
