//! Work items: opened from acceptance's events, moved step by step by the staff in scope,
//! concluded with a decision. Every change writes the work item, its history and its event in
//! one transaction. The clock's pauses and extensions are in [`super::clock`], 一件事
//! applications in [`super::joint`], the queue in [`super::queue`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::approval::v1 as events;
use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Error, Power, Principal, RegionCode, Role, TimeLimit};

use crate::domain::clock;
use crate::domain::{self, StepAction, StepSpec, StepState};

/// A work item as the database holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub implementation_code: String,
    pub item_version: i32,
    pub handling_region: String,
    pub receiving_region: String,
    pub applicant_id: Option<Uuid>,
    pub applicant_kind: String,
    pub applicant_document_masked: String,
    /// The window clerk who accepted it (the acceptance step's handler).
    pub accepted_by: Option<Uuid>,
    pub accepted_at: DateTime<Utc>,
    pub accepted_on: NaiveDate,
    pub item_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub department_credit_code: Option<String>,
    pub limit_value: Option<i32>,
    pub limit_unit: Option<String>,
    pub extension_days: i32,
    pub due_date: Option<NaiveDate>,
    pub due_provisional: bool,
    pub warn_on: Option<NaiveDate>,
    pub state: String,
    pub current_step: i32,
    pub warned_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub concluded_on: Option<NaiveDate>,
    pub on_time: Option<bool>,
    pub revision: i32,
    pub transfer_round: i32,
    pub transfer: Option<String>,
}

impl Row {
    pub fn work_ref(&self) -> events::WorkRef {
        events::WorkRef {
            case_id: self.case_id.to_string(),
            case_number: self.case_number.clone(),
            implementation_code: self.implementation_code.clone(),
            item_version: self.item_version as u32,
            department_id: self
                .department_id
                .map(|d| d.to_string())
                .unwrap_or_default(),
            department_credit_code: self.department_credit_code.clone().unwrap_or_default(),
            handling_region: self.handling_region.clone(),
            receiving_region: self.receiving_region.clone(),
            kind: self.kind.clone(),
            parent_case_id: self
                .parent_case_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
        }
    }

    fn region(&self, code: &str) -> Result<RegionCode, Error> {
        code.parse()
            .map_err(|_| Error::internal(format!("stored region {code} is malformed")))
    }

    pub fn handling(&self) -> Result<RegionCode, Error> {
        self.region(&self.handling_region)
    }

    pub(super) fn limit(&self) -> TimeLimit {
        TimeLimit::stored(
            self.limit_value.unwrap_or(0),
            self.limit_unit.as_deref().unwrap_or_default(),
        )
    }

    /// Whether `principal` holds `power` over this work item: a binding covering the handling
    /// region, unrestricted or restricted to the item's department.
    pub fn within(&self, principal: &Principal, power: Power) -> bool {
        let Ok(region) = self.handling() else {
            return false;
        };
        principal
            .bindings_for(power, &region)
            .any(|b| b.department.is_none_or(|d| Some(d) == self.department_id))
    }

    /// Who sees a work item: its department's handlers and supervisors in scope, and the
    /// supervisors of the region that received it.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        self.within(principal, Power::HandleCases)
            || self.within(principal, Power::Supervise)
            || self
                .region(&self.receiving_region)
                .is_ok_and(|r| principal.can(Power::Supervise, &r))
    }

    pub(super) fn is_open(&self) -> bool {
        matches!(self.state.as_str(), "in_progress" | "paused")
    }
}

pub const COLUMNS: &str = "w.case_id, w.case_number, w.kind, w.parent_case_id, w.implementation_code, \
    w.item_version, w.handling_region, w.receiving_region, w.applicant_id, w.applicant_kind, \
    w.applicant_document_masked, w.accepted_by, w.accepted_at, w.accepted_on, w.item_name, w.department_id, \
    w.department_credit_code, w.limit_value, w.limit_unit, w.extension_days, w.due_date, \
    w.due_provisional, w.warn_on, w.state, w.current_step, w.warned_at, w.escalated_at, w.reason, \
    w.decided_by, w.concluded_at, w.concluded_on, w.on_time, w.revision, w.transfer_round, w.transfer";

/// Writes `event` about `row` to the outbox (key: the case id; subject: the case number).
pub async fn publish<E: Event>(
    tx: &mut PgConnection,
    row: &Row,
    event: &E,
) -> Result<(), sqlx::Error> {
    let key = row.case_id.to_string();
    let mut regions = vec![row.handling_region.clone(), row.receiving_region.clone()];
    regions.dedup();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: Some(&row.case_number),
            regions,
        },
        event,
    )
    .await?;
    Ok(())
}

/// Appends to the work item's history.
pub async fn record(
    tx: &mut PgConnection,
    case_id: Uuid,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    action: &str,
    step: Option<i32>,
    detail: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into work_item_history (case_id, at, actor, action, step, detail)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(step)
    .bind(detail)
    .execute(tx)
    .await?;
    Ok(())
}

pub(super) async fn load(
    tx: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w where w.case_id = $1{}",
        if lock { " for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(tx)
    .await
}

/// The work item `id` if `principal` may see it; 404 otherwise (an item outside one's scope
/// does not exist for them).
pub(super) async fn visible(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<Row, Error> {
    match load(tx, id, lock).await? {
        Some(row) if row.visible_to(principal) => Ok(row),
        _ => Err(Error::NotFound(format!("work item {id}"))),
    }
}

/// What opening a work item needs from CaseAccepted.
pub struct Accepted {
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub implementation_code: String,
    pub item_version: i32,
    pub handling_region: String,
    pub receiving_region: String,
    pub applicant_id: Option<Uuid>,
    pub applicant_kind: String,
    pub applicant_document_masked: String,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: DateTime<Utc>,
    /// For a case transferred from another region's window: its transfer round (1, 2 ...);
    /// 0 when it is not transferred.
    pub transfer_round: i32,
}

/// Records an accepted case; it opens at once when its item version is known, or when the
/// version arrives ([`open_awaiting`]). A transferred case waits for the handling region to
/// take the transfer over ([`transfer_answered`]). A repeated event changes nothing; a case
/// whose transfer came back and was accepted again starts afresh.
pub async fn accept(
    tx: &mut PgConnection,
    case: &Accepted,
    warning_days: u32,
) -> Result<(), sqlx::Error> {
    // Never worked (its steps wait for the transfer to be taken over), a returned work item
    // plans its steps again for the next round.
    sqlx::query(
        "delete from work_item_steps s using work_items w
         where s.case_id = w.case_id and w.case_id = $1 and w.state = 'returned'
           and w.transfer_round < $2",
    )
    .bind(case.case_id)
    .bind(case.transfer_round)
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "insert into work_items (case_id, case_number, kind, parent_case_id, implementation_code,
             item_version, handling_region, receiving_region, applicant_id, applicant_kind,
             applicant_document_masked, accepted_by, accepted_at, accepted_on, state,
             transfer_round, transfer)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'awaiting_item', $15,
             case when $15 > 0 then 'pending' end)
         on conflict (case_id) do update
             set accepted_by = excluded.accepted_by, accepted_at = excluded.accepted_at,
                 accepted_on = excluded.accepted_on, state = 'awaiting_item',
                 transfer_round = excluded.transfer_round, transfer = excluded.transfer,
                 current_step = 0, due_date = null, warn_on = null, warned_at = null,
                 escalated_at = null, reason = null, revision = work_items.revision + 1
             where work_items.state = 'returned' and work_items.transfer_round < excluded.transfer_round",
    )
    .bind(case.case_id)
    .bind(&case.case_number)
    .bind(&case.kind)
    .bind(case.parent_case_id)
    .bind(&case.implementation_code)
    .bind(case.item_version)
    .bind(&case.handling_region)
    .bind(&case.receiving_region)
    .bind(case.applicant_id)
    .bind(&case.applicant_kind)
    .bind(&case.applicant_document_masked)
    .bind(case.accepted_by)
    .bind(case.accepted_at)
    .bind(tongban_runtime::clock::local_date(case.accepted_at))
    .bind(case.transfer_round)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        open(tx, case.case_id, warning_days).await?;
        if case.transfer_round > 0 {
            transfer_answered(tx, case.case_id).await?;
        }
    }
    Ok(())
}

/// The crossregion service's answer to round `round` of a case's transfer: kept, and applied
/// to the work item when it is there for that round (else when it arrives, by [`accept`]).
pub async fn answer_transfer(
    tx: &mut PgConnection,
    case_id: Uuid,
    round: i32,
    accepted: bool,
    reason: &str,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into transfer_responses (case_id, round, accepted, reason, responded_by, responded_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(case_id)
    .bind(round)
    .bind(accepted)
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    transfer_answered(tx, case_id).await
}

/// Applies the answer to the work item's current transfer round, if there is one: accepted,
/// its steps may be worked; rejected, it leaves the queue ('returned').
async fn transfer_answered(tx: &mut PgConnection, case_id: Uuid) -> Result<(), sqlx::Error> {
    let answer: Option<(bool, String, Option<Uuid>, DateTime<Utc>)> = sqlx::query_as(
        "select r.accepted, r.reason, r.responded_by, r.responded_at
         from work_items w join transfer_responses r
             on r.case_id = w.case_id and r.round = w.transfer_round
         where w.case_id = $1 and w.transfer = 'pending'
           and w.state in ('awaiting_item', 'in_progress', 'paused')
         for update of w",
    )
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((accepted, reason, by, at)) = answer else {
        return Ok(());
    };
    if accepted {
        sqlx::query(
            "update work_items set transfer = 'accepted', revision = revision + 1 where case_id = $1",
        )
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        record(tx, case_id, at, by, "transfer_accepted", None, json!({})).await
    } else {
        sqlx::query(
            "update work_items set state = 'returned', transfer = null, reason = $2,
                 revision = revision + 1
             where case_id = $1",
        )
        .bind(case_id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        record(
            tx,
            case_id,
            at,
            by,
            "transfer_rejected",
            None,
            json!({ "reason": reason }),
        )
        .await
    }
}

/// Opens the work items that were waiting for item version (`code`, `version`).
pub async fn open_awaiting(
    tx: &mut PgConnection,
    code: &str,
    version: i32,
    warning_days: u32,
) -> Result<(), sqlx::Error> {
    let waiting: Vec<Uuid> = sqlx::query_scalar(
        "select case_id from work_items
         where state = 'awaiting_item' and implementation_code = $1 and item_version = $2",
    )
    .bind(code)
    .bind(version)
    .fetch_all(&mut *tx)
    .await?;
    for id in waiting {
        open(tx, id, warning_days).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    name: String,
    department_id: Uuid,
    department_credit_code: String,
    promised_value: i32,
    promised_unit: String,
    steps: Jsonb<Vec<StepSpec>>,
}

/// Plans the steps and starts the clock of an awaiting work item whose item version is known.
async fn open(tx: &mut PgConnection, id: Uuid, warning_days: u32) -> Result<(), sqlx::Error> {
    let Some(row) = load(tx, id, true).await? else {
        return Ok(());
    };
    if row.state != "awaiting_item" {
        return Ok(());
    }
    let item: Option<ItemRow> = sqlx::query_as(
        "select name, department_id, department_credit_code, promised_value, promised_unit, steps
         from item_versions where implementation_code = $1 and version = $2",
    )
    .bind(&row.implementation_code)
    .bind(row.item_version)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(item) = item else {
        return Ok(());
    };
    let planned = domain::plan(&item.steps.0);
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let first = planned
        .iter()
        .position(|s| !s.done_at_acceptance)
        .unwrap_or(0) as i32
        + 1;
    for (index, step) in planned.iter().enumerate() {
        let position = index as i32 + 1;
        let state = if step.done_at_acceptance {
            "done"
        } else if position == first {
            "open"
        } else {
            "pending"
        };
        let done = step.done_at_acceptance;
        let opened = (position == first).then_some(row.accepted_on);
        let step_due = opened
            .and_then(|on| calendar.due(on, step.limit, &[]))
            .map(|r| r.date);
        sqlx::query(
            "insert into work_item_steps (case_id, position, name, role, limit_value, limit_unit,
                 state, completed_by, completed_at, opened_on, due_date)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id)
        .bind(position)
        .bind(&step.name)
        .bind(step.role.as_str())
        .bind(step.limit.value as i32)
        .bind(step.limit.unit.as_str())
        .bind(state)
        .bind(if done { row.accepted_by } else { None })
        .bind(done.then_some(row.accepted_at))
        .bind(opened)
        .bind(step_due)
        .execute(&mut *tx)
        .await?;
    }
    let limit = TimeLimit::stored(item.promised_value, &item.promised_unit);
    let due = clock::due(&calendar, row.accepted_on, limit, 0, &[], row.accepted_on).unwrap_or(
        Reckoning {
            date: row.accepted_on,
            provisional: true,
        },
    );
    let warn_on = clock::warn_on(&calendar, due.date, warning_days, row.accepted_on);
    let row: Row = sqlx::query_as(&format!(
        "update work_items w set item_name = $2, department_id = $3, department_credit_code = $4,
             limit_value = $5, limit_unit = $6, due_date = $7, due_provisional = $8, warn_on = $9,
             state = 'in_progress', current_step = $10, revision = revision + 1
         where case_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(&item.name)
    .bind(item.department_id)
    .bind(&item.department_credit_code)
    .bind(item.promised_value)
    .bind(&item.promised_unit)
    .bind(due.date)
    .bind(due.provisional)
    .bind(warn_on)
    .bind(first)
    .fetch_one(&mut *tx)
    .await?;
    let now = Utc::now();
    record(tx, id, now, None, "opened", Some(first),
        json!({ "due_date": due.date, "steps": planned.iter().map(|s| &s.name).collect::<Vec<_>>() })).await?;
    let event = events::WorkItemOpened {
        work: Some(row.work_ref()),
        started_on: row.accepted_on.to_string(),
        due_date: due.date.to_string(),
        due_date_provisional: due.provisional,
        steps: planned
            .iter()
            .map(|s| format!("{} ({})", s.name, s.role))
            .collect(),
        opened_at: Some(tongban_events::timestamp(now)),
    };
    publish(tx, &row, &event).await
}

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
    #[sqlx(try_from = "String")]
    pub state: StepStateColumn,
    pub assignee: Option<Uuid>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub opinion: Option<String>,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A step's state as stored.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(transparent)]
pub struct StepStateColumn(pub StepState);

impl TryFrom<String> for StepStateColumn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StepState::parse(&s)
            .map(Self)
            .ok_or_else(|| format!("unknown step state {s}"))
    }
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
    pub applicant_kind: String,
    pub applicant_document_masked: String,
    /// awaiting_item, in_progress, paused, approved, refused, withdrawn, or returned (its
    /// transfer was sent back to the receiving region).
    pub state: String,
    /// For a case transferred from another region's window: pending until the handling region
    /// accepts the transfer (no step can be worked before), then accepted.
    pub transfer: Option<String>,
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

pub(super) async fn detail(
    tx: &mut PgConnection,
    row: Row,
    today: NaiveDate,
) -> Result<WorkItem, Error> {
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
        applicant_document_masked: row.applicant_document_masked,
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

/// The moment and date an action happens at (from the service's clock).
pub use tongban_runtime::clock::Now;

/// Loads the work item for an action by `principal`: visible (404), open (409), at the
/// `revision` the caller saw if given (409), and locked for the transaction.
pub(super) async fn for_action(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    revision: Option<i32>,
) -> Result<Row, Error> {
    let row = visible(tx, principal, id, true).await?;
    if !row.is_open() {
        return Err(Error::Conflict {
            code: "illegal_transition",
            message: format!("work item {id} is {}", row.state),
        });
    }
    if row.transfer.as_deref() == Some("pending") {
        return Err(Error::Conflict {
            code: "transfer_pending",
            message: format!(
                "case {} was transferred from {}: accept the transfer first (/api/crossregion/v1/transfers)",
                row.case_number, row.receiving_region
            ),
        });
    }
    if let Some(seen) = revision
        && seen != row.revision
    {
        return Err(Error::Conflict {
            code: "stale_revision",
            message: format!(
                "work item {id} changed since revision {seen} (now {})",
                row.revision
            ),
        });
    }
    Ok(row)
}

#[derive(sqlx::FromRow)]
struct StepRow {
    position: i32,
    name: String,
    role: String,
    state: String,
    assignee: Option<Uuid>,
}

async fn step_at(tx: &mut PgConnection, id: Uuid, position: i32) -> Result<StepRow, Error> {
    sqlx::query_as(
        "select position, name, role, state, assignee from work_item_steps
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("step {position}")))
}

async fn last_position(tx: &mut PgConnection, id: Uuid) -> Result<i32, Error> {
    Ok(
        sqlx::query_scalar("select max(position) from work_item_steps where case_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// The power a step's role needs: the window's steps need AcceptCases, the rest HandleCases.
fn power_of(role: &str) -> Power {
    match role.parse() {
        Ok(Role::WindowClerk) => Power::AcceptCases,
        _ => Power::HandleCases,
    }
}

/// Checks that `principal` may take `action` on step `position` and returns the step.
async fn checked_step(
    tx: &mut PgConnection,
    principal: &Principal,
    row: &Row,
    position: i32,
    action: StepAction,
) -> Result<StepRow, Error> {
    if row.state == "paused" {
        return Err(Error::Conflict {
            code: "paused",
            message: "the clock is paused: resume the work item first".into(),
        });
    }
    let step = step_at(tx, row.case_id, position).await?;
    if !row.within(principal, power_of(&step.role)) {
        return Err(Error::Forbidden(format!(
            "step {} ({}) is handled by the role {} of the item's department",
            step.position, step.name, step.role
        )));
    }
    let last = last_position(tx, row.case_id).await?;
    let state = StepState::parse(&step.state)
        .ok_or_else(|| Error::internal(format!("stored step state {} is unknown", step.state)))?;
    domain::check_step(
        action,
        position,
        row.current_step,
        last,
        state,
        step.assignee,
        principal.account,
    )?;
    Ok(step)
}

async fn bump(tx: &mut PgConnection, id: Uuid) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update work_items w set revision = revision + 1 where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .fetch_one(tx)
    .await
}

/// Ends an action on work item `id` in `tx`: a new revision, `action` in its history, the
/// event `event` makes of the work item published, and the work item as it now is.
#[allow(clippy::too_many_arguments)]
pub(super) async fn finish<E: Event>(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    now: Now,
    action: &str,
    step: Option<i32>,
    detail_of_action: Value,
    event: impl FnOnce(events::WorkRef) -> E,
) -> Result<WorkItem, Error> {
    let row = bump(tx, id).await?;
    record(
        tx,
        id,
        now.at,
        Some(principal.account),
        action,
        step,
        detail_of_action,
    )
    .await?;
    publish(tx, &row, &event(row.work_ref())).await?;
    detail(tx, row, now.today).await
}

/// Claims (签收) the open step.
pub async fn claim(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Claim).await?;
    let item = if step.assignee == Some(principal.account) {
        // Claimed already by the caller: a retry changes nothing.
        detail(&mut tx, row, now.today).await?
    } else {
        sqlx::query(
            "update work_item_steps set state = 'claimed', assignee = $3, claimed_at = $4
             where case_id = $1 and position = $2",
        )
        .bind(id)
        .bind(position)
        .bind(principal.account)
        .bind(now.at)
        .execute(&mut *tx)
        .await?;
        finish(
            &mut tx,
            principal,
            id,
            now,
            "claimed",
            Some(position),
            json!({ "step": step.name }),
            |work| events::StepClaimed {
                work: Some(work),
                step: position as u32,
                step_name: step.name.clone(),
                claimed_by: principal.account.to_string(),
                claimed_at: Some(tongban_events::timestamp(now.at)),
            },
        )
        .await?
    };
    tx.commit().await?;
    Ok(item)
}

/// Opens step `position` of `row` on `today` (its own limit counted from then) and makes it
/// the current step.
async fn open_step(
    tx: &mut PgConnection,
    row: &Row,
    position: i32,
    today: NaiveDate,
) -> Result<(), Error> {
    let (value, unit): (i32, String) = sqlx::query_as(
        "select limit_value, limit_unit from work_item_steps where case_id = $1 and position = $2",
    )
    .bind(row.case_id)
    .bind(position)
    .fetch_one(&mut *tx)
    .await?;
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let due = calendar
        .due(today, TimeLimit::stored(value, &unit), &[])
        .map(|r| r.date);
    sqlx::query(
        "update work_item_steps set state = 'open', opened_on = $3, due_date = $4
         where case_id = $1 and position = $2",
    )
    .bind(row.case_id)
    .bind(position)
    .bind(today)
    .bind(due)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update work_items set current_step = $2 where case_id = $1")
        .bind(row.case_id)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Completes the claimed step with the handler's opinion; the next step opens.
pub async fn complete(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    opinion: &str,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let opinion = domain::written("opinion", Some(opinion), 2000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Complete).await?;
    sqlx::query(
        "update work_item_steps set state = 'done', opinion = $3, completed_by = $4, completed_at = $5
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .bind(&opinion)
    .bind(principal.account)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    open_step(&mut tx, &row, position + 1, now.today).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "completed",
        Some(position),
        json!({ "step": step.name, "opinion": opinion }),
        |work| events::StepCompleted {
            work: Some(work),
            step: position as u32,
            step_name: step.name,
            opinion,
            completed_by: principal.account.to_string(),
            completed_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Sends the case back from the claimed step to an earlier back-office step (退回), which
/// opens again; the steps in between are to be done again.
#[allow(clippy::too_many_arguments)]
pub async fn send_back(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    to: i32,
    reason: &str,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let reason = domain::written("reason", Some(reason), 1000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    checked_step(&mut tx, principal, &row, position, StepAction::Return).await?;
    // The window's leading steps were the front office's: nothing goes back to them.
    let first_back_office: i32 = sqlx::query_scalar(
        "select coalesce(min(position), 1) from work_item_steps
         where case_id = $1 and role <> 'window_clerk'",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if to >= position || to < first_back_office {
        return Err(Error::unprocessable(
            "to_step",
            format!(
                "a case goes back to an earlier back-office step: {first_back_office} to {}",
                position - 1
            ),
        ));
    }
    let target = step_at(&mut tx, id, to).await?;
    sqlx::query(
        "update work_item_steps set state = case when position = $2 then 'open' else 'pending' end,
             assignee = null, claimed_at = null, opinion = null, completed_by = null, completed_at = null
         where case_id = $1 and position between $2 and $3",
    )
    .bind(id)
    .bind(to)
    .bind(position)
    .execute(&mut *tx)
    .await?;
    open_step(&mut tx, &row, to, now.today).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "returned",
        Some(position),
        json!({ "to_step": to, "reason": reason }),
        |work| events::StepReturned {
            work: Some(work),
            from_step: position as u32,
            to_step: to as u32,
            to_step_name: target.name,
            reason,
            returned_by: principal.account.to_string(),
            returned_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// What the decider says.
pub struct Decision<'a> {
    pub approve: bool,
    pub reason: Option<&'a str>,
    pub opinion: &'a str,
    /// For certificates that expire.
    pub valid_until: Option<NaiveDate>,
}

/// Decides the case at its last step: approved (results issued, e-certificates sealed) or
/// refused with the reason. A part's bundle concludes with its last part.
pub async fn decide(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    decision: Decision<'_>,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let opinion = domain::written("opinion", Some(decision.opinion), 2000)?;
    let reason = if decision.approve {
        decision
            .reason
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    } else {
        domain::written("reason", decision.reason, 1000)?
    };
    if let Some(until) = decision.valid_until
        && until <= now.today
    {
        return Err(Error::unprocessable(
            "valid_until",
            "a certificate's validity ends after today",
        ));
    }
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Decide).await?;
    let state = if decision.approve {
        "approved"
    } else {
        "refused"
    };
    sqlx::query(
        "update work_item_steps set state = 'done', opinion = $3, completed_by = $4, completed_at = $5
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .bind(&opinion)
    .bind(principal.account)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    let calendar = tongban_calendar::load(&mut tx, &row.handling_region).await?;
    let pauses: Vec<_> = super::clock::stops(&mut tx, id)
        .await?
        .iter()
        .filter_map(|s| s.as_pause(now.today))
        .collect();
    let used = calendar
        .working_days_between(row.accepted_on, now.today, &pauses)
        .unwrap_or(0)
        .max(0) as u32;
    let on_time = row.due_date.is_none_or(|due| now.today <= due);
    let row: Row = sqlx::query_as(&format!(
        "update work_items w set state = $2, reason = $3, decided_by = $4, concluded_at = $5,
             concluded_on = $6, on_time = $7, working_days_used = $8, revision = revision + 1
         where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(state)
    .bind(Some(reason.clone()).filter(|r| !r.is_empty()))
    .bind(principal.account)
    .bind(now.at)
    .bind(now.today)
    .bind(on_time)
    .bind(used as i32)
    .fetch_one(&mut *tx)
    .await?;
    let results = if decision.approve {
        super::certificates::issue_results(&mut tx, &row, decision.valid_until, now).await?
    } else {
        Vec::new()
    };
    record(&mut tx, id, now.at, Some(principal.account), state, Some(position), json!({
        "step": step.name, "opinion": opinion, "reason": reason, "on_time": on_time,
        "working_days_used": used,
        "results": results.iter().map(|r| json!({ "name": r.name, "certificate_id": r.certificate_id })).collect::<Vec<_>>(),
    })).await?;
    let event = events::CaseConcluded {
        case_id: row.case_id.to_string(),
        case_number: row.case_number.clone(),
        decision: state.to_owned(),
        reason,
        results,
        decided_by: principal.account.to_string(),
        concluded_at: Some(tongban_events::timestamp(now.at)),
        work: Some(row.work_ref()),
        on_time,
        due_date: row.due_date.map(|d| d.to_string()).unwrap_or_default(),
        working_days_used: used,
    };
    publish(&mut tx, &row, &event).await?;
    if let Some(parent) = row.parent_case_id {
        super::joint::conclude_joint(&mut tx, parent, now).await?;
    }
    let item = detail(&mut tx, row, now.today).await?;
    tx.commit().await?;
    Ok(item)
}
