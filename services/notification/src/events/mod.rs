//! Events the notification service consumes, through its one consumer group.
//!
//! - [`cases`]: acceptance's, approval's and the crossregion service's case events, made into
//!   messages by the rules.
//! - [`directory`]: the staff's role bindings (identity) and the items' names (catalogue).

pub mod cases;
pub mod directory;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::topics;

/// The consumers; events older than `max_age_hours` make no message.
pub fn consumers(max_age_hours: u32) -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "role-bindings",
            topics: vec![topics::IDENTITY],
            handler: Arc::new(directory::RoleBindings),
        },
        ConsumerSpec {
            name: "preferences",
            topics: vec![topics::IDENTITY],
            handler: Arc::new(directory::Preferences),
        },
        ConsumerSpec {
            name: "item-names",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(directory::ItemNames),
        },
        cases::CaseMessages {
            max_age: chrono::Duration::hours(i64::from(max_age_hours)),
        }
        .consumer(),
    ]
}
