//! What the halls see of a transfer: the schema types and the read queries (one transfer, its
//! history, a page of a list).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_calendar::Calendars;
use tongban_kernel::{Error, Power, Principal, RegionCode, RoleBinding};

use super::access;
use super::state::{
    DeliveryMethod, Direction, Kind, Location, Mode, RejectionKind, Side, TransferState,
};
use super::store::{Applicant, COLUMNS, Row};

/// A transfer as both halls see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transfer {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// 1 for the first transfer of the case; one more after each rejected one.
    pub round: i32,
    /// item, or part of a 一件事 bundle (then `parent_case_id` is the bundle's case).
    pub kind: Kind,
    pub parent_case_id: Option<Uuid>,
    /// collect_elsewhere (异地代收代办) or joint (多地联办).
    pub mode: Mode,
    pub implementation_code: String,
    pub item_version: i32,
    pub item_name: Option<String>,
    pub receiving_region: String,
    pub handling_region: String,
    /// Whom the case is for: kind, name, masked document (an enterprise's credit code) and
    /// the real-name level shown.
    pub applicant: Applicant,
    /// sent, accepted, rejected, returned (concluded; the result awaits delivery) or delivered.
    pub state: TransferState,
    /// Where the case is: handling_region, receiving_region or applicant.
    pub location: Location,
    pub sent_at: DateTime<Utc>,
    /// The case's clock: its statutory due date (moved by pauses, extensions and calendar
    /// changes in the handling region), whether it is paused, whether it ran out.
    pub due_date: Option<NaiveDate>,
    pub clock_paused: bool,
    pub case_overdue: bool,
    /// The handling region's hand-over deadline (accept or reject), and whether it was missed.
    pub respond_by: NaiveDate,
    pub response_overdue: bool,
    pub responded_by: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    /// not_competent or materials_defective, with the reason, when rejected.
    pub rejection_kind: Option<RejectionKind>,
    pub rejection_reason: Option<String>,
    /// approved or refused, once concluded.
    pub decision: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// The delivering side's deadline, and whether it was missed.
    pub deliver_by: Option<NaiveDate>,
    pub delivery_overdue: bool,
    pub delivery_method: Option<DeliveryMethod>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Working days from today to the hand-over deadline that matters now — `respond_by`
    /// while sent (the handling centre's calendar), `deliver_by` while returned (the receiving
    /// centre's): 0 when it is today, negative when missed by that many. Absent otherwise.
    pub working_days_left: Option<i64>,
    pub legs: Vec<PostalLeg>,
    /// Bumped by every change; give it back to act on what you saw.
    pub revision: i32,
}

/// Paper in the post.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PostalLeg {
    pub id: Uuid,
    #[serde(skip)]
    pub transfer_id: Uuid,
    /// materials (to the handling region), result_to_receiving (the paper result back to the
    /// receiving window) or result_to_applicant.
    pub direction: Direction,
    pub carrier: String,
    pub tracking_number: String,
    pub sent_by: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
    pub received_by: Option<Uuid>,
    pub received_at: Option<DateTime<Utc>>,
}

/// A history entry.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    pub action: String,
    pub detail: Value,
}

fn into_transfer(row: Row, legs: Vec<PostalLeg>, working_days_left: Option<i64>) -> Transfer {
    Transfer {
        working_days_left,
        location: row.state.location(),
        response_overdue: row.response_overdue_at.is_some(),
        delivery_overdue: row.delivery_overdue_at.is_some(),
        id: row.id,
        case_id: row.case_id,
        case_number: row.case_number,
        round: row.round,
        kind: row.kind,
        parent_case_id: row.parent_case_id,
        mode: row.mode,
        implementation_code: row.implementation_code,
        item_version: row.item_version,
        item_name: row.item_name,
        receiving_region: row.receiving_region,
        handling_region: row.handling_region,
        applicant: row.applicant,
        state: row.state,
        sent_at: row.sent_at,
        due_date: row.due_date,
        clock_paused: row.clock_paused,
        case_overdue: row.case_overdue,
        respond_by: row.respond_by,
        responded_by: row.responded_by,
        responded_at: row.responded_at,
        rejection_kind: row.rejection_kind,
        rejection_reason: row.rejection_reason,
        decision: row.decision,
        concluded_at: row.concluded_at,
        deliver_by: row.deliver_by,
        delivery_method: row.delivery_method,
        delivered_at: row.delivered_at,
        legs,
        revision: row.revision,
    }
}

async fn legs_of(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<PostalLeg>, sqlx::Error> {
    sqlx::query_as(
        "select id, transfer_id, direction, carrier, tracking_number, sent_by, sent_at, received_by,
             received_at
         from postal_legs where transfer_id = any($1) order by sent_at, id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
}

/// The hand-over deadline that matters now and the region whose calendar counts it.
fn deadline_now(row: &Row) -> Option<(NaiveDate, &str)> {
    match row.state {
        TransferState::Sent => Some((row.respond_by, &row.handling_region)),
        TransferState::Returned => Some((row.deliver_by?, &row.receiving_region)),
        _ => None,
    }
}

async fn with_legs(
    conn: &mut PgConnection,
    rows: Vec<Row>,
    today: NaiveDate,
) -> Result<Vec<Transfer>, Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut legs = legs_of(conn, &ids).await?;
    let mut calendars = Calendars::default();
    let mut transfers = Vec::with_capacity(rows.len());
    for row in rows {
        let left = match deadline_now(&row) {
            Some((by, region)) => {
                calendars
                    .of(conn, region)
                    .await?
                    .working_days_between(today, by, &[])
            }
            None => None,
        };
        let (mine, rest) = legs.drain(..).partition(|l| l.transfer_id == row.id);
        legs = rest;
        transfers.push(into_transfer(row, mine, left));
    }
    Ok(transfers)
}

/// The transfer as `principal` sees it (404 when they may not).
pub async fn find(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    today: NaiveDate,
) -> Result<Transfer, Error> {
    let row = access::visible(conn, principal, id, false).await?;
    Ok(with_legs(conn, vec![row], today).await?.remove(0))
}

pub async fn get(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    today: NaiveDate,
) -> Result<Transfer, Error> {
    let mut conn = pool.acquire().await?;
    find(&mut conn, principal, id, today).await
}

pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, Error> {
    let mut conn = pool.acquire().await?;
    access::visible(&mut conn, principal, id, false).await?;
    Ok(sqlx::query_as(
        "select at, actor, action, detail from transfer_history where transfer_id = $1 order by seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Which transfers a list shows.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Those with either hall in this region (or below it).
    pub region: Option<RegionCode>,
    /// Those the region receives or handles (with `region`): receiving or handling.
    pub side: Option<Side>,
    pub state: Option<TransferState>,
    pub case_id: Option<Uuid>,
    /// Only those with a missed hand-over deadline.
    pub overdue: bool,
    /// The page after this transfer (newest first).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Restricts `query` to the transfers `bindings` reach: either hall in a binding's region,
/// and for a binding restricted to a department, a transfer of that department's item.
fn push_scope(query: &mut QueryBuilder<'_, sqlx::Postgres>, bindings: &[&RoleBinding]) {
    let scopes: Vec<String> = bindings
        .iter()
        .map(|b| format!("{}%", b.region.prefix()))
        .collect();
    query
        .push("(receiving_region like any(")
        .push_bind(scopes.clone())
        .push(") or handling_region like any(")
        .push_bind(scopes.clone())
        .push("))");
    if bindings.iter().any(|b| b.department.is_some()) {
        // Some binding is restricted to a department: a transfer shows through a binding that
        // reaches either hall and is restricted to none or to the transfer's department.
        let departments: Vec<Option<Uuid>> = bindings.iter().map(|b| b.department).collect();
        query
            .push(" and exists (select 1 from unnest(")
            .push_bind(scopes)
            .push("::text[], ")
            .push_bind(departments)
            .push(
                "::uuid[]) as b (scope, department)
                 where (receiving_region like b.scope or handling_region like b.scope)
                   and (b.department is null or b.department = department_id))",
            );
    }
}

/// Transfers `principal` may see (either hall in a region where they take in, handle or
/// supervise cases, through a binding restricted to no department or to the transfer's),
/// newest first.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    filter: &Filter,
    today: NaiveDate,
) -> Result<Vec<Transfer>, Error> {
    let bindings: Vec<&RoleBinding> = Power::CASE_WORK
        .iter()
        .flat_map(|p| principal.bindings_for_power(*p))
        .collect();
    if bindings.is_empty() {
        return Err(Error::Forbidden(
            "transfers are for the staff of the halls involved and their supervisors".into(),
        ));
    }
    if let Some(after) = filter.after {
        let known: bool =
            sqlx::query_scalar("select exists (select 1 from transfers where id = $1)")
                .bind(after)
                .fetch_one(pool)
                .await?;
        if !known {
            return Err(Error::bad_request(
                "after",
                "the id of the last transfer of a previous page",
            ));
        }
    }
    let mut query = QueryBuilder::new(format!("select {COLUMNS} from transfers where "));
    push_scope(&mut query, &bindings);
    if let Some(region) = &filter.region {
        let pattern = format!("{}%", region.prefix());
        match filter.side {
            Some(Side::Receiving) => {
                query.push(" and receiving_region like ").push_bind(pattern);
            }
            Some(Side::Handling) => {
                query.push(" and handling_region like ").push_bind(pattern);
            }
            _ => {
                query
                    .push(" and (receiving_region like ")
                    .push_bind(pattern.clone())
                    .push(" or handling_region like ")
                    .push_bind(pattern)
                    .push(")");
            }
        }
    }
    if let Some(state) = &filter.state {
        query.push(" and state = ").push_bind(*state);
    }
    if let Some(case_id) = filter.case_id {
        query.push(" and case_id = ").push_bind(case_id);
    }
    if filter.overdue {
        query.push(" and (response_overdue_at is not null or delivery_overdue_at is not null)");
    }
    if let Some(after) = filter.after {
        query
            .push(" and (sent_at, id) < (select sent_at, id from transfers where id = ")
            .push_bind(after)
            .push(")");
    }
    query
        .push(" order by sent_at desc, id desc limit ")
        .push_bind(filter.limit);
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = query.build_query_as().fetch_all(&mut *conn).await?;
    with_legs(&mut conn, rows, today).await
}
