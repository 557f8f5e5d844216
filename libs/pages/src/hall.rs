//! A service centre as the hall service shows it to anyone (`GET /api/hall/v1/centres/{region}`):
//! what the online hall's booking page and kiosk and the console's calling panel read of it;
//! and an item's bookable slots (`GET /api/hall/v1/centres/{region}/slots?item_code=`), which
//! the online hall's booking page and the console's booking for a caller show.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize)]
pub struct Centre {
    pub region_code: String,
    pub name: String,
    pub groups: Vec<Group>,
    #[serde(default)]
    pub windows: Vec<Window>,
}

/// A window group: its ticket letter and the items (implementation codes) it serves.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub id: Uuid,
    pub letter: String,
    pub name: String,
    pub items: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Window {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub active: bool,
}

/// A booking as the hall service shows it to its booker or a clerk of the hall.
#[derive(Debug, Clone, Deserialize)]
pub struct Booking {
    pub id: Uuid,
    pub region_code: String,
    pub item_code: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
    pub held_until: Option<DateTime<Utc>>,
}

/// An item's bookable slots at a centre, in the group that serves it.
#[derive(Debug, Clone, Deserialize)]
pub struct Slots {
    pub group_name: String,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Slot {
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Places left.
    pub free: i64,
}

impl Slots {
    /// The slots by day, in order.
    pub fn by_day(self) -> Vec<(NaiveDate, Vec<Slot>)> {
        let mut days: BTreeMap<NaiveDate, Vec<Slot>> = BTreeMap::new();
        for slot in self.slots {
            days.entry(slot.day).or_default().push(slot);
        }
        days.into_iter().collect()
    }
}

/// A time of day in China (09:30), as a slot is told.
pub fn hm(at: &DateTime<Utc>) -> String {
    at.with_timezone(&tongban_kernel::clock::china())
        .format("%H:%M")
        .to_string()
}
