//! The appointment rows: the only writer of an appointment and its outbox events, and the
//! reads the rules need (a slot's places, a person's no-shows).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::hall::v1 as events;
use tongban_kernel::Error;

use super::rules::Slot;
use super::state::Status;
use crate::queue::order::Priority;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Appointment {
    pub id: Uuid,
    pub region_code: String,
    pub group_id: Uuid,
    pub item_code: String,
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The person's identity card number as the hall's HMAC (booking::person).
    pub person_digest: Vec<u8>,
    /// none or elderly (read from the card).
    pub priority: Priority,
    pub channel: Channel,
    pub booked_by: Uuid,
    pub account_id: Option<Uuid>,
    pub status: Status,
    pub held_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub booked_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// Where a booking was made.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    sqlx::Type,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The person, in the online hall.
    Online,
    /// A clerk, for a caller (a phone call, a visit).
    Window,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Window => "window",
        }
    }
}

const COLUMNS: &str = "id, region_code, group_id, item_code, day, starts_at, ends_at, \
    person_digest, priority, channel, booked_by, account_id, status, held_until, created_at, \
    booked_at, cancelled_at, checked_in_at, reminded_at";

impl Appointment {
    pub fn slot(&self) -> Slot {
        Slot {
            day: self.day,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }

    pub fn reference(&self) -> events::AppointmentRef {
        events::AppointmentRef {
            appointment_id: self.id.to_string(),
            region_code: self.region_code.clone(),
            group_id: self.group_id.to_string(),
            item_code: self.item_code.clone(),
            day: self.day.to_string(),
            starts_at: Some(tongban_events::timestamp(self.starts_at)),
            ends_at: Some(tongban_events::timestamp(self.ends_at)),
            channel: self.channel.as_str().to_owned(),
            account_id: self.account_id.map(|a| a.to_string()).unwrap_or_default(),
        }
    }
}

/// Serialises the bookings of one slot (a transaction-scoped lock on the group and start),
/// so that counting its places and taking one are one step.
pub async fn lock_slot(conn: &mut PgConnection, group: Uuid, slot: &Slot) -> Result<(), Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1 || '@' || $2::text, 0))")
        .bind(group.to_string())
        .bind(slot.starts_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Places taken at `now` in each of `group`'s slots starting from `first` to `last`
/// (inclusive; slots with none taken are left out): a hold counts only while it runs, as
/// rules::Place counts.
pub async fn places_taken(
    conn: &mut PgConnection,
    group: Uuid,
    (first, last): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>, Error> {
    Ok(sqlx::query_as(
        "select starts_at, count(*) from appointments
         where group_id = $1 and starts_at between $2 and $3 and holds_place
           and (not held or held_until > $4)
         group by starts_at",
    )
    .bind(group)
    .bind(first)
    .bind(last)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Lets go, at `now`, the holds of the person's day and of the slot whose time ran out, so
/// that they neither take a place nor block a new booking of the day.
pub async fn let_go_of_run_out_holds(
    conn: &mut PgConnection,
    person: &[u8],
    group: Uuid,
    slot: &Slot,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update appointments set status = $1
         where held and held_until <= $2
           and ((person_digest = $3 and day = $4) or (group_id = $5 and starts_at = $6))",
    )
    .bind(Status::Expired)
    .bind(now)
    .bind(person)
    .bind(slot.day)
    .bind(group)
    .bind(slot.starts_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// When the person's no-shows at the centre of `region` happened, since `since`.
pub async fn no_shows(
    conn: &mut PgConnection,
    region: &str,
    person: &[u8],
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, Error> {
    Ok(sqlx::query_scalar(
        "select ends_at from appointments
         where region_code = $1 and person_digest = $2 and missed and ends_at >= $3
         order by ends_at",
    )
    .bind(region)
    .bind(person)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// Inserts `a`; 409 `already_booked` when the person holds a place for the item that day.
pub async fn insert(conn: &mut PgConnection, a: &Appointment) -> Result<(), Error> {
    sqlx::query(&format!(
        "insert into appointments ({COLUMNS})
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19)"
    ))
    .bind(a.id)
    .bind(&a.region_code)
    .bind(a.group_id)
    .bind(&a.item_code)
    .bind(a.day)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(&a.person_digest)
    .bind(a.priority)
    .bind(a.channel)
    .bind(a.booked_by)
    .bind(a.account_id)
    .bind(a.status)
    .bind(a.held_until)
    .bind(a.created_at)
    .bind(a.booked_at)
    .bind(a.cancelled_at)
    .bind(a.checked_in_at)
    .bind(a.reminded_at)
    .execute(conn)
    .await
    .map_err(|e| {
        Error::conflict_on(
            e,
            &[(
                "appointments_one_a_day",
                "already_booked",
                "this person already has a booking for this item on that day",
            )],
        )
    })?;
    Ok(())
}

/// Appointment `id`, locked; 404 when there is none.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Appointment, Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no appointment {id}")))
}

/// Appointment `id` as it is; 404 when there is none.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Appointment, Error> {
    sqlx::query_as(&format!("select {COLUMNS} from appointments where id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no appointment {id}")))
}

/// The person's booking at the centre of `region` on `day` still to check in, locked (the
/// kiosk's check-in by card); the earliest when there are several items.
pub async fn lock_pending_of(
    conn: &mut PgConnection,
    region: &str,
    person: &[u8],
    day: NaiveDate,
) -> Result<Option<Appointment>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from appointments
         where region_code = $1 and person_digest = $2 and day = $3 and pending
         order by starts_at limit 1 for update"
    ))
    .bind(region)
    .bind(person)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

/// The bookings of `account`, the latest slot first.
pub async fn of_account(
    conn: &mut PgConnection,
    account: Uuid,
    limit: i64,
) -> Result<Vec<Appointment>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where account_id = $1
         order by starts_at desc limit $2"
    ))
    .bind(account)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Writes an appointment's new state and `event` to the outbox.
pub async fn save<E: Event>(
    conn: &mut PgConnection,
    a: &Appointment,
    event: &E,
) -> Result<(), Error> {
    update(&mut *conn, a).await?;
    publish(conn, a, event).await
}

/// Writes an appointment's new state, with no event (a hold let go).
pub async fn update(conn: &mut PgConnection, a: &Appointment) -> Result<(), Error> {
    sqlx::query(
        "update appointments set status = $2, held_until = $3, booked_at = $4,
             cancelled_at = $5, checked_in_at = $6, reminded_at = $7
         where id = $1",
    )
    .bind(a.id)
    .bind(a.status)
    .bind(a.held_until)
    .bind(a.booked_at)
    .bind(a.cancelled_at)
    .bind(a.checked_in_at)
    .bind(a.reminded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes `event` about appointment `a` to the outbox, keyed by it, for its centre's region.
pub async fn publish<E: Event>(
    conn: &mut PgConnection,
    a: &Appointment,
    event: &E,
) -> Result<(), Error> {
    let key = a.id.to_string();
    outbox::enqueue(
        conn,
        &Subject {
            key: &key,
            subject: None,
            regions: vec![a.region_code.clone()],
        },
        event,
    )
    .await?;
    Ok(())
}

/// Holds whose time ran out by `now`, locked, at most `limit`.
pub async fn run_out_holds(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Appointment>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where held and held_until <= $1
         order by held_until limit $2 for update skip locked"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Bookings whose slot ended by `now` without a check-in, locked, at most `limit`.
pub async fn ended_unchecked(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Appointment>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from appointments where pending and ends_at <= $1
         order by starts_at limit $2 for update skip locked"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Bookings starting before `before` not yet reminded, locked, at most `limit`.
pub async fn to_remind(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Appointment>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from appointments
         where pending and starts_at < $1 and reminded_at is null and account_id is not null
         order by starts_at limit $2 for update skip locked"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
