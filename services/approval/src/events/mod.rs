//! Events the approval service consumes.

pub mod departments;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![ConsumerSpec {
        name: "department-directory",
        topics: vec![topics::CATALOGUE],
        handler: Arc::new(departments::DepartmentDirectory),
    }]
}
