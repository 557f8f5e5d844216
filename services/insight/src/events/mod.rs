//! What the insight service consumes: every case-bearing topic, into order-independent facts
//! (see [`crate::db::facts`]).
//!
//! - [`catalogue`]: item and department names.
//! - [`cases`]: acceptance's case events and approval's conclusions and red flags.
//! - [`transfers`]: crossregion's hand-overs.
//! - [`ratings`]: ratings (好差评).

pub mod cases;
pub mod catalogue;
pub mod ratings;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::{ConsumerSpec, HandleError};
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            name: "names",
            topics: vec![topics::CATALOGUE],
            handler: Arc::new(catalogue::Names),
        },
        ConsumerSpec {
            name: "cases",
            topics: vec![topics::ACCEPTANCE, topics::APPROVAL],
            handler: Arc::new(cases::Cases),
        },
        ConsumerSpec {
            name: "transfers",
            topics: vec![topics::CROSSREGION],
            handler: Arc::new(transfers::Transfers),
        },
        ConsumerSpec {
            name: "ratings",
            topics: vec![topics::ACCEPTANCE],
            handler: Arc::new(ratings::Ratings),
        },
    ]
}

/// Every topic the statistics are fed from.
pub fn topics() -> Vec<&'static str> {
    let mut topics: Vec<&'static str> = consumers().into_iter().flat_map(|c| c.topics).collect();
    topics.sort_unstable();
    topics.dedup();
    topics
}

/// The China local date (UTC+8) of an instant: the statistics count by the halls' days.
pub(crate) fn day(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    tongban_runtime::clock::local_date(at)
}

/// A message field that must be present.
pub(crate) fn required<'a, T>(what: &str, value: Option<&'a T>) -> Result<&'a T, HandleError> {
    value.ok_or_else(|| HandleError::Permanent(format!("an event without its {what}")))
}
