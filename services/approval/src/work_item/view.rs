//! What the API shows of a work item: the schema types, the detail with its steps, pauses,
//! extensions and certificates, and its history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_calendar::Calendars;
use tongban_kernel::{Error, Principal};

use super::state::{StepState, TransferState, WorkItemState};
use super::store::{Row, visible};

/// A step of a work item, as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Step {
    pub position: i32,
    pub name: String,
    /// The role that handles it.
    pub role: String,
    pub limit_value: i32,
    pub limit_unit: String,
    /// When it was last opened, and when its own limit runs out from then.
    pub opened_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub state: StepState,
    pub assignee: Option<Uuid>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub opinion: Option<String>,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
}
/// A stretch the clock stood still.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PauseView {
    pub id: Uuid,
    pub kind: String,
    pub reason: String,
    /// The written notice the applicant was given.
    pub notice: String,
    pub paused_on: NaiveDate,
    pub resumed_on: Option<NaiveDate>,
    pub paused_working_days: Option<i32>,
    pub paused_by: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExtensionView {
    pub working_days: i32,
    pub reason: String,
    pub approved_by: Uuid,
    pub extended_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CertificateRef {
    pub id: Uuid,
    pub certificate_type: String,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A work item with everything staff need to handle it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkItem {
    pub case_id: Uuid,
    pub case_number: String,
    /// item, or part of a 一件事 application (`parent_case_id`).
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub implementation_code: String,
    pub item_version: i32,
    pub item_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub department_credit_code: Option<String>,
    pub handling_region: String,
    pub receiving_region: String,
    /// citizen or enterprise.
    pub applicant_kind: String,
    /// The applicant's name: a citizen's name on the document, or an enterprise's registered
    /// name ('' when acceptance recorded none).
    pub applicant_name: String,
    /// A citizen's document masked (first six and last four characters); an enterprise's
    /// unified social credit code.
    pub applicant_document_masked: String,
    /// The real-name level the applicant showed for the case: 1 unverified, 2 basic real-name,
    /// 3 advanced (face, or in person at a window); 0 when not recorded.
    pub real_name_level: i16,
    /// awaiting_item, in_progress, paused, approved, refused, withdrawn (by the applicant,
    /// undecided), returned (its transfer was sent back to the receiving region), or
    /// refused_at_window (the receiving window did not accept the application after all).
    pub state: WorkItemState,
    /// For a case transferred from another region's window: pending until the handling region
    /// accepts the transfer (no step can be worked before), then accepted.
    pub transfer: Option<TransferState>,
    pub accepted_at: DateTime<Utc>,
    /// The time limit: value, unit and the working days added by extensions.
    pub limit_value: Option<i32>,
    pub limit_unit: Option<String>,
    pub extension_days: i32,
    pub due_date: Option<NaiveDate>,
    /// The due date rests on a year whose holidays are not yet published.
    pub due_provisional: bool,
    /// green (running), yellow (warned: the due date is near) or red (overdue).
    pub light: String,
    /// Working days from today to the due date in the handling centre's calendar: 0 when due
    /// today, negative when overdue by that many. Absent without a limit, once concluded and
    /// while paused (the clock stands still; resuming moves the due date).
    pub working_days_left: Option<i64>,
    pub current_step: i32,
    pub steps: Vec<Step>,
    pub pauses: Vec<PauseView>,
    pub extensions: Vec<ExtensionView>,
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub on_time: Option<bool>,
    pub certificates: Vec<CertificateRef>,
    /// Pass it back as `revision` to act only on what you saw (409 otherwise).
    pub revision: i32,
}

fn light(row: &Row, today: NaiveDate) -> &'static str {
    match (row.due_date, row.is_open()) {
        (Some(due), true) if due < today => "red",
        (Some(_), true) if row.warn_on.is_some_and(|w| w <= today) => "yellow",
        _ => "green",
    }
}

/// [`WorkItem::working_days_left`] of a work item in `state` due on `due`, counted in the
/// calendar of `region`'s service centre (loaded only when there is a clock running).
pub async fn working_days_left(
    conn: &mut PgConnection,
    calendars: &mut Calendars,
    region: &str,
    state: WorkItemState,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<i64>, Error> {
    let Some(due) = due.filter(|_| state == WorkItemState::InProgress) else {
        return Ok(None);
    };
    let calendar = calendars.of(conn, region).await?;
    Ok(calendar.working_days_between(today, due, &[]))
}

pub async fn detail(tx: &mut PgConnection, row: Row, today: NaiveDate) -> Result<WorkItem, Error> {
    let working_days_left = working_days_left(
        tx,
        &mut Calendars::default(),
        &row.handling_region,
        row.state,
        row.due_date,
        today,
    )
    .await?;
    let steps: Vec<Step> = sqlx::query_as(
        "select position, name, role, limit_value, limit_unit, opened_on, due_date, state, assignee, claimed_at, opinion,
             completed_by, completed_at
         from work_item_steps where case_id = $1 order by position",
    )
    .bind(row.case_id)
    .fetch_all(&mut *tx)
    .await?;
    let pauses: Vec<PauseView> = sqlx::query_as(
        "select id, kind, reason, notice, paused_on, resumed_on, paused_working_days, paused_by
         from pauses where case_id = $1 order by paused_at",
    )
    .bind(row.case_id)
    .fetch_all(&mut *tx)
    .await?;
    let extensions: Vec<ExtensionView> = sqlx::query_as(
        "select working_days, reason, approved_by, extended_at from extensions
         where case_id = $1 order by extended_at",
    )
    .bind(row.case_id)
    .fetch_all(&mut *tx)
    .await?;
    let certificates: Vec<CertificateRef> = sqlx::query_as(
        "select id, certificate_type, issued_at, revoked_at from certificates
         where case_id = $1 order by issued_at",
    )
    .bind(row.case_id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(WorkItem {
        light: light(&row, today).to_owned(),
        working_days_left,
        case_id: row.case_id,
        case_number: row.case_number,
        kind: row.kind,
        parent_case_id: row.parent_case_id,
        implementation_code: row.implementation_code,
        item_version: row.item_version,
        item_name: row.item_name,
        department_id: row.department_id,
        department_credit_code: row.department_credit_code,
        handling_region: row.handling_region,
        receiving_region: row.receiving_region,
        transfer: row.transfer,
        applicant_kind: row.applicant_kind,
        applicant_name: row.applicant_name,
        applicant_document_masked: row.applicant_document_masked,
        real_name_level: row.real_name_level,
        state: row.state,
        accepted_at: row.accepted_at,
        limit_value: row.limit_value,
        limit_unit: row.limit_unit,
        extension_days: row.extension_days,
        due_date: row.due_date,
        due_provisional: row.due_provisional,
        current_step: row.current_step,
        steps,
        pauses,
        extensions,
        reason: row.reason,
        decided_by: row.decided_by,
        concluded_at: row.concluded_at,
        on_time: row.on_time,
        certificates,
        revision: row.revision,
    })
}

pub async fn get(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    today: NaiveDate,
) -> Result<WorkItem, Error> {
    let mut conn = pool.acquire().await?;
    let row = visible(&mut conn, principal, id, false).await?;
    detail(&mut conn, row, today).await
}

/// One entry of a work item's history.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    /// opened, claimed, completed, returned, paused, resumed, extended, warned, escalated,
    /// approved, refused.
    pub action: String,
    pub step: Option<i32>,
    pub detail: Value,
}

pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, Error> {
    let mut conn = pool.acquire().await?;
    visible(&mut conn, principal, id, false).await?;
    Ok(sqlx::query_as(
        "select at, actor, action, step, detail from work_item_history where case_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}
