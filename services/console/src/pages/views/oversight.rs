//! What the supervisor's pages read: remediations and the uses of duty exceptions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

/// A ratings' remediation (差评整改), as a supervisor judges it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Remediation {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub region_code: String,
    /// pending, in_progress, under_review, fixed, invalid, unfixable or withdrawn.
    pub state: String,
    /// Under review: invalid or unfixable, with the assignee's reason.
    pub review_kind: Option<String>,
    pub review_reason: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub extended_days: Option<i32>,
    pub extension_reason: Option<String>,
    pub callback_required: bool,
    pub callback_note: Option<String>,
    pub close_note: Option<String>,
    /// When it was flagged overdue.
    pub overdue_at: Option<DateTime<Utc>>,
}

impl Remediation {
    /// Still to be dealt with.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state.as_str(),
            "pending" | "in_progress" | "under_review"
        )
    }
}

/// What was done under separation-of-duties exceptions, as one service counted it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExceptionUses {
    pub total: i64,
    pub by_centre: Vec<ExceptionTally>,
    /// The latest, newest first.
    pub recent: Vec<ExceptionUse>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExceptionTally {
    pub region_code: String,
    pub reason: String,
    pub in_force: bool,
    pub uses: i64,
    pub last_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExceptionUse {
    pub at: Option<DateTime<Utc>>,
    pub region_code: String,
    /// The rule set aside (acceptor_does_not_approve, own_remediation, …).
    pub rule: String,
    /// The case number (or remediation) acted on.
    pub reference: String,
    pub action: String,
}
