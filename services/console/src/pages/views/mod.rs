//! What the pages read of the services' answers: the fields they show, each defaulted
//! (`#[serde(default)]` on every struct) so a field a service adds or leaves out never breaks
//! a page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

mod admin;
mod oversight;

pub use admin::{Account, Agreement, Binding, Draft, StaffAccount, StaffPage};
pub use oversight::{ExceptionTally, ExceptionUse, ExceptionUses, Remediation};

/// A case as acceptance's inbox lists and staff search show it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HallCase {
    pub id: Uuid,
    pub number: Option<String>,
    pub kind: String,
    pub item_name: String,
    pub status: String,
    pub channel: String,
    pub mode: String,
    pub receiving_region: String,
    pub handling_region: String,
    pub applicant_name: Option<String>,
    pub applicant_document: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub deferred_until: Option<NaiveDate>,
    pub deferred_overdue: Option<bool>,
}

/// A page of cases and the cursor of the next.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HallCases {
    pub items: Vec<HallCase>,
    pub next: Option<String>,
}

/// How many cases each inbox list holds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InboxCounts {
    pub awaiting_review: i64,
    pub resubmitted: i64,
    pub awaiting_applicant: i64,
    pub deferred_owed: i64,
    pub deferred_overdue: i64,
    pub awaiting_handout: i64,
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Case {
    pub id: Uuid,
    pub number: Option<String>,
    pub kind: String,
    pub parts: Vec<Part>,
    pub implementation_code: String,
    pub item_name: String,
    pub receiving_region: String,
    pub handling_region: String,
    pub channel: String,
    pub mode: String,
    pub applicant_kind: String,
    pub applicant_name: Option<String>,
    pub applicant_document: Option<String>,
    pub applicant_phone: Option<String>,
    pub status: String,
    pub submissions: i32,
    pub visits: i32,
    pub form: Value,
    pub due_date: Option<NaiveDate>,
    pub created_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
    pub conclusion: Option<String>,
    pub conclusion_reason: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub materials: Vec<Material>,
    pub real_name_level: u8,
    pub real_name_level_needed: u8,
    pub identity_check: Option<Value>,
    /// What the decision issued: `[{name, certificate_id}]`.
    pub results: Value,
}

impl Case {
    /// The certificates the case's results carry: (name, id).
    pub fn certificates(&self) -> Vec<(String, String)> {
        self.results
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let id = r.get("certificate_id")?.as_str()?;
                let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
                Some((name.to_owned(), id.to_owned()))
            })
            .collect()
    }
}

/// A part of a 一件事 application.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Part {
    pub id: Uuid,
    pub number: Option<String>,
    pub implementation_code: String,
    pub handling_region: String,
    pub status: String,
    pub due_date: Option<NaiveDate>,
}

/// A material of a case, against the item's list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Material {
    pub material_code: String,
    pub name: String,
    pub necessity: String,
    pub attachment: Option<Attachment>,
    pub certificate_id: Option<Uuid>,
    pub deferred_until: Option<NaiveDate>,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// An entry of a case's history.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueEntry {
    pub case_id: Uuid,
    pub case_number: String,
    pub item_name: Option<String>,
    pub applicant_name: String,
    pub applicant_document_masked: String,
    pub state: String,
    pub transfer: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    /// Working days to the due date (negative: overdue); none while paused.
    pub working_days_left: Option<i64>,
    pub step_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Queue {
    pub items: Vec<QueueEntry>,
    pub next: Option<String>,
}

/// A service item as the catalogue's search (or the item itself) names it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    pub department: Named,
    pub region_code: String,
    /// own, tongban_scope or agreement: how the hall searched for may take it in.
    pub available_as: Option<String>,
    /// Under an agreement: its mode (collect_elsewhere).
    pub agreement_mode: Option<String>,
    pub real_name_level: u8,
    /// The item's region's name, filled in by the page.
    #[serde(skip)]
    pub region_name: String,
}

/// Anything the services name: a department, a region.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    pub name: String,
}

/// A work item as approval shows it to its handlers and supervisors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkItem {
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    /// A part of a 一件事 application: the application's case.
    pub parent_case_id: Option<Uuid>,
    pub item_name: Option<String>,
    pub handling_region: String,
    pub receiving_region: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_document_masked: String,
    pub real_name_level: i16,
    /// awaiting_item, in_progress, paused, approved, refused, withdrawn, returned,
    /// refused_at_window.
    pub state: String,
    /// pending (not taken over yet) or accepted, for a transferred case.
    pub transfer: Option<String>,
    pub limit_value: Option<i32>,
    pub limit_unit: Option<String>,
    pub extension_days: i32,
    pub due_date: Option<NaiveDate>,
    /// green, yellow (due soon) or red (overdue).
    pub light: String,
    /// Working days to the due date (negative: overdue); none while paused or concluded.
    pub working_days_left: Option<i64>,
    pub current_step: i32,
    pub steps: Vec<Step>,
    pub pauses: Vec<Value>,
    pub reason: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub certificates: Vec<CertificateRef>,
    pub revision: i32,
}

impl WorkItem {
    /// The step open or claimed now, if any.
    pub fn open_step(&self) -> Option<&Step> {
        self.steps.iter().find(|s| {
            s.position == self.current_step && (s.state == "open" || s.state == "claimed")
        })
    }

    /// The last step: where the decision is taken.
    pub fn is_last(&self, step: &Step) -> bool {
        self.steps.iter().all(|s| s.position <= step.position)
    }

    /// The back-office steps before `step` it may be sent back to (not the window's).
    pub fn earlier(&self, step: &Step) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|s| s.position < step.position && s.role != "window_clerk")
            .collect()
    }

    /// Its clock stands still now.
    pub fn paused(&self) -> bool {
        self.state == "paused"
    }

    /// Being handled: in progress or paused.
    pub fn is_open(&self) -> bool {
        matches!(self.state.as_str(), "in_progress" | "paused")
    }
}

/// A handling step of a work item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Step {
    pub position: i32,
    pub name: String,
    pub role: String,
    pub due_date: Option<NaiveDate>,
    /// pending, open, claimed or done.
    pub state: String,
    pub assignee: Option<Uuid>,
    pub opinion: Option<String>,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A certificate a work item issued.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CertificateRef {
    pub id: Uuid,
    pub certificate_type: String,
    pub issued_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An entry of a work item's history.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkEntry {
    pub at: Option<DateTime<Utc>>,
    pub action: String,
    pub step: Option<i32>,
    pub detail: Value,
}

impl WorkEntry {
    /// The opinion or reason the entry carries.
    pub fn note(&self) -> Option<String> {
        ["opinion", "reason", "note"]
            .iter()
            .find_map(|key| self.detail.get(*key).and_then(Value::as_str))
            .map(str::to_owned)
    }
}

/// A transfer between the receiving and the handling region (跨域通办).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Transfer {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub round: i32,
    pub mode: String,
    pub item_name: Option<String>,
    pub receiving_region: String,
    pub handling_region: String,
    pub applicant: TransferApplicant,
    /// sent, accepted, rejected, returned, delivered or cancelled.
    pub state: String,
    /// handling_region, receiving_region or applicant.
    pub location: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub clock_paused: bool,
    pub case_overdue: bool,
    pub respond_by: NaiveDate,
    pub response_overdue: bool,
    pub rejection_kind: Option<String>,
    pub rejection_reason: Option<String>,
    pub decision: Option<String>,
    pub deliver_by: Option<NaiveDate>,
    pub delivery_overdue: bool,
    /// Working days to the hand-over deadline that matters now (negative: missed).
    pub working_days_left: Option<i64>,
    pub legs: Vec<Leg>,
    pub revision: i32,
}

/// Whom a transfer's case is for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TransferApplicant {
    pub name: String,
    pub document_masked: String,
}

/// Paper in the post between the halls (or to the applicant).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Leg {
    pub id: Uuid,
    /// materials, result_to_receiving or result_to_applicant.
    pub direction: String,
    pub carrier: String,
    pub tracking_number: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

/// A 一件事 application as the back office sees it: its parts side by side.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JointCase {
    pub case_number: String,
    pub concluded_at: Option<DateTime<Utc>>,
    pub parts: Vec<JointPart>,
}

/// A part of a 一件事 application, in its own department.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JointPart {
    pub case_id: Uuid,
    pub case_number: String,
    pub item_name: Option<String>,
    pub state: String,
    pub due_date: Option<NaiveDate>,
    pub concluded_at: Option<DateTime<Utc>>,
}
