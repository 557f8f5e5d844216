//! What the insight service consumes: every case-bearing topic, into order-independent facts
//! (see [`crate::db::facts`]).
//!
//! - [`catalogue`]: item and department names.
//! - [`cases`]: acceptance's case events and approval's conclusions and red flags.
//! - [`transfers`]: crossregion's hand-overs.
//! - [`ratings`]: ratings (好差评).
//! - `support`: what the handlers share (the halls' day of an instant, required fields).

pub mod cases;
pub mod catalogue;
pub mod ratings;
mod support;
pub mod transfers;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
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
