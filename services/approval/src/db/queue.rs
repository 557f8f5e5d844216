//! The back office's queue: open work of a region, soonest due first.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, Power, Principal, RegionCode, RoleBinding};

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
    pub state: String,
    /// pending: transferred from another region's window and not yet taken over (accept it at
    /// /api/crossregion/v1/transfers first); accepted; absent for a case not transferred.
    pub transfer: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    pub current_step: i32,
    pub step_name: Option<String>,
    pub step_state: Option<String>,
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

/// The column holding a work item's handling region cut to `region`'s level (province 2,
/// city 4, county 6, town 9 digits, village the whole code): each is indexed with the due
/// date, so a region's queue is an index walk whatever its level.
pub(super) fn region_column(region: &RegionCode) -> &'static str {
    match region.level() {
        RegionLevel::Province => "handling_province",
        RegionLevel::City => "handling_city",
        RegionLevel::County => "handling_county",
        RegionLevel::Town => "handling_town",
        RegionLevel::Village => "handling_region",
    }
}

fn handles_or_supervises(binding: &RoleBinding) -> bool {
    binding
        .role
        .powers()
        .iter()
        .any(|p| matches!(p, Power::HandleCases | Power::Supervise))
}

/// The departments whose work in `region` `principal` handles or supervises: `None` for all
/// of them (a role not bound to a department), or the departments its roles name. 403 when no
/// role reaches the region.
pub(super) fn departments_seen(
    principal: &Principal,
    region: &RegionCode,
) -> Result<Option<Vec<Uuid>>, Error> {
    let bindings: Vec<&RoleBinding> = principal
        .roles
        .iter()
        .filter(|b| handles_or_supervises(b) && b.covers(region))
        .collect();
    if bindings.is_empty() {
        return Err(Error::Forbidden(format!(
            "no role handles or supervises cases in region {region}"
        )));
    }
    Ok((!bindings.iter().any(|b| b.department.is_none()))
        .then(|| bindings.iter().filter_map(|b| b.department).collect()))
}

/// The open work items of a region `principal` handles or supervises: all of the region's
/// departments, or only those its role bindings name.
pub async fn queue(
    pool: &PgPool,
    principal: &Principal,
    query: QueueQuery,
    today: NaiveDate,
) -> Result<Queue, Error> {
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
    if let Some(state) = &query.state
        && !["in_progress", "paused"].contains(&state.as_str())
    {
        return Err(Error::bad_request("state", "in_progress or paused"));
    }
    let limit = query.limit.clamp(1, 200);
    // Only the conditions asked for are written, so each shape of query gets a plan of its own
    // that walks one (region level or department, due date) index in order and stops at the
    // page's end.
    let mut sql = sqlx::QueryBuilder::new(
        "select w.case_id, w.case_number, w.item_name, w.department_id, w.handling_region, w.state,
             w.transfer, w.due_date, coalesce(w.due_date < ",
    );
    sql.push_bind(today)
        .push(
            ", false) as overdue, w.current_step,
             s.name as step_name, s.state as step_state, s.due_date as step_due_date, s.assignee
         from work_items w
         left join work_item_steps s on s.case_id = w.case_id and s.position = w.current_step
         where w.state in ('in_progress', 'paused') and w.",
        )
        .push(region_column(&region))
        .push(" = ")
        .push_bind(region.prefix().to_owned());
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
    if let Some(state) = &query.state {
        sql.push(" and w.state = ").push_bind(state.clone());
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
        sql.push(" and s.assignee = ").push_bind(principal.account);
    }
    sql.push(" order by w.due_date, w.case_id limit ")
        .push_bind(limit);
    let rows: Vec<QueueEntry> = sql.build_query_as().fetch_all(pool).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last())
        .flatten()
        .and_then(|last| Some(format!("{},{}", last.due_date?, last.case_id)));
    Ok(Queue { items: rows, next })
}
