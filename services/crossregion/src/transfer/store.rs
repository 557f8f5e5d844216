//! The transfer row, loaded and saved: the ONLY writer of a transfer's state, its history and
//! its outbox events (through `tongban_bus::aggregate`, in the caller's transaction), and of
//! its postal legs and the flags of missed deadlines.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::{self, Aggregate, Entry};
use tongban_bus::outbox::Subject;
use tongban_events::Event;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::state::{
    Action, DeliveryMethod, Direction, HandOver, Kind, Mode, RejectionKind, TransferState,
    transition,
};

/// Whom a transferred case is for, as acceptance's case events name them: the handling region
/// sees whom it decides for, the receiving window whom it hands the result to.
#[derive(Debug, Clone, Default, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Applicant {
    /// citizen or enterprise ('' when not recorded).
    #[sqlx(rename = "applicant_kind")]
    pub kind: String,
    /// A citizen's name on the document, or an enterprise's registered name.
    #[sqlx(rename = "applicant_name")]
    pub name: String,
    /// A citizen's document masked (first six and last four characters); an enterprise's
    /// unified social credit code.
    #[sqlx(rename = "applicant_document_masked")]
    pub document_masked: String,
    /// The real-name level shown for the case: 1 unverified, 2 basic real-name, 3 advanced
    /// (face, or in person at a window); 0 when not recorded.
    pub real_name_level: i16,
}

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub round: i32,
    pub kind: Kind,
    pub parent_case_id: Option<Uuid>,
    pub mode: Mode,
    pub implementation_code: String,
    pub item_version: i32,
    pub item_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub receiving_region: String,
    pub handling_region: String,
    #[sqlx(flatten)]
    pub applicant: Applicant,
    pub state: TransferState,
    pub sent_at: DateTime<Utc>,
    pub sent_on: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub clock_paused: bool,
    pub case_overdue: bool,
    pub respond_by: NaiveDate,
    pub responded_by: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    pub rejection_kind: Option<RejectionKind>,
    pub rejection_reason: Option<String>,
    pub decision: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub deliver_by: Option<NaiveDate>,
    pub delivery_method: Option<DeliveryMethod>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub response_overdue_at: Option<DateTime<Utc>>,
    pub delivery_overdue_at: Option<DateTime<Utc>>,
    pub revision: i32,
}

pub const COLUMNS: &str = "id, case_id, case_number, round, kind, parent_case_id, mode, implementation_code, \
    item_version, item_name, department_id, receiving_region, handling_region, applicant_kind, \
    applicant_name, applicant_document_masked, real_name_level, state, sent_at, sent_on, \
    due_date, clock_paused, case_overdue, respond_by, responded_by, responded_at, rejection_kind, rejection_reason, decision, \
    concluded_at, deliver_by, delivery_method, delivered_at, response_overdue_at, delivery_overdue_at, \
    revision";

impl Row {
    /// The transfer as its events name it.
    pub fn reference(&self) -> events::TransferRef {
        events::TransferRef {
            transfer_id: self.id.to_string(),
            case_id: self.case_id.to_string(),
            case_number: self.case_number.clone(),
            round: self.round as u32,
            implementation_code: self.implementation_code.clone(),
            kind: self.kind.as_str().to_owned(),
            parent_case_id: self
                .parent_case_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            mode: self.mode.as_str().to_owned(),
            receiving_region: self.receiving_region.clone(),
            handling_region: self.handling_region.clone(),
        }
    }
}

/// A transfer as the history and the outbox see it: keyed by the case, so a case's hand-overs
/// stay in order; both regions in the routing header.
struct Written<'a> {
    row: &'a Row,
    key: String,
}

impl Aggregate for Written<'_> {
    const HISTORY: (&'static str, &'static str) = ("transfer_history", "transfer_id");

    fn id(&self) -> Uuid {
        self.row.id
    }

    fn subject(&self) -> Subject<'_> {
        let mut regions = vec![
            self.row.receiving_region.clone(),
            self.row.handling_region.clone(),
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

/// Appends `entry` to the transfer's history and, when given, publishes `event`.
pub async fn record<E: Event>(
    tx: &mut PgConnection,
    row: &Row,
    entry: Entry<'_>,
    event: Option<&E>,
) -> Result<(), Error> {
    let aggregate = written(row);
    aggregate::record(tx, &aggregate, entry).await?;
    if let Some(event) = event {
        aggregate::publish(tx, &aggregate, event).await?;
    }
    Ok(())
}

/// Publishes `event` about the transfer without a history entry.
pub async fn publish<E: Event>(tx: &mut PgConnection, row: &Row, event: &E) -> Result<(), Error> {
    aggregate::publish(tx, &written(row), event).await?;
    Ok(())
}

/// The transfer `id`, locked for an action when `lock`.
pub async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Row>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from transfers where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The latest transfer of case `case_id` in `state`, locked.
pub async fn of_case(
    tx: &mut PgConnection,
    case_id: Uuid,
    state: TransferState,
) -> Result<Option<Row>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from transfers where case_id = $1 and state = $2
         order by round desc limit 1 for update"
    ))
    .bind(case_id)
    .bind(state)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The cases of a bundle's parts whose results are back for delivery.
pub async fn returned_parts(tx: &mut PgConnection, bundle: Uuid) -> Result<Vec<Uuid>, Error> {
    Ok(
        sqlx::query_scalar(
            "select case_id from transfers where parent_case_id = $1 and state = $2",
        )
        .bind(bundle)
        .bind(TransferState::Returned)
        .fetch_all(&mut *tx)
        .await?,
    )
}

/// A transfer to open, as a case that leaves its region was accepted.
pub struct NewTransfer<'a> {
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub round: i32,
    pub kind: Kind,
    pub parent_case_id: Option<Uuid>,
    pub mode: Mode,
    pub implementation_code: &'a str,
    pub item_version: i32,
    pub receiving_region: &'a str,
    pub handling_region: &'a str,
    pub applicant: &'a Applicant,
    pub accepted_by: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
    pub sent_on: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub respond_by: NaiveDate,
}

/// Inserts the transfer, sent; none when the case's round was sent already.
pub async fn insert(tx: &mut PgConnection, new: &NewTransfer<'_>) -> Result<Option<Row>, Error> {
    let item: Option<(String, Option<Uuid>)> =
        sqlx::query_as("select name, department_id from items where implementation_code = $1")
            .bind(new.implementation_code)
            .fetch_optional(&mut *tx)
            .await?;
    let (item_name, department_id) = item.map_or((None, None), |(n, d)| (Some(n), d));
    Ok(sqlx::query_as(&format!(
        "insert into transfers (id, case_id, case_number, round, kind, parent_case_id, mode,
             implementation_code, item_version, item_name, department_id, receiving_region,
             handling_region, state, sent_at, sent_on, accepted_by, due_date, respond_by,
             applicant_kind, applicant_name, applicant_document_masked, real_name_level)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
             $20, $21, $22, $23)
         on conflict (case_id, round) do nothing
         returning {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.case_id)
    .bind(new.case_number)
    .bind(new.round)
    .bind(new.kind)
    .bind(new.parent_case_id)
    .bind(new.mode)
    .bind(new.implementation_code)
    .bind(new.item_version)
    .bind(item_name)
    .bind(department_id)
    .bind(new.receiving_region)
    .bind(new.handling_region)
    .bind(TransferState::Sent)
    .bind(new.sent_at)
    .bind(new.sent_on)
    .bind(new.accepted_by)
    .bind(new.due_date)
    .bind(new.respond_by)
    .bind(&new.applicant.kind)
    .bind(&new.applicant.name)
    .bind(&new.applicant.document_masked)
    .bind(new.applicant.real_name_level)
    .fetch_optional(&mut *tx)
    .await?)
}

/// A change of a transfer's state, with what it stores beside it.
pub enum Change<'a> {
    Accepted {
        by: Uuid,
        at: DateTime<Utc>,
        on: NaiveDate,
    },
    Rejected {
        by: Uuid,
        at: DateTime<Utc>,
        on: NaiveDate,
        kind: RejectionKind,
        reason: &'a str,
    },
    Returned {
        decision: &'a str,
        at: DateTime<Utc>,
        deliver_by: NaiveDate,
    },
    Delivered {
        method: DeliveryMethod,
        at: DateTime<Utc>,
        on: NaiveDate,
    },
}

impl Change<'_> {
    fn action(&self) -> Action {
        match self {
            Self::Accepted { .. } => Action::Accept,
            Self::Rejected { .. } => Action::Reject,
            Self::Returned { .. } => Action::ReturnResult,
            Self::Delivered { .. } => Action::Deliver,
        }
    }
}

/// The state `action` leaves `row` in, or 409 `illegal_transition`.
pub fn allowed(row: &Row, action: Action) -> Result<TransferState, Error> {
    transition(row.state, action).map_err(|_| Error::Conflict {
        code: "illegal_transition",
        message: format!("transfer {} is {}", row.id, row.state),
    })
}

/// Moves transfer `row` by `change` (the transition table decides the new state; an illegal
/// one is refused) and returns it as it now is, at a new revision.
pub async fn apply(tx: &mut PgConnection, row: &Row, change: Change<'_>) -> Result<Row, Error> {
    let to = allowed(row, change.action())?;
    let returning = format!("where id = $1 returning {COLUMNS}");
    let row = match change {
        Change::Accepted { by, at, on } => {
            let sql = format!(
                "update transfers set state = $2, responded_by = $3, responded_at = $4,
                     responded_on = $5, revision = revision + 1 {returning}"
            );
            sqlx::query_as(&sql)
                .bind(row.id)
                .bind(to)
                .bind(by)
                .bind(at)
                .bind(on)
                .fetch_one(&mut *tx)
                .await?
        }
        Change::Rejected {
            by,
            at,
            on,
            kind,
            reason,
        } => {
            let sql = format!(
                "update transfers set state = $2, responded_by = $3, responded_at = $4,
                     responded_on = $5, rejection_kind = $6, rejection_reason = $7,
                     revision = revision + 1 {returning}"
            );
            sqlx::query_as(&sql)
                .bind(row.id)
                .bind(to)
                .bind(by)
                .bind(at)
                .bind(on)
                .bind(kind)
                .bind(reason)
                .fetch_one(&mut *tx)
                .await?
        }
        Change::Returned {
            decision,
            at,
            deliver_by,
        } => {
            let sql = format!(
                "update transfers set state = $2, decision = $3, concluded_at = $4,
                     deliver_by = $5, revision = revision + 1 {returning}"
            );
            sqlx::query_as(&sql)
                .bind(row.id)
                .bind(to)
                .bind(decision)
                .bind(at)
                .bind(deliver_by)
                .fetch_one(&mut *tx)
                .await?
        }
        Change::Delivered { method, at, on } => {
            let sql = format!(
                "update transfers set state = $2, delivery_method = $3, delivered_at = $4,
                     delivered_on = $5, revision = revision + 1 {returning}"
            );
            sqlx::query_as(&sql)
                .bind(row.id)
                .bind(to)
                .bind(method)
                .bind(at)
                .bind(on)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    Ok(row)
}

/// A new revision of transfer `id`, as it now is.
pub async fn bump(tx: &mut PgConnection, id: Uuid) -> Result<Row, Error> {
    Ok(sqlx::query_as(&format!(
        "update transfers set revision = revision + 1 where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?)
}

/// A leg put in the post.
pub struct NewLeg<'a> {
    pub transfer_id: Uuid,
    pub direction: Direction,
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub sent_by: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
}

/// Inserts a postal leg; returns its id.
pub async fn insert_leg(tx: &mut PgConnection, leg: &NewLeg<'_>) -> Result<Uuid, Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into postal_legs (id, transfer_id, direction, carrier, tracking_number, sent_by, sent_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(leg.transfer_id)
    .bind(leg.direction)
    .bind(leg.carrier)
    .bind(leg.tracking_number)
    .bind(leg.sent_by)
    .bind(leg.sent_at)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// A leg of transfer `id`, locked: its direction and when it was received.
pub async fn leg_for_update(
    tx: &mut PgConnection,
    id: Uuid,
    leg_id: Uuid,
) -> Result<Option<(Direction, Option<DateTime<Utc>>)>, Error> {
    Ok(sqlx::query_as(
        "select direction, received_at from postal_legs where id = $1 and transfer_id = $2 for update",
    )
    .bind(leg_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?)
}

pub async fn receive_leg(
    tx: &mut PgConnection,
    leg_id: Uuid,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query("update postal_legs set received_by = $2, received_at = $3 where id = $1")
        .bind(leg_id)
        .bind(by)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The case's clock on its latest transfer (each part left as it is when `None`). Returns
/// whether a transfer changed.
pub async fn set_clock(
    tx: &mut PgConnection,
    case_id: Uuid,
    paused: Option<bool>,
    due: Option<NaiveDate>,
    overdue: Option<bool>,
) -> Result<bool, Error> {
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

/// Flags, at `now`, the transfers awaiting `hand_over` whose deadline passed before `today`
/// (each once: flagged ones are passed over; locked ones are left to the next sweep).
pub async fn flag_missed(
    tx: &mut PgConnection,
    hand_over: HandOver,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, Error> {
    let (deadline_column, flag_column) = match hand_over {
        HandOver::Response => ("respond_by", "response_overdue_at"),
        HandOver::Delivery => ("deliver_by", "delivery_overdue_at"),
    };
    // `deadline < today` is state::missed.
    Ok(sqlx::query_as(&format!(
        "update transfers set {flag_column} = $2
         where id in (select id from transfers
                      where state = $3 and {flag_column} is null and {deadline_column} < $1
                      for update skip locked)
         returning {COLUMNS}"
    ))
    .bind(today)
    .bind(now)
    .bind(hand_over.awaited_in())
    .fetch_all(&mut *tx)
    .await?)
}
