//! Transfers (跨域通办): a case accepted at a window outside the region that decides it (or a
//! 多地联办 bundle part handled outside the region that took the bundle in) goes to the handling
//! region, which accepts or rejects it by a deadline; its result comes back for delivery by
//! another. Both halls, and their supervisors up to the province, see the transfer, where the
//! case is, its postal legs and its clock; nobody else does.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Transaction};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Power, Principal, RegionCode, TimeLimit};

use crate::domain::{self, Side};

/// A transfer as both halls see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transfer {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// 1 for the first transfer of the case; one more after each rejected one.
    pub round: i32,
    /// item, or part of a 一件事 bundle (then `parent_case_id` is the bundle's case).
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    /// collect_elsewhere (异地代收代办) or joint (多地联办).
    pub mode: String,
    pub implementation_code: String,
    pub item_version: i32,
    pub item_name: Option<String>,
    pub receiving_region: String,
    pub handling_region: String,
    /// sent, accepted, rejected, returned (concluded; the result awaits delivery) or delivered.
    pub state: String,
    /// Where the case is: handling_region, receiving_region or applicant.
    pub location: String,
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
    pub rejection_kind: Option<String>,
    pub rejection_reason: Option<String>,
    /// approved or refused, once concluded.
    pub decision: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// The delivering side's deadline, and whether it was missed.
    pub deliver_by: Option<NaiveDate>,
    pub delivery_overdue: bool,
    pub delivery_method: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
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
    pub direction: String,
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

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    case_id: Uuid,
    case_number: String,
    round: i32,
    kind: String,
    parent_case_id: Option<Uuid>,
    mode: String,
    implementation_code: String,
    item_version: i32,
    item_name: Option<String>,
    department_id: Option<Uuid>,
    receiving_region: String,
    handling_region: String,
    state: String,
    sent_at: DateTime<Utc>,
    sent_on: NaiveDate,
    due_date: Option<NaiveDate>,
    clock_paused: bool,
    case_overdue: bool,
    respond_by: NaiveDate,
    responded_by: Option<Uuid>,
    responded_at: Option<DateTime<Utc>>,
    rejection_kind: Option<String>,
    rejection_reason: Option<String>,
    decision: Option<String>,
    concluded_at: Option<DateTime<Utc>>,
    deliver_by: Option<NaiveDate>,
    delivery_method: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    response_overdue_at: Option<DateTime<Utc>>,
    delivery_overdue_at: Option<DateTime<Utc>>,
    revision: i32,
}

const COLUMNS: &str = "id, case_id, case_number, round, kind, parent_case_id, mode, implementation_code, \
    item_version, item_name, department_id, receiving_region, handling_region, state, sent_at, sent_on, \
    due_date, clock_paused, case_overdue, respond_by, responded_by, responded_at, rejection_kind, rejection_reason, decision, \
    concluded_at, deliver_by, delivery_method, delivered_at, response_overdue_at, delivery_overdue_at, \
    revision";

impl Row {
    fn reference(&self) -> events::TransferRef {
        events::TransferRef {
            transfer_id: self.id.to_string(),
            case_id: self.case_id.to_string(),
            case_number: self.case_number.clone(),
            round: self.round as u32,
            implementation_code: self.implementation_code.clone(),
            kind: self.kind.clone(),
            parent_case_id: self
                .parent_case_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            mode: self.mode.clone(),
            receiving_region: self.receiving_region.clone(),
            handling_region: self.handling_region.clone(),
        }
    }

    fn region(&self, side: Side) -> Result<RegionCode, Error> {
        let code = match side {
            Side::Receiving => &self.receiving_region,
            Side::Handling => &self.handling_region,
        };
        code.parse()
            .map_err(|_| Error::internal(format!("stored region {code} is malformed")))
    }

    /// Whether `principal` acts for `side`: its window clerks, or (on the handling side) the
    /// handlers of the item's department (a handler bound to another department does not).
    fn acts_for(&self, principal: &Principal, side: Side) -> Result<bool, Error> {
        let region = self.region(side)?;
        Ok(principal.can(Power::AcceptCases, &region)
            || (side == Side::Handling
                && principal
                    .bindings_for(Power::HandleCases, &region)
                    .any(|b| b.department.is_none() || b.department == self.department_id)))
    }

    fn require_side(&self, principal: &Principal, side: Side, what: &str) -> Result<(), Error> {
        if self.acts_for(principal, side)? {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "{what} is for the {} region's window clerks and handlers ({})",
                match side {
                    Side::Receiving => "receiving",
                    Side::Handling => "handling",
                },
                match side {
                    Side::Receiving => &self.receiving_region,
                    Side::Handling => &self.handling_region,
                }
            )))
        }
    }

    /// Both halls' clerks and handlers, and the supervisors above either.
    fn visible_to(&self, principal: &Principal) -> Result<bool, Error> {
        let regions = [self.region(Side::Receiving)?, self.region(Side::Handling)?];
        Ok(regions.iter().any(|r| principal.works_on_cases_in(r)))
    }

    fn into_transfer(self, legs: Vec<PostalLeg>) -> Transfer {
        Transfer {
            location: domain::location(&self.state).to_owned(),
            response_overdue: self.response_overdue_at.is_some(),
            delivery_overdue: self.delivery_overdue_at.is_some(),
            id: self.id,
            case_id: self.case_id,
            case_number: self.case_number,
            round: self.round,
            kind: self.kind,
            parent_case_id: self.parent_case_id,
            mode: self.mode,
            implementation_code: self.implementation_code,
            item_version: self.item_version,
            item_name: self.item_name,
            receiving_region: self.receiving_region,
            handling_region: self.handling_region,
            state: self.state,
            sent_at: self.sent_at,
            due_date: self.due_date,
            clock_paused: self.clock_paused,
            case_overdue: self.case_overdue,
            respond_by: self.respond_by,
            responded_by: self.responded_by,
            responded_at: self.responded_at,
            rejection_kind: self.rejection_kind,
            rejection_reason: self.rejection_reason,
            decision: self.decision,
            concluded_at: self.concluded_at,
            deliver_by: self.deliver_by,
            delivery_method: self.delivery_method,
            delivered_at: self.delivered_at,
            legs,
            revision: self.revision,
        }
    }
}

/// Writes `event` about `row` to the outbox: keyed by the case, so a case's hand-overs stay in
/// order; both regions in the routing header.
async fn publish<E: Event>(tx: &mut PgConnection, row: &Row, event: &E) -> Result<(), Error> {
    let key = row.case_id.to_string();
    let mut regions = vec![row.receiving_region.clone(), row.handling_region.clone()];
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

async fn record(
    tx: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    action: &str,
    detail: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into transfer_history (transfer_id, at, actor, action, detail)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn load(tx: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from transfers where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// The transfer, if `principal` may see it (404 otherwise).
async fn visible(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<Row, Error> {
    match load(tx, id, lock).await? {
        Some(row) if row.visible_to(principal)? => Ok(row),
        _ => Err(Error::NotFound(format!("transfer {id}"))),
    }
}

/// For an action: visible, in one of `states` (409), at the caller's `revision` if given (409).
async fn for_action(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    states: &[&str],
    revision: Option<i32>,
) -> Result<Row, Error> {
    let row = visible(tx, principal, id, true).await?;
    if !states.contains(&row.state.as_str()) {
        return Err(Error::Conflict {
            code: "illegal_transition",
            message: format!("transfer {id} is {}", row.state),
        });
    }
    if let Some(seen) = revision
        && seen != row.revision
    {
        return Err(Error::Conflict {
            code: "stale_revision",
            message: format!(
                "transfer {id} changed since revision {seen} (now {})",
                row.revision
            ),
        });
    }
    Ok(row)
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

async fn with_legs(conn: &mut PgConnection, rows: Vec<Row>) -> Result<Vec<Transfer>, Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut legs = legs_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest) = legs.drain(..).partition(|l| l.transfer_id == row.id);
            legs = rest;
            row.into_transfer(mine)
        })
        .collect())
}

/// The deadline `days` working days after `from` in the centre of `region`.
async fn deadline(
    tx: &mut PgConnection,
    region: &str,
    from: NaiveDate,
    days: u32,
) -> Result<NaiveDate, Error> {
    let calendar = tongban_calendar::load(tx, region).await?;
    calendar
        .due(from, TimeLimit::working_days(days), &[])
        .map(|r| r.date)
        .ok_or_else(|| Error::internal("hand-over deadline out of range"))
}

/// What a transfer is opened from: acceptance's CaseAccepted of a case that leaves its region.
pub struct Accepted {
    pub case_id: Uuid,
    pub case_number: String,
    pub round: i32,
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub mode: String,
    pub implementation_code: String,
    pub item_version: i32,
    pub receiving_region: String,
    pub handling_region: String,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: DateTime<Utc>,
    pub due_date: Option<NaiveDate>,
}

/// Sends the case to the handling region, which must accept or reject it within
/// `response_days` working days of its centre. A repeated event changes nothing.
pub async fn open(tx: &mut PgConnection, case: &Accepted, response_days: u32) -> Result<(), Error> {
    let sent_on = tongban_runtime::clock::local_date(case.accepted_at);
    let respond_by = deadline(tx, &case.handling_region, sent_on, response_days).await?;
    let item: Option<(String, Option<Uuid>)> =
        sqlx::query_as("select name, department_id from items where implementation_code = $1")
            .bind(&case.implementation_code)
            .fetch_optional(&mut *tx)
            .await?;
    let (item_name, department_id) = item.map_or((None, None), |(n, d)| (Some(n), d));
    let row: Option<Row> = sqlx::query_as(&format!(
        "insert into transfers (id, case_id, case_number, round, kind, parent_case_id, mode,
             implementation_code, item_version, item_name, department_id, receiving_region,
             handling_region, state, sent_at, sent_on, accepted_by, due_date, respond_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'sent', $14, $15, $16, $17, $18)
         on conflict (case_id, round) do nothing
         returning {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(case.case_id)
    .bind(&case.case_number)
    .bind(case.round)
    .bind(&case.kind)
    .bind(case.parent_case_id)
    .bind(&case.mode)
    .bind(&case.implementation_code)
    .bind(case.item_version)
    .bind(item_name)
    .bind(department_id)
    .bind(&case.receiving_region)
    .bind(&case.handling_region)
    .bind(case.accepted_at)
    .bind(sent_on)
    .bind(case.accepted_by)
    .bind(case.due_date)
    .bind(respond_by)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    record(
        tx,
        row.id,
        case.accepted_at,
        case.accepted_by,
        "sent",
        json!({ "respond_by": respond_by, "due_date": case.due_date }),
    )
    .await?;
    let event = events::TransferSent {
        transfer: Some(row.reference()),
        sent_at: Some(tongban_events::timestamp(case.accepted_at)),
        respond_by: respond_by.to_string(),
        due_date: case.due_date.map(|d| d.to_string()).unwrap_or_default(),
    };
    publish(tx, &row, &event).await
}

pub use tongban_runtime::clock::Now;

/// Working days from sending to `on` in the handling centre, and whether `on` met respond_by.
async fn response_time(
    tx: &mut PgConnection,
    row: &Row,
    on: NaiveDate,
) -> Result<(u32, bool), Error> {
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let days = calendar
        .working_days_between(row.sent_on, on, &[])
        .unwrap_or(0)
        .max(0);
    Ok((days as u32, on <= row.respond_by))
}

async fn finish(tx: &mut PgConnection, principal: &Principal, id: Uuid) -> Result<Transfer, Error> {
    let row = visible(tx, principal, id, false).await?;
    Ok(with_legs(tx, vec![row]).await?.remove(0))
}

/// A new revision of transfer `id`, as it now is.
async fn bump(tx: &mut PgConnection, id: Uuid) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update transfers set revision = revision + 1 where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await
}

/// Ends `principal`'s action on transfer `row` (as the action left it): `action` with `detail`
/// in its history, the event `event` makes of it published, the transaction committed, and the
/// transfer as the caller now sees it.
async fn ended<E: Event>(
    mut tx: Transaction<'_, Postgres>,
    principal: &Principal,
    row: Row,
    now: Now,
    action: &str,
    detail: Value,
    event: impl FnOnce(events::TransferRef) -> E,
) -> Result<Transfer, Error> {
    record(
        &mut tx,
        row.id,
        now.at,
        Some(principal.account),
        action,
        detail,
    )
    .await?;
    publish(&mut tx, &row, &event(row.reference())).await?;
    let transfer = finish(&mut tx, principal, row.id).await?;
    tx.commit().await?;
    Ok(transfer)
}

/// The handling region takes the transfer over (a window clerk of the region, or a handler of
/// the item's department): its back office may now work the case.
pub async fn accept(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    revision: Option<i32>,
    now: Now,
) -> Result<Transfer, Error> {
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, &["sent"], revision).await?;
    row.require_side(principal, Side::Handling, "accepting a transfer")?;
    let (days, on_time) = response_time(&mut tx, &row, now.today).await?;
    let row: Row = sqlx::query_as(&format!(
        "update transfers set state = 'accepted', responded_by = $2, responded_at = $3,
             responded_on = $4, revision = revision + 1
         where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(principal.account)
    .bind(now.at)
    .bind(now.today)
    .fetch_one(&mut *tx)
    .await?;
    let detail = json!({ "working_days": days, "on_time": on_time });
    ended(tx, principal, row, now, "accepted", detail, |transfer| {
        events::TransferAccepted {
            transfer: Some(transfer),
            accepted_by: principal.account.to_string(),
            accepted_at: Some(tongban_events::timestamp(now.at)),
            on_time,
            working_days: days,
        }
    })
    .await
}

/// Why the handling region sends a transfer back.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// not_competent (not theirs to decide) or materials_defective.
    pub kind: String,
    /// What is wrong, for the receiving window to tell the applicant (1-500 characters).
    pub reason: String,
    /// The revision the caller saw.
    #[serde(default)]
    pub revision: Option<i32>,
}

/// The handling region sends the transfer back with the reason: the case returns to the
/// receiving window, which tells the applicant once what to fix (or refuses the case).
pub async fn reject(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    rejection: &Rejection,
    now: Now,
) -> Result<Transfer, Error> {
    if !domain::REJECTION_KINDS.contains(&rejection.kind.as_str()) {
        return Err(Error::bad_request(
            "kind",
            "not_competent or materials_defective",
        ));
    }
    let reason = rejection.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 500 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, &["sent"], rejection.revision).await?;
    row.require_side(principal, Side::Handling, "rejecting a transfer")?;
    let (_, on_time) = response_time(&mut tx, &row, now.today).await?;
    let row: Row = sqlx::query_as(&format!(
        "update transfers set state = 'rejected', responded_by = $2, responded_at = $3,
             responded_on = $4, rejection_kind = $5, rejection_reason = $6, revision = revision + 1
         where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(principal.account)
    .bind(now.at)
    .bind(now.today)
    .bind(&rejection.kind)
    .bind(reason)
    .fetch_one(&mut *tx)
    .await?;
    let detail = json!({ "kind": rejection.kind, "reason": reason, "on_time": on_time });
    ended(tx, principal, row, now, "rejected", detail, |transfer| {
        events::TransferRejected {
            transfer: Some(transfer),
            reason_kind: rejection.kind.clone(),
            reason: reason.to_owned(),
            rejected_by: principal.account.to_string(),
            rejected_at: Some(tongban_events::timestamp(now.at)),
            on_time,
        }
    })
    .await
}

/// The open transfer of case `case_id` in `state`, locked.
async fn of_case(
    tx: &mut PgConnection,
    case_id: Uuid,
    state: &str,
) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from transfers where case_id = $1 and state = $2
         order by round desc limit 1 for update"
    ))
    .bind(case_id)
    .bind(state)
    .fetch_optional(&mut *tx)
    .await
}

/// Approval concluded a transferred case: the result is handed back, to be delivered within
/// `delivery_days` working days of the receiving centre. Returns whether a transfer moved.
pub async fn concluded(
    tx: &mut PgConnection,
    case_id: Uuid,
    decision: &str,
    at: DateTime<Utc>,
    delivery_days: u32,
) -> Result<bool, Error> {
    let Some(row) = of_case(tx, case_id, "accepted").await? else {
        return Ok(false);
    };
    let on = tongban_runtime::clock::local_date(at);
    let deliver_by = deadline(tx, &row.receiving_region, on, delivery_days).await?;
    let row: Row = sqlx::query_as(&format!(
        "update transfers set state = 'returned', decision = $2, concluded_at = $3, deliver_by = $4,
             revision = revision + 1
         where id = $1 returning {COLUMNS}"
    ))
    .bind(row.id)
    .bind(decision)
    .bind(at)
    .bind(deliver_by)
    .fetch_one(&mut *tx)
    .await?;
    record(
        tx,
        row.id,
        at,
        None,
        "result_returned",
        json!({ "decision": decision, "deliver_by": deliver_by }),
    )
    .await?;
    let event = events::ResultReturned {
        transfer: Some(row.reference()),
        decision: decision.to_owned(),
        concluded_at: Some(tongban_events::timestamp(at)),
        deliver_by: deliver_by.to_string(),
    };
    publish(tx, &row, &event).await?;
    Ok(true)
}

/// A change of a transferred case's clock in the handling region's back office.
#[derive(Debug, Clone, Copy)]
pub enum ClockChange {
    Paused,
    /// Resumed, with the due date moved by the pause.
    Resumed(NaiveDate),
    /// Extended, or recalculated after a calendar change.
    Due(NaiveDate),
    Overdue,
}

/// Follows the case's clock on its latest transfer, so both halls see it. Returns whether a
/// transfer changed.
pub async fn clock_changed(
    tx: &mut PgConnection,
    case_id: Uuid,
    change: ClockChange,
) -> Result<bool, sqlx::Error> {
    let (paused, due, overdue) = match change {
        ClockChange::Paused => (Some(true), None, None),
        ClockChange::Resumed(due) => (Some(false), Some(due), None),
        ClockChange::Due(due) => (None, Some(due), None),
        ClockChange::Overdue => (None, None, Some(true)),
    };
    let changed = sqlx::query(
        "update transfers set clock_paused = coalesce($2, clock_paused),
             due_date = coalesce($3, due_date), case_overdue = coalesce($4, case_overdue),
             revision = revision + 1
         where case_id = $1 and round = (select max(round) from transfers where case_id = $1)",
    )
    .bind(case_id)
    .bind(paused)
    .bind(due)
    .bind(overdue)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// How the result of a transferred case reached the applicant (acceptance's CaseDelivered).
pub struct Delivery {
    pub case_id: Uuid,
    pub method: String,
    pub carrier: String,
    pub tracking_number: String,
    pub delivered_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Ends the transfer of a delivered case; a posted result is its last postal leg. Returns
/// whether a transfer moved.
pub async fn delivered(tx: &mut PgConnection, delivery: &Delivery) -> Result<bool, Error> {
    let Some(row) = of_case(tx, delivery.case_id, "returned").await? else {
        return Ok(false);
    };
    let on = tongban_runtime::clock::local_date(delivery.at);
    let on_time = row.deliver_by.is_none_or(|by| on <= by);
    let row: Row = sqlx::query_as(&format!(
        "update transfers set state = 'delivered', delivery_method = $2, delivered_at = $3,
             delivered_on = $4, revision = revision + 1
         where id = $1 returning {COLUMNS}"
    ))
    .bind(row.id)
    .bind(&delivery.method)
    .bind(delivery.at)
    .bind(on)
    .fetch_one(&mut *tx)
    .await?;
    if delivery.method == "post" {
        let leg = Uuid::now_v7();
        sqlx::query(
            "insert into postal_legs (id, transfer_id, direction, carrier, tracking_number, sent_by, sent_at)
             values ($1, $2, 'result_to_applicant', $3, $4, $5, $6)",
        )
        .bind(leg)
        .bind(row.id)
        .bind(&delivery.carrier)
        .bind(&delivery.tracking_number)
        .bind(delivery.delivered_by)
        .bind(delivery.at)
        .execute(&mut *tx)
        .await?;
        let event = events::PostalLegSent {
            transfer: Some(row.reference()),
            leg_id: leg.to_string(),
            direction: "result_to_applicant".into(),
            carrier: delivery.carrier.clone(),
            tracking_number: delivery.tracking_number.clone(),
            sent_by: delivery
                .delivered_by
                .map(|d| d.to_string())
                .unwrap_or_default(),
            sent_at: Some(tongban_events::timestamp(delivery.at)),
        };
        publish(tx, &row, &event).await?;
    }
    record(
        tx,
        row.id,
        delivery.at,
        delivery.delivered_by,
        "delivered",
        json!({ "method": delivery.method, "on_time": on_time }),
    )
    .await?;
    let event = events::TransferCompleted {
        transfer: Some(row.reference()),
        method: delivery.method.clone(),
        delivered_at: Some(tongban_events::timestamp(delivery.at)),
        on_time,
    };
    publish(tx, &row, &event).await?;
    Ok(true)
}

/// A postal leg one hall sends the other.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLeg {
    /// materials (originals, from the receiving window) or result_to_receiving (the paper
    /// result, from the handling region).
    pub direction: String,
    /// 1-50 characters each.
    pub carrier: String,
    pub tracking_number: String,
}

fn text(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 50 {
        return Err(Error::bad_request(field, "must be 1 to 50 characters"));
    }
    Ok(value.to_owned())
}

/// Records paper put in the post by the side that sends it.
pub async fn send_leg(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    leg: &NewLeg,
    now: Now,
) -> Result<Transfer, Error> {
    let Some((from, _, states)) = domain::leg(&leg.direction) else {
        return Err(Error::bad_request(
            "direction",
            "materials or result_to_receiving",
        ));
    };
    let carrier = text("carrier", &leg.carrier)?;
    let tracking = text("tracking_number", &leg.tracking_number)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, states, None).await?;
    row.require_side(principal, from, "posting this leg")?;
    let leg_id = Uuid::now_v7();
    sqlx::query(
        "insert into postal_legs (id, transfer_id, direction, carrier, tracking_number, sent_by, sent_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(leg_id)
    .bind(id)
    .bind(&leg.direction)
    .bind(&carrier)
    .bind(&tracking)
    .bind(principal.account)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    let row = bump(&mut tx, row.id).await?;
    let detail = json!({ "leg": leg_id, "direction": leg.direction, "carrier": carrier, "tracking_number": tracking });
    ended(tx, principal, row, now, "leg_sent", detail, |transfer| {
        events::PostalLegSent {
            transfer: Some(transfer),
            leg_id: leg_id.to_string(),
            direction: leg.direction.clone(),
            carrier,
            tracking_number: tracking,
            sent_by: principal.account.to_string(),
            sent_at: Some(tongban_events::timestamp(now.at)),
        }
    })
    .await
}

/// The side a leg was posted to confirms it arrived.
pub async fn receive_leg(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    leg_id: Uuid,
    now: Now,
) -> Result<Transfer, Error> {
    let mut tx = pool.begin().await?;
    let row = visible(&mut tx, principal, id, true).await?;
    let leg: Option<(String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "select direction, received_at from postal_legs where id = $1 and transfer_id = $2 for update",
    )
    .bind(leg_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((direction, received)) = leg else {
        return Err(Error::NotFound(format!("postal leg {leg_id}")));
    };
    let Some((_, to, _)) = domain::leg(&direction) else {
        return Err(Error::Conflict {
            code: "illegal_transition",
            message: "a result posted to the applicant is not received by a hall".into(),
        });
    };
    row.require_side(principal, to, "receiving this leg")?;
    if received.is_some() {
        return Err(Error::Conflict {
            code: "already_received",
            message: format!("postal leg {leg_id} was received already"),
        });
    }
    sqlx::query("update postal_legs set received_by = $2, received_at = $3 where id = $1")
        .bind(leg_id)
        .bind(principal.account)
        .bind(now.at)
        .execute(&mut *tx)
        .await?;
    let row = bump(&mut tx, row.id).await?;
    let detail = json!({ "leg": leg_id, "direction": direction });
    ended(
        tx,
        principal,
        row,
        now,
        "leg_received",
        detail,
        |transfer| events::PostalLegReceived {
            transfer: Some(transfer),
            leg_id: leg_id.to_string(),
            direction,
            received_by: principal.account.to_string(),
            received_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await
}

pub async fn get(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Transfer, Error> {
    let mut conn = pool.acquire().await?;
    finish(&mut conn, principal, id).await
}

pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, Error> {
    let mut conn = pool.acquire().await?;
    visible(&mut conn, principal, id, false).await?;
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
    pub side: Option<String>,
    pub state: Option<String>,
    pub case_id: Option<Uuid>,
    /// Only those with a missed hand-over deadline.
    pub overdue: bool,
    /// The page after this transfer (newest first).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Transfers `principal` may see (either hall in a region where they take in, handle or
/// supervise cases), newest first.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    filter: &Filter,
) -> Result<Vec<Transfer>, Error> {
    let scopes: Vec<String> = Power::CASE_WORK
        .iter()
        .flat_map(|p| principal.bindings_for_power(*p))
        .map(|b| format!("{}%", b.region.prefix()))
        .collect();
    if scopes.is_empty() {
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
    let mut query = QueryBuilder::new(format!(
        "select {COLUMNS} from transfers where (receiving_region like any("
    ));
    query
        .push_bind(scopes.clone())
        .push(") or handling_region like any(")
        .push_bind(scopes)
        .push("))");
    if let Some(region) = &filter.region {
        let pattern = format!("{}%", region.prefix());
        match filter.side.as_deref() {
            Some("receiving") => {
                query.push(" and receiving_region like ").push_bind(pattern);
            }
            Some("handling") => {
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
        query.push(" and state = ").push_bind(state.clone());
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
    with_legs(&mut conn, rows).await
}

/// Escalates the hand-overs whose deadline passed before `today`, each once: the handling
/// region's unanswered transfers and the receiving side's undelivered results. Returns how many.
pub async fn sweep(pool: &PgPool, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let mut raised = 0;
    for (hand_over, state, deadline_column, flag_column) in [
        ("response", "sent", "respond_by", "response_overdue_at"),
        ("delivery", "returned", "deliver_by", "delivery_overdue_at"),
    ] {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "update transfers set {flag_column} = $2
             where id in (select id from transfers
                          where state = $3 and {flag_column} is null and {deadline_column} < $1
                          for update skip locked)
             returning {COLUMNS}"
        ))
        .bind(today)
        .bind(now)
        .bind(state)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let deadline = match hand_over {
                "response" => Some(row.respond_by),
                _ => row.deliver_by,
            }
            .map(|d| d.to_string())
            .unwrap_or_default();
            record(
                &mut tx,
                row.id,
                now,
                None,
                "overdue",
                json!({ "hand_over": hand_over, "deadline": deadline }),
            )
            .await?;
            let event = events::HandOverOverdue {
                transfer: Some(row.reference()),
                hand_over: hand_over.to_owned(),
                deadline,
                flagged_at: Some(tongban_events::timestamp(now)),
            };
            publish(&mut tx, &row, &event).await?;
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}
