//! The back office's queue: open work of a region, soonest due first.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_calendar::Calendars;
use tongban_kernel::{Error, Principal, RegionCode};

use super::state::{StepState, TransferState, WorkItemState};
use super::view::working_days_left;
use crate::scope::{departments_seen, handles_or_supervises, region_column};

/// What a queue listing asks for.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub region: Option<RegionCode>,
    pub department_id: Option<Uuid>,
    pub step: Option<String>,
    /// in_progress or paused.
    pub state: Option<String>,
    /// Only overdue (true) or only not overdue (false).
    pub overdue: Option<bool>,
    /// Only items due on or before this date.
    pub due_before: Option<NaiveDate>,
    /// Only items assigned to the caller.
    pub mine: bool,
    pub after: Option<(NaiveDate, Uuid)>,
    pub limit: i64,
}

/// One line of a queue.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct QueueEntry {
    pub case_id: Uuid,
    pub case_number: String,
    pub item_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub handling_region: String,
    /// Whom the case is for: citizen or enterprise, the name, a citizen's document masked (an
    /// enterprise's credit code) and the real-name level shown (0 when not recorded).
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_document_masked: String,
    pub real_name_level: i16,
    pub state: WorkItemState,
    /// pending: transferred from another region's window and not yet taken over (accept it at
    /// /api/crossregion/v1/transfers first); accepted; absent for a case not transferred.
    pub transfer: Option<TransferState>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    /// Working days from today to the due date in the handling centre's calendar: 0 when due
    /// today, negative when overdue by that many; absent without a limit or while paused.
    #[sqlx(skip)]
    pub working_days_left: Option<i64>,
    pub current_step: i32,
    pub step_name: Option<String>,
    pub step_state: Option<StepState>,
    /// When the open step's own limit runs out.
    pub step_due_date: Option<NaiveDate>,
    pub assignee: Option<Uuid>,
}

/// A page of open work in a region, soonest due first (so overdue first), with the cursor of
/// the next page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Queue {
    pub items: Vec<QueueEntry>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// The region and departments a queue lists: the region asked for (or the widest the caller
/// handles or supervises) and the departments asked for within what the caller sees (`None`
/// for all of them).
fn scope_of(
    principal: &Principal,
    query: &QueueQuery,
) -> Result<(RegionCode, Option<Vec<Uuid>>), Error> {
    let region = match &query.region {
        Some(region) => *region,
        None => principal
            .roles
            .iter()
            .filter(|b| handles_or_supervises(b))
            .map(|b| b.region)
            .min_by_key(|r| r.prefix().len())
            .ok_or_else(|| Error::Forbidden("no role handles or supervises cases".into()))?,
    };
    let seen = departments_seen(principal, &region)?;
    let departments: Option<Vec<Uuid>> = match (seen, query.department_id) {
        (None, asked) => asked.map(|d| vec![d]),
        (Some(mine), Some(d)) if !mine.contains(&d) => {
            return Err(Error::Forbidden(format!("no role covers department {d}")));
        }
        (Some(_), Some(d)) => Some(vec![d]),
        (Some(mine), None) => Some(mine),
    };
    Ok((region, departments))
}

/// Writes the conditions asked for, beyond the region, to `sql`.
fn push_filters(
    sql: &mut QueryBuilder<'_, Postgres>,
    query: &QueueQuery,
    state: Option<WorkItemState>,
    departments: Option<Vec<Uuid>>,
    account: Uuid,
    today: NaiveDate,
) {
    match departments.as_deref() {
        Some([one]) => {
            sql.push(" and w.department_id = ").push_bind(*one);
        }
        Some(many) => {
            sql.push(" and w.department_id = any(")
                .push_bind(many.to_vec())
                .push(")");
        }
        None => {}
    }
    if let Some(step) = &query.step {
        sql.push(" and s.name = ").push_bind(step.clone());
    }
    if let Some(state) = state {
        sql.push(" and w.state = ").push_bind(state);
    }
    match query.overdue {
        Some(true) => {
            sql.push(" and w.due_date < ").push_bind(today);
        }
        Some(false) => {
            sql.push(" and w.due_date >= ").push_bind(today);
        }
        None => {}
    }
    if let Some(before) = query.due_before {
        sql.push(" and w.due_date <= ").push_bind(before);
    }
    if let Some((due, id)) = query.after {
        sql.push(" and (w.due_date, w.case_id) > (")
            .push_bind(due)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    if query.mine {
        sql.push(" and s.assignee = ").push_bind(account);
    }
}

/// The open work items of a region `principal` handles or supervises: all of the region's
/// departments, or only those its role bindings name.
pub async fn queue(
    pool: &PgPool,
    principal: &Principal,
    query: QueueQuery,
    today: NaiveDate,
) -> Result<Queue, Error> {
    let (region, departments) = scope_of(principal, &query)?;
    let state = query
        .state
        .as_deref()
        .map(|s| {
            WorkItemState::parse(s)
                .filter(|s| s.is_open())
                .ok_or_else(|| Error::bad_request("state", "in_progress or paused"))
        })
        .transpose()?;
    let limit = query.limit.clamp(1, 200);
    // Only the conditions asked for are written, so each shape of query gets a plan of its own
    // that walks one (region level or department, due date) index in order and stops at the
    // page's end.
    let mut sql = QueryBuilder::new(
        "select w.case_id, w.case_number, w.item_name, w.department_id, w.handling_region,
             w.applicant_kind, w.applicant_name, w.applicant_document_masked, w.real_name_level,
             w.state, w.transfer, w.due_date, coalesce(w.due_date < ",
    );
    sql.push_bind(today)
        .push(
            ", false) as overdue, w.current_step,
             s.name as step_name, s.state as step_state, s.due_date as step_due_date, s.assignee
         from work_items w
         left join work_item_steps s on s.case_id = w.case_id and s.position = w.current_step
         where w.state = any(",
        )
        .push_bind(&WorkItemState::OPEN[..])
        .push(") and w.")
        .push(region_column(&region))
        .push(" = ")
        .push_bind(region.prefix().to_owned());
    push_filters(
        &mut sql,
        &query,
        state,
        departments,
        principal.account,
        today,
    );
    sql.push(" order by w.due_date, w.case_id limit ")
        .push_bind(limit);
    let mut conn = pool.acquire().await?;
    let mut rows: Vec<QueueEntry> = sql.build_query_as().fetch_all(&mut *conn).await?;
    // A queue is mostly one region's: each service centre's calendar is read once per page.
    let mut calendars = Calendars::default();
    for row in &mut rows {
        row.working_days_left = working_days_left(
            &mut conn,
            &mut calendars,
            &row.handling_region,
            row.state,
            row.due_date,
            today,
        )
        .await?;
    }
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last())
        .flatten()
        .and_then(|last| Some(format!("{},{}", last.due_date?, last.case_id)));
    Ok(Queue { items: rows, next })
}
