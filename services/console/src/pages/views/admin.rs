//! What the administrators' pages read: accounts and their roles, agreements, drafts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

/// An account as identity shows it to its administrators.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Account {
    pub id: Uuid,
    /// citizen, enterprise, staff or service.
    pub kind: String,
    pub login: String,
    pub display_name: String,
    pub region_code: Option<String>,
    pub department_id: Option<Uuid>,
    pub created_at: Option<DateTime<Utc>>,
    pub disabled: bool,
}

/// A live role binding of an account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Binding {
    pub id: Uuid,
    pub role: String,
    pub region: String,
    pub department: Option<Uuid>,
    pub granted_at: Option<DateTime<Utc>>,
}

/// A staff account in the directory, with its state and roles.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StaffAccount {
    #[serde(flatten)]
    pub account: Account,
    pub password_temporary: bool,
    pub roles: Vec<Binding>,
}

/// A page of the staff directory.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StaffPage {
    pub items: Vec<StaffAccount>,
    pub next: Option<String>,
}

/// An item an agreement covers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgreementItem {
    pub implementation_code: String,
    pub region_code: String,
    pub name: String,
}

/// One region's signature of an agreement (empty while awaited).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Signature {
    pub region_code: String,
    pub signed_at: Option<DateTime<Utc>>,
}

/// A 通办 agreement between regions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Agreement {
    pub id: Uuid,
    pub title: String,
    /// online, collect_elsewhere or joint.
    pub mode: String,
    pub items: Vec<AgreementItem>,
    pub collecting_regions: Vec<String>,
    pub effective_from: Option<NaiveDate>,
    pub effective_until: Option<NaiveDate>,
    /// proposed, in_force or terminated.
    pub status: String,
    pub signatures: Vec<Signature>,
    pub termination_reason: Option<String>,
}

/// An item's draft awaiting publication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub department_name: String,
    pub version: i32,
    pub current_version: Option<i32>,
    pub created_at: Option<DateTime<Utc>>,
}
