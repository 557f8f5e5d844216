//! The ticket rows: the only writer of a ticket and its outbox events, and the queue's reads.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::hall::v1 as events;
use tongban_kernel::Error;

use super::order::Priority;
use super::state::Status;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ticket {
    pub id: Uuid,
    pub region_code: String,
    pub group_id: Uuid,
    pub day: NaiveDate,
    pub number: String,
    pub appointment_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub person_id: Option<Uuid>,
    pub item_code: Option<String>,
    pub priority: Priority,
    pub weight: i32,
    pub status: Status,
    pub arrived_at: DateTime<Utc>,
    pub window_id: Option<Uuid>,
    pub clerk_id: Option<Uuid>,
    pub called_at: Option<DateTime<Utc>>,
    pub calls: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub transferred_from: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// The visit's rating code (the window's rating device rates the visit by it).
    pub rating_code: Option<String>,
}

/// The channel every change of a ticket notifies with its region, for the boards
/// (queue::feed): a trigger on the table raises it (migration `boards_told_by_the_tickets`).
pub const BOARD_CHANNEL: &str = "hall_board";

const COLUMNS: &str = "id, region_code, group_id, day, number, appointment_id, due_at, person_id, \
    item_code, priority, weight, status, arrived_at, window_id, clerk_id, called_at, calls, \
    started_at, finished_at, transferred_from, visit_id, case_id, rating_code";

impl Ticket {
    pub fn reference(&self) -> events::TicketRef {
        events::TicketRef {
            ticket_id: self.id.to_string(),
            region_code: self.region_code.clone(),
            group_id: self.group_id.to_string(),
            number: self.number.clone(),
            day: self.day.to_string(),
            appointment_id: self
                .appointment_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            priority: self.priority.as_str().to_owned(),
        }
    }
}

/// The next serial of `group` on `day` (1 for the day's first ticket).
pub async fn next_serial(
    conn: &mut PgConnection,
    group: Uuid,
    day: NaiveDate,
) -> Result<i32, Error> {
    Ok(sqlx::query_scalar(
        "insert into ticket_serials (group_id, day, last) values ($1, $2, 1)
         on conflict (group_id, day) do update set last = ticket_serials.last + 1
         returning last",
    )
    .bind(group)
    .bind(day)
    .fetch_one(conn)
    .await?)
}

pub async fn insert(conn: &mut PgConnection, t: &Ticket) -> Result<(), Error> {
    sqlx::query(
        "insert into tickets (id, region_code, group_id, day, number, appointment_id, due_at,
             person_id, item_code, priority, weight, status, arrived_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(t.id)
    .bind(&t.region_code)
    .bind(t.group_id)
    .bind(t.day)
    .bind(&t.number)
    .bind(t.appointment_id)
    .bind(t.due_at)
    .bind(t.person_id)
    .bind(&t.item_code)
    .bind(t.priority)
    .bind(t.weight)
    .bind(t.status)
    .bind(t.arrived_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ticket `id` as it is (no lock: a holder looking at it never holds a window up); 404 when
/// there is none.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Ticket, Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tickets where id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no ticket {id}")))
}

/// Ticket `id`, locked; 404 when there is none.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Ticket, Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tickets where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no ticket {id}")))
}

/// The ticket in hand at `window` (called or being served), if any.
pub async fn at_window(conn: &mut PgConnection, window: Uuid) -> Result<Option<Ticket>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tickets where window_id = $1 and at_window"
    ))
    .bind(window)
    .fetch_optional(conn)
    .await?)
}

/// The tickets in hand at the windows of the centre of `region` (called or being served).
pub async fn in_hand(conn: &mut PgConnection, region: &str) -> Result<Vec<Ticket>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tickets where region_code = $1 and at_window"
    ))
    .bind(region)
    .fetch_all(conn)
    .await?)
}

/// The ticket `group` calls next on `day` at `now` (queue::order), locked; tickets another
/// window is calling at this moment are skipped, so two windows never get the same one.
/// Each statement walks an index and stops at the first unlocked row.
pub async fn take_next(
    conn: &mut PgConnection,
    group: Uuid,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<Ticket>, Error> {
    let due: Option<Ticket> = sqlx::query_as(&format!(
        "select {COLUMNS} from tickets
         where group_id = $1 and day = $2 and waiting and due_at <= $3
         order by weight desc, arrived_at, id limit 1 for update skip locked"
    ))
    .bind(group)
    .bind(day)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_some() {
        return Ok(due);
    }
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tickets
         where group_id = $1 and day = $2 and waiting
         order by weight desc, arrived_at, id limit 1 for update skip locked"
    ))
    .bind(group)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

/// Writes a ticket's new state (whatever the use case changed) and `event` to the outbox.
pub async fn save<E: Event>(conn: &mut PgConnection, t: &Ticket, event: &E) -> Result<(), Error> {
    sqlx::query(
        "update tickets set group_id = $2, status = $3, window_id = $4, clerk_id = $5,
             called_at = $6, calls = $7, started_at = $8, finished_at = $9,
             transferred_from = $10, visit_id = $11, case_id = $12, arrived_at = $13,
             rating_code = $14
         where id = $1",
    )
    .bind(t.id)
    .bind(t.group_id)
    .bind(t.status)
    .bind(t.window_id)
    .bind(t.clerk_id)
    .bind(t.called_at)
    .bind(t.calls)
    .bind(t.started_at)
    .bind(t.finished_at)
    .bind(t.transferred_from)
    .bind(t.visit_id)
    .bind(t.case_id)
    .bind(t.arrived_at)
    .bind(&t.rating_code)
    .execute(&mut *conn)
    .await
    .map_err(|err| match &err {
        // A window holds one ticket at a time (the unique index is the last word: two presses
        // at one window that both passed the check before either committed).
        sqlx::Error::Database(db) if db.constraint() == Some("tickets_at_window") => {
            Error::Conflict {
                code: "ticket_in_hand",
                message: "the window already holds a ticket: finish it or mark it absent first"
                    .into(),
            }
        }
        _ => err.into(),
    })?;
    publish(conn, t, event).await
}

/// Writes `event` about ticket `t` to the outbox, keyed by the ticket, for its centre's region.
pub async fn publish<E: Event>(
    conn: &mut PgConnection,
    t: &Ticket,
    event: &E,
) -> Result<(), Error> {
    let key = t.id.to_string();
    outbox::enqueue(
        conn,
        &Subject {
            key: &key,
            subject: None,
            regions: vec![t.region_code.clone()],
        },
        event,
    )
    .await?;
    Ok(())
}

/// How many tickets wait in each group of the centre of `region` on `day`.
pub async fn waiting_counts(
    conn: &mut PgConnection,
    region: &str,
    day: NaiveDate,
) -> Result<Vec<(Uuid, i64)>, Error> {
    Ok(sqlx::query_as(
        "select g.id, count(t.id) from window_groups g
         left join tickets t on t.group_id = g.id and t.day = $2 and t.waiting
         where g.region_code = $1 group by g.id",
    )
    .bind(region)
    .bind(day)
    .fetch_all(conn)
    .await?)
}

/// The latest calls of the centre of `region` on `day`, newest first.
pub async fn recent_calls(
    conn: &mut PgConnection,
    region: &str,
    day: NaiveDate,
    limit: i64,
) -> Result<Vec<Ticket>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tickets
         where region_code = $1 and called_at is not null and day = $2
         order by called_at desc limit $3"
    ))
    .bind(region)
    .bind(day)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The latest ticket finished at `window` on `day`.
pub async fn last_finished(
    conn: &mut PgConnection,
    window: Uuid,
    day: NaiveDate,
) -> Result<Option<Ticket>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from tickets
         where window_id = $1 and finished_at is not null and day = $2
         order by finished_at desc limit 1"
    ))
    .bind(window)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}
