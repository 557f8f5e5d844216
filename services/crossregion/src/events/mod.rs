//! Events the crossregion service consumes.
//!
//! - [`catalogue`]: which items are in force and where each is handled; the working-day
//!   calendar.
//! - the transfers' hand-overs and clocks: `transfer::events`.

pub mod catalogue;

use std::sync::Arc;

use tongban_bus::ConsumerSpec;
use tongban_events::catalogue::v1::{CalendarChanged, ItemPublished, ItemWithdrawn};
use tongban_events::topics;

use crate::transfer;

pub fn consumers(response_days: u32, delivery_days: u32) -> Vec<ConsumerSpec> {
    let items = Arc::new(catalogue::CatalogueItems);
    let mut consumers = vec![
        ConsumerSpec::named("catalogue-items", &[topics::CATALOGUE])
            .on::<ItemPublished, _>(items.clone())
            .on::<ItemWithdrawn, _>(items.clone())
            .on::<CalendarChanged, _>(items)
            .into(),
    ];
    consumers.extend(transfer::events::consumers(response_days, delivery_days));
    consumers
}
