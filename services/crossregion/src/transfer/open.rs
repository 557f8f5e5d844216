//! A transfer is opened when acceptance accepted a case that leaves the region that took it in:
//! the handling region must accept or reject it within `response_days` working days of its
//! centre.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::state::{self, Kind, Mode};
use super::store::{self, Applicant, NewTransfer};

/// What a transfer is opened from: acceptance's CaseAccepted of a case that leaves its region.
pub struct Accepted {
    pub case_id: Uuid,
    pub case_number: String,
    pub round: i32,
    pub kind: Kind,
    pub parent_case_id: Option<Uuid>,
    pub mode: Mode,
    pub implementation_code: String,
    pub item_version: i32,
    pub receiving_region: String,
    pub handling_region: String,
    pub applicant: Applicant,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: DateTime<Utc>,
    pub due_date: Option<NaiveDate>,
}

/// The deadline `days` working days after `from` in the centre of `region`.
pub async fn deadline(
    tx: &mut PgConnection,
    region: &str,
    from: NaiveDate,
    days: u32,
) -> Result<NaiveDate, Error> {
    let calendar = tongban_calendar::load(tx, region).await?;
    state::deadline(&calendar, from, days)
        .ok_or_else(|| Error::internal("hand-over deadline out of range"))
}

/// Sends the case to the handling region. A repeated event changes nothing.
pub async fn open(tx: &mut PgConnection, case: &Accepted, response_days: u32) -> Result<(), Error> {
    let sent_on = tongban_runtime::clock::local_date(case.accepted_at);
    let respond_by = deadline(tx, &case.handling_region, sent_on, response_days).await?;
    let new = NewTransfer {
        case_id: case.case_id,
        case_number: &case.case_number,
        round: case.round,
        kind: case.kind,
        parent_case_id: case.parent_case_id,
        mode: case.mode,
        implementation_code: &case.implementation_code,
        item_version: case.item_version,
        receiving_region: &case.receiving_region,
        handling_region: &case.handling_region,
        applicant: &case.applicant,
        accepted_by: case.accepted_by,
        sent_at: case.accepted_at,
        sent_on,
        due_date: case.due_date,
        respond_by,
    };
    let Some(row) = store::insert(tx, &new).await? else {
        return Ok(());
    };
    let event = events::TransferSent {
        transfer: Some(row.reference()),
        sent_at: Some(tongban_events::timestamp(case.accepted_at)),
        respond_by: respond_by.to_string(),
        due_date: case.due_date.map(|d| d.to_string()).unwrap_or_default(),
    };
    let detail = json!({ "respond_by": respond_by, "due_date": case.due_date });
    let entry = Entry::new(case.accepted_at, case.accepted_by, "sent", detail);
    store::record(tx, &row, entry, Some(&event)).await
}
