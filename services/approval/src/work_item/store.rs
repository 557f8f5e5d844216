//! The work-item row, loaded and saved: the ONLY writer of a work item's state, its steps'
//! states and its current step, its history and its outbox events (and those of its
//! e-certificates), all through `tongban_bus::aggregate` in the caller's transaction. A change
//! of state is a [`Change`] whose transition the table ([`super::state::transition`]) allows;
//! a change of a step is a [`StepChange`], checked before by [`super::action::checked_step`].
//! The clock's own columns (due date, warning, extension) are written by [`crate::clock`].

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::{self, Aggregate, Column};
use tongban_bus::outbox::Subject;
use tongban_events::Event;
use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal, RegionCode, TimeLimit};

use super::state::{Action, TransferState, WorkItemState, transition};

mod accepted;
mod ended;
mod steps;
pub use accepted::{Accepted, insert_accepted};
pub use steps::{NewStep, StepChange, change_step, insert_step};

/// The moment and date an action happens at (from the service's clock).
pub use tongban_runtime::clock::Now;

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
    /// The applicant's name (a citizen's, or an enterprise's): the work item and the
    /// certificate name the holder. Empty when acceptance recorded none.
    pub applicant_name: String,
    /// The real-name level the applicant showed for the case (1-3; 0 not recorded).
    pub real_name_level: i16,
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
    pub state: WorkItemState,
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
    pub transfer: Option<TransferState>,
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

    pub fn limit(&self) -> TimeLimit {
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

    /// Whether `principal` is at a window that hands the case's results out: a window clerk
    /// whose binding covers the receiving region (the hall that took the case in, another
    /// region's for a transferred case), unrestricted or restricted to the item's department.
    /// They read its certificates; the work item itself stays the back office's.
    pub fn hands_out_to(&self, principal: &Principal) -> bool {
        let Ok(region) = self.region(&self.receiving_region) else {
            return false;
        };
        principal
            .bindings_for(Power::AcceptCases, &region)
            .any(|b| b.department.is_none_or(|d| Some(d) == self.department_id))
    }

    pub fn is_open(&self) -> bool {
        self.state.is_open()
    }
}

pub const COLUMNS: &str = "w.case_id, w.case_number, w.kind, w.parent_case_id, w.implementation_code, \
    w.item_version, w.handling_region, w.receiving_region, w.applicant_id, w.applicant_kind, \
    w.applicant_document_masked, w.applicant_name, w.real_name_level, w.accepted_by, w.accepted_at, w.accepted_on, w.item_name, w.department_id, \
    w.department_credit_code, w.limit_value, w.limit_unit, w.extension_days, w.due_date, \
    w.due_provisional, w.warn_on, w.state, w.current_step, w.warned_at, w.escalated_at, w.reason, \
    w.decided_by, w.concluded_at, w.concluded_on, w.on_time, w.revision, w.transfer_round, w.transfer";

/// A work item's history table and the column naming the work item.
const HISTORY: (&str, &str) = ("work_item_history", "case_id");

/// A work item as its history and the outbox see it: keyed by the case, so a case's events
/// stay in order; the handling and the receiving region in the routing header.
struct Written<'a> {
    row: &'a Row,
    key: String,
}

impl Aggregate for Written<'_> {
    const HISTORY: (&'static str, &'static str) = HISTORY;

    fn id(&self) -> Uuid {
        self.row.case_id
    }

    fn subject(&self) -> Subject<'_> {
        let mut regions = vec![
            self.row.handling_region.clone(),
            self.row.receiving_region.clone(),
        ];
        regions.dedup();
        Subject {
            key: &self.key,
            subject: Some(&self.row.case_number),
            regions,
        }
    }
}

fn written(row: &Row) -> Written<'_> {
    Written {
        row,
        key: row.case_id.to_string(),
    }
}

/// An e-certificate of a work item as the outbox sees it: keyed by the certificate, announced
/// in the handling region. What happens to it is written in its work item's history.
struct Certificate<'a> {
    row: &'a Row,
    key: String,
}

impl Aggregate for Certificate<'_> {
    const HISTORY: (&'static str, &'static str) = HISTORY;

    fn id(&self) -> Uuid {
        self.row.case_id
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            key: &self.key,
            subject: Some(&self.row.case_number),
            regions: vec![self.row.handling_region.clone()],
        }
    }
}

/// One entry of a work item's history.
pub struct Entry<'a> {
    /// The service clock's now, or the instant another service's event states.
    pub at: DateTime<Utc>,
    /// Who did it; none for the platform itself (a timer, another service's event).
    pub actor: Option<Uuid>,
    /// What happened, in snake case (`claimed`, `approved`).
    pub action: &'a str,
    /// The step it happened at, if any.
    pub step: Option<i32>,
    pub detail: Value,
}

/// Appends `entry` to the history of work item `row` (without an event). A staff member's
/// action (one with an actor) also goes into the service's audit chain: every step, decision
/// and revocation.
pub async fn note(tx: &mut PgConnection, row: &Row, entry: Entry<'_>) -> Result<(), Error> {
    if entry.actor.is_some() {
        let detail = json!({ "case_id": row.case_id, "step": entry.step, "detail": entry.detail });
        let action = tongban_audit::Action {
            actor: entry.actor,
            action: entry.action,
            subject: &row.case_number,
            detail: &detail,
            at: entry.at,
        };
        tongban_audit::append(tx, action).await?;
    }
    let columns = [("step", Column::Int(entry.step))];
    let entry =
        aggregate::Entry::new(entry.at, entry.actor, entry.action, entry.detail).with(&columns);
    aggregate::record(tx, &written(row), entry).await?;
    Ok(())
}

/// Appends `entry` to the history of work item `row` and, when given, publishes `event`.
pub async fn record<E: Event>(
    tx: &mut PgConnection,
    row: &Row,
    entry: Entry<'_>,
    event: Option<&E>,
) -> Result<(), Error> {
    note(tx, row, entry).await?;
    if let Some(event) = event {
        publish(tx, row, event).await?;
    }
    Ok(())
}

/// Publishes `event` about work item `row` without a history entry.
pub async fn publish<E: Event>(tx: &mut PgConnection, row: &Row, event: &E) -> Result<(), Error> {
    aggregate::publish(tx, &written(row), event).await?;
    Ok(())
}

/// Publishes `event` about e-certificate `certificate` of work item `row`.
pub async fn publish_certificate<E: Event>(
    tx: &mut PgConnection,
    row: &Row,
    certificate: Uuid,
    event: &E,
) -> Result<(), Error> {
    let certificate = Certificate {
        row,
        key: certificate.to_string(),
    };
    aggregate::publish(tx, &certificate, event).await?;
    Ok(())
}

pub async fn load(tx: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Row>, sqlx::Error> {
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
pub async fn visible(
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

/// Loads the work item for an action by `principal`: visible (404), open (409), at the
/// `revision` the caller saw if given (409), and locked for the transaction.
pub async fn for_action(
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
    if row.transfer == Some(TransferState::Pending) {
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

/// A new revision of work item `id`; the row as it now is.
pub async fn bump(tx: &mut PgConnection, id: Uuid) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update work_items w set revision = revision + 1 where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .fetch_one(tx)
    .await
}

/// Ids of the work items in `state` pinned to item version (`code`, `version`).
pub async fn pinned_to(
    tx: &mut PgConnection,
    state: WorkItemState,
    code: &str,
    version: i32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select case_id from work_items
         where state = $3 and implementation_code = $1 and item_version = $2",
    )
    .bind(code)
    .bind(version)
    .bind(state)
    .fetch_all(tx)
    .await
}

/// What a work item opens with: its item's name, department and promised limit, the due date
/// and warning day, and its first back-office step.
pub struct Opening<'a> {
    pub item_name: &'a str,
    pub department_id: Uuid,
    pub department_credit_code: &'a str,
    pub limit_value: i32,
    pub limit_unit: &'a str,
    pub due_date: NaiveDate,
    pub due_provisional: bool,
    pub warn_on: NaiveDate,
    pub first_step: i32,
}

/// How a case concluded.
pub struct Conclusion {
    /// Approved, or refused.
    pub approve: bool,
    pub reason: Option<String>,
    pub decided_by: Uuid,
    pub on_time: bool,
    pub working_days_used: i32,
}

/// A change of a work item's state, with what it stores beside it.
pub enum Change<'a> {
    /// Its item version is known: planned, its clock runs from now on.
    Opened(&'a Opening<'a>),
    /// The clock stops (the revision moves with the action's [`super::action::finish`]).
    Paused,
    /// The clock runs again (the revision moves with the action's finish).
    Resumed,
    /// Decided at its last step, at `now`.
    Concluded(&'a Conclusion, Now),
    /// The handling region sent the transfer back: the work item leaves the queue.
    TransferRejected { reason: &'a str },
    /// The front office ended the case undecided (`action`: withdrawn, refused at the window):
    /// it leaves the queue with `reason`, see [`super::end`].
    Ended { action: Action, reason: &'a str },
}

impl Change<'_> {
    fn action(&self) -> Action {
        match self {
            Self::Opened(_) => Action::Open,
            Self::Paused => Action::Pause,
            Self::Resumed => Action::Resume,
            Self::Concluded(conclusion, _) if conclusion.approve => Action::Approve,
            Self::Concluded(..) => Action::Refuse,
            Self::TransferRejected { .. } => Action::RejectTransfer,
            Self::Ended { action, .. } => *action,
        }
    }
}

/// Moves work item `row` by `change` (the transition table decides the new state; an illegal
/// one is refused with its conflict) and returns it as it now is.
pub async fn apply(tx: &mut PgConnection, row: &Row, change: Change<'_>) -> Result<Row, Error> {
    let to = transition(row.state, change.action())?;
    let id = row.case_id;
    Ok(match change {
        Change::Opened(opening) => open(tx, id, to, opening).await?,
        Change::Paused | Change::Resumed => {
            sqlx::query_as(&format!(
                "update work_items w set state = $2 where case_id = $1 returning {COLUMNS}"
            ))
            .bind(id)
            .bind(to)
            .fetch_one(&mut *tx)
            .await?
        }
        Change::Concluded(conclusion, now) => conclude(tx, id, to, conclusion, now).await?,
        Change::Ended { reason, .. } => {
            ended::ended(tx, id, to, reason).await?;
            load(tx, id, false)
                .await?
                .ok_or_else(|| Error::internal("the ended work item vanished"))?
        }
        Change::TransferRejected { reason } => {
            sqlx::query_as(&format!(
                "update work_items w set state = $3, transfer = null, reason = $2,
                     revision = revision + 1
                 where case_id = $1 returning {COLUMNS}"
            ))
            .bind(id)
            .bind(reason)
            .bind(to)
            .fetch_one(&mut *tx)
            .await?
        }
    })
}

/// Opens work item `id` (to state `to`): its clock runs from now on.
async fn open(
    tx: &mut PgConnection,
    id: Uuid,
    to: WorkItemState,
    opening: &Opening<'_>,
) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update work_items w set item_name = $2, department_id = $3, department_credit_code = $4,
             limit_value = $5, limit_unit = $6, due_date = $7, due_provisional = $8, warn_on = $9,
             state = $11, current_step = $10, revision = revision + 1
         where case_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(opening.item_name)
    .bind(opening.department_id)
    .bind(opening.department_credit_code)
    .bind(opening.limit_value)
    .bind(opening.limit_unit)
    .bind(opening.due_date)
    .bind(opening.due_provisional)
    .bind(opening.warn_on)
    .bind(opening.first_step)
    .bind(to)
    .fetch_one(&mut *tx)
    .await
}

/// Concludes work item `id` (to state `to`) at `now`.
async fn conclude(
    tx: &mut PgConnection,
    id: Uuid,
    to: WorkItemState,
    conclusion: &Conclusion,
    now: Now,
) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update work_items w set state = $2, reason = $3, decided_by = $4, concluded_at = $5,
             concluded_on = $6, on_time = $7, working_days_used = $8, revision = revision + 1
         where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(to)
    .bind(&conclusion.reason)
    .bind(conclusion.decided_by)
    .bind(now.at)
    .bind(now.today)
    .bind(conclusion.on_time)
    .bind(conclusion.working_days_used)
    .fetch_one(tx)
    .await
}

/// The handling region took the transfer over: the steps may be worked. The row as it now is.
pub async fn accept_transfer(tx: &mut PgConnection, id: Uuid) -> Result<Row, Error> {
    Ok(sqlx::query_as(&format!(
        "update work_items w set transfer = $2, revision = revision + 1 where case_id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(TransferState::Accepted)
    .fetch_one(tx)
    .await?)
}
