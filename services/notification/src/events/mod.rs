//! Events the notification service consumes, through its one consumer group.
//!
//! - [`cases`]: acceptance's, approval's and the crossregion service's case events, made into
//!   messages by the rules.
//! - [`directory`]: the staff's role bindings (identity) and the items' names (catalogue).

pub mod cases;
pub mod directory;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::catalogue::v1::ItemPublished;
use tongban_events::identity::v1::{PreferencesChanged, RoleGranted, RoleRevoked};
use tongban_events::topics;

/// The consumers; events older than `max_age_hours` make no message.
pub fn consumers(max_age_hours: u32) -> Vec<ConsumerSpec> {
    let bindings = Arc::new(directory::RoleBindings);
    vec![
        ConsumerSpec::named("role-bindings", &[topics::IDENTITY])
            .on::<RoleGranted, _>(bindings.clone())
            .on::<RoleRevoked, _>(bindings)
            .into(),
        ConsumerSpec::named("preferences", &[topics::IDENTITY])
            .on::<PreferencesChanged, _>(Arc::new(directory::Preferences))
            .into(),
        ConsumerSpec::named("item-names", &[topics::CATALOGUE])
            .on::<ItemPublished, _>(Arc::new(directory::ItemNames))
            .into(),
        cases::CaseMessages {
            max_age: chrono::Duration::hours(i64::from(max_age_hours)),
        }
        .consumer(),
    ]
}
