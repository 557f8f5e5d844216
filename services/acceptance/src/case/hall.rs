//! The hall's inbox (待办): the front office's work, list by list, for the window clerks (and
//! supervisors) whose scope covers the hall that received the cases — applications awaiting
//! review, corrections awaiting the applicant, resubmissions, 容缺 materials still owed,
//! results awaiting hand-out, transfers sent back — with a count per list for the badge, in
//! one query. Every list is a page at a time, oldest first (keyset), scoped by region and
//! department through [`super::reach`], and read through `cases_hall` (status, receiving
//! county, time) in order. The counts are kept: `inbox_tallies` holds every change of a case's
//! place in the lists, appended by the database as it happens (the migration
//! `the_hall_at_speed` has the triggers), and folded by the sweep.

use axum::extract::State;
use chrono::SecondsFormat::Micros;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Path, Power, Principal, Query, RegionCode, Result};

use super::reach::{RECEIVED, Reach, push_scope, reaches};
use super::state::Status;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(counts))
        .routes(routes!(list))
}

tongban_kernel::text_enum! {
    /// A list of the hall's inbox.
    pub enum List {
        /// Submitted (online, or entered at a window) for the first time: the pre-check and the
        /// acceptance decision are due.
        AwaitingReview => "awaiting_review",
        /// Submitted again after the one-time correction notice.
        Resubmitted => "resubmitted",
        /// The correction notice went out; the applicant has not answered yet.
        AwaitingApplicant => "awaiting_applicant",
        /// Accepted with 容缺 materials not yet supplied (due, or past their deadline).
        DeferredOwed => "deferred_owed",
        /// Concluded by the department: the result awaits hand-out (出件).
        AwaitingHandout => "awaiting_handout",
        /// The handling region sent the transfer back.
        Returned => "returned",
    }
}

/// A case as the hall's lists and the staff search show it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct HallCase {
    pub id: Uuid,
    pub number: Option<String>,
    /// item or bundle (a 一件事 application; its parts are in the case's view).
    pub kind: String,
    pub implementation_code: String,
    /// The item's name, or the 一件事's.
    pub item_name: String,
    pub status: Status,
    /// online or window.
    pub channel: String,
    /// local, online, collect_elsewhere or joint.
    pub mode: String,
    pub receiving_region: String,
    pub handling_region: String,
    /// citizen or enterprise.
    pub applicant_kind: String,
    /// The applicant's name and masked document (an enterprise's credit code whole).
    pub applicant_name: Option<String>,
    pub applicant_document: Option<String>,
    /// The real-name level the applicant has shown for the case.
    pub real_name_level: i16,
    pub submissions: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// approved or refused, once concluded.
    pub conclusion: Option<String>,
    /// In the 容缺 list: the earliest deadline of a material still owed, and whether any is
    /// past its deadline.
    pub deferred_until: Option<NaiveDate>,
    pub deferred_overdue: Option<bool>,
    /// What the list is ordered by (the keyset).
    #[serde(skip)]
    pub sort_at: Option<DateTime<Utc>>,
}

/// A page of cases.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HallCases {
    pub items: Vec<HallCase>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// How many cases each list holds.
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct InboxCounts {
    pub awaiting_review: i64,
    pub resubmitted: i64,
    pub awaiting_applicant: i64,
    pub deferred_owed: i64,
    /// Of `deferred_owed`: cases with a material past its deadline.
    pub deferred_overdue: i64,
    pub awaiting_handout: i64,
    pub returned: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// One hall (a region the caller's roles cover, or one below it); default every hall
    /// they serve.
    pub region_code: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// One hall, as for the counts.
    pub region_code: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<i64>,
}

/// The columns a [`HallCase`] is read from (`c` the case, `v` its item version, `b` its bundle
/// version: [`ITEM_JOINS`]).
pub(super) const HALL_COLUMNS: &str = "c.id, c.number, c.kind, c.implementation_code,
    coalesce(b.name, v.name) as item_name, c.status, c.channel, c.mode, c.receiving_region,
    c.handling_region, c.applicant_kind, c.applicant_name, c.applicant_document,
    c.real_name_level, c.submissions, c.submitted_at, c.due_date, c.concluded_at, c.conclusion";

/// What [`HALL_COLUMNS`] joins to a case `c`.
pub(super) const ITEM_JOINS: &str = "
    join item_versions v on v.implementation_code = c.implementation_code and v.version = c.item_version
    left join bundle_versions b on b.bundle_id = c.bundle_id and b.version = c.bundle_version";

/// The departments a case of [`ITEM_JOINS`] belongs to, as an array: its item's, and for a
/// 一件事 application also its parts' items' (as a single case's access has it).
pub(super) const CASE_DEPARTMENTS: &str = "case when c.kind = 'bundle' then array(
        select pv.department_id from cases p join item_versions pv
            on pv.implementation_code = p.implementation_code and pv.version = p.item_version
        where p.parent_id = c.id) || v.department_id
    else array[v.department_id] end";

/// When a case was submitted, a draft when it was opened: what `cases_hall` and the search's
/// indexes run in the order of.
pub(super) const SUBMITTED: &str = "coalesce(c.submitted_at, c.created_at)";

/// The reaches of the hall's work: window clerks' and supervisors' bindings.
fn hall_reaches(principal: &Principal, region: Option<&str>) -> Result<Vec<Reach>, Error> {
    let region: Option<RegionCode> = region
        .map(|r| tongban_kernel::parse_param("region_code", r.trim()))
        .transpose()?;
    let powers = [Power::AcceptCases, Power::Supervise];
    let reach = reaches(principal, &powers, region.as_ref());
    if reach.is_empty() {
        return Err(Error::Forbidden(match region {
            Some(region) => format!(
                "none of your roles allows {} or {} in region {region}",
                Power::AcceptCases.describe(),
                Power::Supervise.describe()
            ),
            None => format!(
                "the hall's inbox is for staff {} or {}",
                Power::AcceptCases.describe(),
                Power::Supervise.describe()
            ),
        }));
    }
    Ok(reach)
}

/// How many cases each list of the hall's inbox holds, in one query.
#[utoipa::path(get, path = "", tag = "inbox", params(InboxParams), security(("bearer" = [])),
    responses((status = 200, body = InboxCounts), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn counts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<InboxParams>,
) -> Result<Json<InboxCounts>> {
    let reach = hall_reaches(&principal, params.region_code.as_deref())?;
    Ok(Json(count(&state.reads, &reach).await?))
}

/// The counts of every list for cases received within `reach`, in one query: the sums of the
/// kept changes of the regions in reach; for a reach restricted to a department, which the
/// tallies do not tell apart, counted from the cases ([`count_cases`]).
pub async fn count(pool: &PgPool, reach: &[Reach]) -> Result<InboxCounts, Error> {
    if reach.is_empty() || reach.iter().any(|r| r.department.is_some()) {
        return count_cases(pool, reach).await;
    }
    let mut sql =
        QueryBuilder::<Postgres>::new("select list, sum(delta)::bigint from inbox_tallies where ");
    for (i, r) in reach.iter().enumerate() {
        if i > 0 {
            sql.push(" or ");
        }
        sql.push("receiving_region between ")
            .push_bind(r.lo.clone())
            .push(" and ")
            .push_bind(r.hi.clone());
    }
    sql.push(" group by list");
    let sums: Vec<(String, i64)> = sql.build_query_as().fetch_all(pool).await?;
    let mut counts = InboxCounts::default();
    for (list, n) in sums {
        let count = match list.as_str() {
            "deferred_overdue" => &mut counts.deferred_overdue,
            list => match List::parse(list) {
                Some(List::AwaitingReview) => &mut counts.awaiting_review,
                Some(List::Resubmitted) => &mut counts.resubmitted,
                Some(List::AwaitingApplicant) => &mut counts.awaiting_applicant,
                Some(List::DeferredOwed) => &mut counts.deferred_owed,
                Some(List::AwaitingHandout) => &mut counts.awaiting_handout,
                Some(List::Returned) => &mut counts.returned,
                None => continue,
            },
        };
        *count = n;
    }
    Ok(counts)
}

/// Folds the kept changes of the inbox's counts into one row per region and list (the sweep
/// runs it; every replica may at once).
pub async fn fold_tallies(pool: &PgPool) -> Result<(), Error> {
    sqlx::query("select fold_inbox_tallies()")
        .execute(pool)
        .await?;
    Ok(())
}

/// The counts of every list counted from the cases themselves, in one query: the lists by
/// status from `cases_hall` alone (an index-only scan: it carries `submissions`), and the cases
/// owing a 容缺 material by joining the accepted ones in reach to the materials owed. The item
/// (for its department) is joined only for a reach restricted to a department.
pub async fn count_cases(pool: &PgPool, reach: &[Reach]) -> Result<InboxCounts, Error> {
    let (cases, joined) = if reach.iter().any(|r| r.department.is_some()) {
        let cases = "cases c join item_versions v on v.implementation_code = c.implementation_code
             and v.version = c.item_version";
        (cases, format!("({cases})"))
    } else {
        ("cases c", "cases c".to_owned())
    };
    let mut sql = QueryBuilder::<Postgres>::new("select count(c.id) filter (where c.status = ");
    sql.push_bind(Status::Submitted)
        .push(" and c.submissions <= 1) as awaiting_review, count(c.id) filter (where c.status = ")
        .push_bind(Status::Submitted)
        .push(" and c.submissions > 1) as resubmitted, count(c.id) filter (where c.status = ")
        .push_bind(Status::NeedsCorrection)
        .push(") as awaiting_applicant, count(c.id) filter (where c.status = ")
        .push_bind(Status::Concluded)
        .push(") as awaiting_handout, count(c.id) filter (where c.status = ")
        .push_bind(Status::Returned)
        .push(") as returned, o.owed as deferred_owed, o.overdue as deferred_overdue")
        .push(format!(
            " from (select count(distinct c.id) as owed,
                    count(distinct c.id) filter (where d.overdue_at is not null) as overdue
                from {cases} join deferred_materials d on d.case_id = c.id and d.supplied_at is null
                where c.parent_id is null and c.status = "
        ))
        .push_bind(Status::Accepted);
    push_scope(&mut sql, reach, RECEIVED, CASE_DEPARTMENTS);
    sql.push(format!(
        ") o left join {joined} on c.parent_id is null and c.status = any("
    ))
    .push_bind(vec![
        Status::Submitted,
        Status::NeedsCorrection,
        Status::Concluded,
        Status::Returned,
    ])
    .push(")");
    push_scope(&mut sql, reach, RECEIVED, CASE_DEPARTMENTS);
    sql.push(" group by o.owed, o.overdue");
    Ok(sql.build_query_as().fetch_one(pool).await?)
}

/// One list of the hall's inbox, oldest first.
#[utoipa::path(get, path = "/{list}", tag = "inbox", params(("list" = String, Path, description = "awaiting_review, resubmitted, awaiting_applicant, deferred_owed, awaiting_handout or returned"), ListParams),
    security(("bearer" = [])), responses((status = 200, body = HallCases),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(list): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<HallCases>> {
    let list = List::parse(list.trim()).ok_or_else(|| {
        Error::bad_request(
            "list",
            "awaiting_review, resubmitted, awaiting_applicant, deferred_owed, awaiting_handout or returned",
        )
    })?;
    let reach = hall_reaches(&principal, params.region_code.as_deref())?;
    let limit = tongban_kernel::page_limit(params.limit, 20, 100)?;
    let after = params.after.as_deref().map(cursor).transpose()?;
    Ok(Json(page(&state.reads, list, &reach, after, limit).await?))
}

/// A page of `list` within `reach`, after the `after` keyset.
pub async fn page(
    pool: &PgPool,
    list: List,
    reach: &[Reach],
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<HallCases, Error> {
    let mut sql = QueryBuilder::<Postgres>::new(format!("select {HALL_COLUMNS}, "));
    let (status, sort) = match list {
        List::AwaitingReview | List::Resubmitted => (Status::Submitted, SUBMITTED),
        List::AwaitingApplicant => (Status::NeedsCorrection, SUBMITTED),
        List::Returned => (Status::Returned, SUBMITTED),
        List::AwaitingHandout => (Status::Concluded, "c.concluded_at"),
        List::DeferredOwed => (Status::Accepted, "o.until::timestamptz"),
    };
    if list == List::DeferredOwed {
        sql.push("o.until as deferred_until, o.overdue as deferred_overdue, ");
    } else {
        sql.push("null::date as deferred_until, null::boolean as deferred_overdue, ");
    }
    sql.push(format!("{sort} as sort_at from cases c {ITEM_JOINS}"));
    if list == List::DeferredOwed {
        sql.push(
            " join lateral (select min(d.deadline) as until, bool_or(d.overdue_at is not null) as overdue
              from deferred_materials d where d.case_id = c.id and d.supplied_at is null
              having count(*) > 0) o on true",
        );
    }
    sql.push(" where c.parent_id is null and c.status = ")
        .push_bind(status);
    match list {
        List::AwaitingReview => {
            sql.push(" and c.submissions <= 1");
        }
        List::Resubmitted => {
            sql.push(" and c.submissions > 1");
        }
        // What `cases_handout` holds, in words a generic plan can match.
        List::AwaitingHandout => {
            sql.push(" and c.concluded_at is not null and c.delivered_at is null");
        }
        _ => {}
    }
    push_scope(&mut sql, reach, RECEIVED, CASE_DEPARTMENTS);
    if let Some((at, id)) = after {
        sql.push(format!(" and ({sort}, c.id) > ("))
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    sql.push(format!(" order by {sort}, c.id limit "))
        .push_bind(limit + 1);
    let items = sql.build_query_as().fetch_all(pool).await?;
    Ok(paged(items, limit))
}

/// The first `limit` of `items` (one more was read) and the cursor after them.
pub(super) fn paged(mut items: Vec<HallCase>, limit: i64) -> HallCases {
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| {
            format!(
                "{},{}",
                last.sort_at
                    .unwrap_or_default()
                    .to_rfc3339_opts(Micros, true),
                last.id
            )
        })
    } else {
        None
    };
    HallCases { items, next }
}

/// A `next` cursor: the last entry's instant and id.
pub(super) fn cursor(value: &str) -> Result<(DateTime<Utc>, Uuid), Error> {
    value
        .split_once(',')
        .and_then(|(at, id)| {
            let at = DateTime::parse_from_rfc3339(at).ok()?.to_utc();
            Some((at, Uuid::parse_str(id).ok()?))
        })
        .ok_or_else(|| Error::bad_request("after", "the `next` cursor of a previous page"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_the_instant_and_id_of_the_last_entry() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T08:30:00.123456+08:00")
            .unwrap()
            .to_utc();
        let id = Uuid::now_v7();
        let written = format!("{},{id}", at.to_rfc3339_opts(Micros, true));
        assert!(
            !written.contains('+'),
            "a cursor survives a query string: {written}"
        );
        let (read_at, read_id) = cursor(&written).unwrap();
        assert_eq!(
            (read_at.timestamp_micros(), read_id),
            (at.timestamp_micros(), id)
        );
        assert_eq!(cursor("yesterday").unwrap_err().status(), 400);
        assert_eq!(cursor("2026-12-01T00:00:00Z,x").unwrap_err().status(), 400);
    }
}
