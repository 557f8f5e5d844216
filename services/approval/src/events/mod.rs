//! Events the approval service consumes: the catalogue's departments (a directory) and item
//! versions (their steps), and acceptance's accepted cases (work items).

pub mod departments;
pub mod work_items;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "department-directory",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(departments::DepartmentDirectory),
        },
        ConsumerSpec {
            name: "item-steps",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(work_items::ItemSteps),
        },
        // On its own consumer: waiting for an item's steps never holds up the catalogue topic.
        ConsumerSpec {
            name: "work-items",
            topics: vec![topics::ACCEPTANCE],
            handler: Arc::new(work_items::WorkItems),
        },
    ]
}
