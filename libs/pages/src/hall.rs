//! A service centre as the hall service shows it to anyone (`GET /api/hall/v1/centres/{region}`):
//! what the online hall's booking page and kiosk and the console's calling panel read of it.

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
