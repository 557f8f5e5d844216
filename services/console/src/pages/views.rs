//! What the pages read of the services' answers: the fields they show, each defaulted so a
//! field a service adds or leaves out never breaks a page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// A case as acceptance's inbox lists and staff search show it.
#[derive(Debug, Clone, Deserialize)]
pub struct HallCase {
    pub id: Uuid,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub item_name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub receiving_region: String,
    #[serde(default)]
    pub handling_region: String,
    #[serde(default)]
    pub applicant_name: Option<String>,
    #[serde(default)]
    pub applicant_document: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub deferred_until: Option<NaiveDate>,
    #[serde(default)]
    pub deferred_overdue: Option<bool>,
}

/// A page of cases and the cursor of the next.
#[derive(Debug, Clone, Deserialize)]
pub struct HallCases {
    pub items: Vec<HallCase>,
    #[serde(default)]
    pub next: Option<String>,
}

/// How many cases each inbox list holds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InboxCounts {
    #[serde(default)]
    pub awaiting_review: i64,
    #[serde(default)]
    pub resubmitted: i64,
    #[serde(default)]
    pub awaiting_applicant: i64,
    #[serde(default)]
    pub deferred_owed: i64,
    #[serde(default)]
    pub deferred_overdue: i64,
    #[serde(default)]
    pub awaiting_handout: i64,
    #[serde(default)]
    pub returned: i64,
}

impl InboxCounts {
    /// The count of list `name`.
    pub fn of(&self, name: &str) -> i64 {
        match name {
            "awaiting_review" => self.awaiting_review,
            "resubmitted" => self.resubmitted,
            "awaiting_applicant" => self.awaiting_applicant,
            "deferred_owed" => self.deferred_owed,
            "awaiting_handout" => self.awaiting_handout,
            "returned" => self.returned,
            _ => 0,
        }
    }
}

/// The inbox's lists, in the order a clerk works them.
pub const INBOX_LISTS: [&str; 6] = [
    "awaiting_review",
    "resubmitted",
    "returned",
    "awaiting_applicant",
    "deferred_owed",
    "awaiting_handout",
];

/// The statuses a search may ask for.
pub const STATUSES: [&str; 9] = [
    "draft",
    "submitted",
    "needs_correction",
    "accepted",
    "returned",
    "refused",
    "withdrawn",
    "concluded",
    "delivered",
];

/// A case as acceptance shows it to staff in scope.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: Uuid,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parts: Vec<Part>,
    #[serde(default)]
    pub implementation_code: String,
    #[serde(default)]
    pub item_name: String,
    #[serde(default)]
    pub receiving_region: String,
    #[serde(default)]
    pub handling_region: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub applicant_kind: String,
    #[serde(default)]
    pub applicant_name: Option<String>,
    #[serde(default)]
    pub applicant_document: Option<String>,
    #[serde(default)]
    pub applicant_phone: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub submissions: i32,
    #[serde(default)]
    pub visits: i32,
    #[serde(default)]
    pub form: Value,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refusal_reason: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub conclusion_reason: Option<String>,
    #[serde(default)]
    pub concluded_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub materials: Vec<Material>,
    #[serde(default)]
    pub real_name_level: u8,
    #[serde(default)]
    pub real_name_level_needed: u8,
    #[serde(default)]
    pub identity_check: Option<Value>,
}

/// A part of a 一件事 application.
#[derive(Debug, Clone, Deserialize)]
pub struct Part {
    pub id: Uuid,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub implementation_code: String,
    #[serde(default)]
    pub handling_region: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
}

/// A material of a case, against the item's list.
#[derive(Debug, Clone, Deserialize)]
pub struct Material {
    pub material_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub necessity: String,
    #[serde(default)]
    pub attachment: Option<Attachment>,
    #[serde(default)]
    pub certificate_id: Option<Uuid>,
    #[serde(default)]
    pub deferred_until: Option<NaiveDate>,
    #[serde(default)]
    pub overdue: bool,
}

impl Material {
    /// A file the page can show inline (PDF in a frame, an image as itself).
    pub fn viewable(&self) -> bool {
        self.attachment.as_ref().is_some_and(|a| {
            matches!(
                a.content_type.as_str(),
                "application/pdf" | "image/png" | "image/jpeg"
            )
        })
    }

    pub fn is_image(&self) -> bool {
        self.attachment
            .as_ref()
            .is_some_and(|a| a.content_type.starts_with("image/"))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub content_type: String,
    #[serde(default)]
    pub size: i64,
}

/// An entry of a case's history.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from_status: Option<String>,
    #[serde(default)]
    pub to_status: String,
    #[serde(default)]
    pub detail: Value,
}

impl HistoryEntry {
    /// The reason or note the entry carries, when it has one worth showing.
    pub fn note(&self) -> Option<String> {
        ["reason", "opinion", "note"]
            .iter()
            .find_map(|key| self.detail.get(*key).and_then(Value::as_str))
            .map(str::to_owned)
    }
}

/// An entry of the back office's queue.
#[derive(Debug, Clone, Deserialize)]
pub struct QueueEntry {
    pub case_id: Uuid,
    #[serde(default)]
    pub case_number: String,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub applicant_name: String,
    #[serde(default)]
    pub applicant_document_masked: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub transfer: Option<String>,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub step_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Queue {
    pub items: Vec<QueueEntry>,
    #[serde(default)]
    pub next: Option<String>,
}
