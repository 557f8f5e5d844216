//! A service centre's hall as its administrator sets it up: opening hours, booking and
//! green-channel rules, window groups (the items each serves, its ticket letter, its slots)
//! and windows.
//!
//! - [`rules`]: the rules, their defaults and bounds (pure).
//! - [`store`]: the only writer of the centre, group and window rows; the reads.
//! - [`setup`]: the administrator's changes (hall_admin over the region).
//! - [`http`]: the routes under `/v1/centres/`.

pub mod http;
pub mod rules;
pub mod setup;
pub mod store;

use chrono::NaiveTime;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use rules::Rules;

/// A centre as anyone may read it (the kiosk, the board and the booking page show it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Centre {
    pub region_code: String,
    pub name: String,
    #[schema(value_type = String, example = "09:00:00")]
    pub opens_at: NaiveTime,
    #[schema(value_type = String, example = "17:00:00")]
    pub closes_at: NaiveTime,
    pub rules: Rules,
    pub groups: Vec<Group>,
    pub windows: Vec<Window>,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Group {
    pub id: Uuid,
    /// The ticket's prefix (A012).
    pub letter: String,
    pub name: String,
    /// Implementation codes of the items it serves.
    pub items: Vec<String>,
    pub slot_minutes: i32,
    pub slot_capacity: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Window {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub active: bool,
}
