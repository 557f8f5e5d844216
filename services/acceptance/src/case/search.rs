//! Finding a case (办件查询) for staff in scope: by its number (exact), by the applicant's
//! document (exact, through the keyed hash — there is no index of ID numbers to read), by the
//! applicant's name (its beginning), by item, by the day it was submitted, by status. A case is
//! found by whoever may see it: staff taking in, handling or supervising cases where it was
//! received or is handled, within their departments (DESIGN.md "Jurisdiction and access").
//! Newest first, a page at a time.

use axum::extract::State;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{CaseNumber, Error, ErrorBody, Json, Power, Principal, Query, Result};

use super::applicant::Identities;
use super::hall::{
    CASE_DEPARTMENTS, HALL_COLUMNS, HallCases, ITEM_JOINS, SUBMITTED, cursor, paged,
};
use super::reach::{HANDLED, RECEIVED, Reach, push_within, reaches};
use super::state::Status;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A case number (43 characters), exactly.
    pub number: Option<String>,
    /// The applicant's document number (an ID number, a credit code), exactly.
    pub document: Option<String>,
    /// The beginning of the applicant's name (1-50 characters).
    pub name: Option<String>,
    /// One item (31-character implementation code).
    pub implementation_code: Option<String>,
    /// Submitted on or after this day (China's calendar, YYYY-MM-DD).
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this day.
    pub submitted_to: Option<NaiveDate>,
    /// One status (draft, submitted, needs_correction, accepted, returned, refused, withdrawn,
    /// concluded, delivered).
    pub status: Option<String>,
    /// Only cases received or handled in this region or below it.
    pub region_code: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<i64>,
}

/// Cases in the caller's scope that match every filter given, newest submission first (drafts
/// last). For staff who take in, handle or supervise cases; others get 403.
#[utoipa::path(get, path = "", tag = "cases", params(SearchParams), security(("bearer" = [])),
    responses((status = 200, body = HallCases), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<SearchParams>,
) -> Result<Json<HallCases>> {
    Ok(Json(
        find(&state.reads, &state.identities, &principal, &params).await?,
    ))
}

/// The filters, checked (400 naming the one that is wrong).
struct Filters {
    number: Option<String>,
    document: Option<Vec<u8>>,
    name: Option<String>,
    item: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    status: Option<Status>,
}

/// A filter's text, trimmed; none when empty.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn filters(identities: &Identities, params: &SearchParams) -> Result<Filters, Error> {
    let number = text(&params.number)
        .map(|n| {
            n.parse::<CaseNumber>()
                .map(|n| n.as_str().to_owned())
                .map_err(|_| Error::bad_request("number", "a case number has 43 characters"))
        })
        .transpose()?;
    let document = text(&params.document)
        .map(|d| {
            if d.chars().count() > 32 {
                return Err(Error::bad_request("document", "at most 32 characters"));
            }
            Ok(identities.index(d))
        })
        .transpose()?;
    let name = text(&params.name)
        .map(|n| {
            if n.chars().count() > 50 {
                return Err(Error::bad_request("name", "at most 50 characters"));
            }
            Ok(n.to_owned())
        })
        .transpose()?;
    let item = text(&params.implementation_code)
        .map(|c| {
            c.parse::<tongban_kernel::ImplementationCode>()
                .map(|c| c.as_str().to_owned())
                .map_err(|e| Error::bad_request("implementation_code", e.to_string()))
        })
        .transpose()?;
    let status = text(&params.status)
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                Error::bad_request("status", format!("{s:?} is not a status of a case"))
            })
        })
        .transpose()?;
    // Days in China's calendar: from its first instant to the next day's.
    let start = |day: NaiveDate| tongban_runtime::clock::local_midnight(day);
    let from = params.submitted_from.map(start);
    let to = params
        .submitted_to
        .map(|day| start(day.checked_add_days(Days::new(1)).unwrap_or(day)));
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(Error::bad_request(
            "submitted_to",
            "must not be before submitted_from",
        ));
    }
    Ok(Filters {
        number,
        document,
        name,
        item,
        from,
        to,
        status,
    })
}

/// The page of cases `params` asks for, within what `principal` may see.
pub async fn find(
    pool: &PgPool,
    identities: &Identities,
    principal: &Principal,
    params: &SearchParams,
) -> Result<HallCases, Error> {
    let filters = filters(identities, params)?;
    let region = params
        .region_code
        .as_deref()
        .map(|r| tongban_kernel::parse_param("region_code", r.trim()))
        .transpose()?;
    let limit = tongban_kernel::page_limit(params.limit, 20, 100)?;
    let after = params.after.as_deref().map(cursor).transpose()?;
    if reaches(principal, &Power::CASE_WORK, None).is_empty() {
        return Err(Error::Forbidden(
            "case search is for staff who take in, handle or supervise cases".into(),
        ));
    }
    // A region outside the caller's scope finds nothing, as a case out of scope is not there.
    let reach = reaches(principal, &Power::CASE_WORK, region.as_ref());
    if reach.is_empty() {
        return Ok(HallCases {
            items: Vec::new(),
            next: None,
        });
    }
    // A page from each reach on each side, each read newest first along an index that stops at
    // the page's end; the page is the newest of them.
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "select {HALL_COLUMNS}, null::date as deferred_until, null::boolean as deferred_overdue,
                u.sort_at from ("
    ));
    let mut first = true;
    for r in &reach {
        for handled in [false, true] {
            // A department's bundles, whose parts may be its, are looked for apart.
            let bundles: &[bool] = if r.department.is_some() {
                &[false, true]
            } else {
                &[false]
            };
            for &bundles in bundles {
                if !first {
                    sql.push(" union ");
                }
                first = false;
                push_branch(&mut sql, &filters, r, handled, bundles, after, limit);
            }
        }
    }
    sql.push(format!(
        ") u join cases c on c.id = u.id {ITEM_JOINS} order by u.sort_at desc, u.id desc limit "
    ))
    .push_bind(limit + 1);
    let items = sql.build_query_as().fetch_all(pool).await?;
    Ok(paged(items, limit))
}

/// One branch of the search: the ids and instants of the newest `limit + 1` cases matching
/// `filters` on one side of `reach` (the handling side: cases handled elsewhere than received;
/// the others its receiving side finds), after the cursor. For a reach restricted to a
/// department, its cases, or (`bundles`) the 一件事 applications with a part of it.
fn push_branch(
    sql: &mut QueryBuilder<'_, Postgres>,
    filters: &Filters,
    reach: &Reach,
    handled: bool,
    bundles: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) {
    sql.push(format!("(select c.id, {SUBMITTED} as sort_at from cases c"));
    if bundles {
        sql.push(
            " join item_versions v on v.implementation_code = c.implementation_code
              and v.version = c.item_version",
        );
    }
    sql.push(" where c.parent_id is null");
    push_filters(sql, filters);
    let whole = Reach {
        department: None,
        ..reach.clone()
    };
    sql.push(" and ");
    push_within(sql, &whole, if handled { HANDLED } else { RECEIVED }, "");
    if handled {
        sql.push(" and c.handled_elsewhere");
    }
    match (reach.department, bundles) {
        (Some(department), false) => {
            sql.push(" and c.department_id = ").push_bind(department);
        }
        (Some(department), true) => {
            sql.push(" and c.kind = 'bundle' and ")
                .push_bind(department)
                .push(format!(" = any({CASE_DEPARTMENTS})"));
        }
        (None, _) => {}
    }
    if let Some((at, id)) = after {
        sql.push(format!(" and ({SUBMITTED}, c.id) < ("))
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    sql.push(format!(" order by {SUBMITTED} desc, c.id desc limit "))
        .push_bind(limit + 1)
        .push(")");
}

fn push_filters(sql: &mut QueryBuilder<'_, Postgres>, filters: &Filters) {
    if let Some(number) = &filters.number {
        sql.push(" and c.number = ").push_bind(number.clone());
    }
    if let Some(document) = &filters.document {
        sql.push(" and c.applicant_document_index = ")
            .push_bind(document.clone());
    }
    if let Some(name) = &filters.name {
        if name.chars().count() == 1 {
            // A surname alone matches many: `cases_applicant_surname` has them newest first.
            sql.push(" and c.applicant_name is not null and left(c.applicant_name, 1) = ")
                .push_bind(name.clone());
        } else {
            // The names that begin with it, as a range an index follows under a generic plan
            // (which cannot read the beginning of a `like` pattern bound to it): from the name
            // to the name followed by the last code point, byte by byte as `text_pattern_ops`
            // orders.
            sql.push(" and c.applicant_name ~>=~ ")
                .push_bind(name.clone())
                .push(" and c.applicant_name ~<~ ")
                .push_bind(format!("{name}\u{10FFFF}"));
        }
    }
    if let Some(item) = &filters.item {
        sql.push(" and c.implementation_code = ")
            .push_bind(item.clone());
    }
    // On the submission, and on the instant the indexes run in the order of (the same for a
    // case submitted), so that they read the days asked for only.
    if let Some(from) = filters.from {
        sql.push(" and c.submitted_at >= ")
            .push_bind(from)
            .push(format!(" and {SUBMITTED} >= "))
            .push_bind(from);
    }
    if let Some(to) = filters.to {
        sql.push(" and c.submitted_at < ")
            .push_bind(to)
            .push(format!(" and {SUBMITTED} < "))
            .push_bind(to);
    }
    if let Some(status) = filters.status {
        sql.push(" and c.status = ").push_bind(status);
    }
}
