//! Queue tickets and bookings of the halls as tongban.hall.v1 tells them (writes only). Every
//! write may be applied twice, and the events of different tickets and bookings in any order:
//! a fact is set, never added to; the first call keeps its wait whatever comes after it (a
//! recall, a call in the group the ticket was transferred to); what a later event of the same
//! ticket changes (its group, its window) follows the event's offset in the ticket's partition.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What every ticket event says about the ticket (its `TicketRef`), and where the event sits
/// in the ticket's partition.
#[derive(Debug, Clone)]
pub struct TicketFacts {
    pub ticket_id: Uuid,
    pub region_code: String,
    /// The group the ticket is in as of this event.
    pub group_id: Uuid,
    pub number: String,
    pub day: NaiveDate,
    pub appointment_id: Option<Uuid>,
    pub priority: String,
    pub offset: i64,
}

/// A step in a ticket's life, with what the event measured.
#[derive(Debug, Clone)]
pub enum TicketStep {
    Issued {
        at: DateTime<Utc>,
    },
    /// `calls` is 1 on a first call (in a group): only then is `wait_ms` the wait.
    Called {
        window: Uuid,
        window_name: String,
        calls: i32,
        at: DateTime<Utc>,
        wait_ms: i64,
    },
    Started {
        window: Uuid,
        at: DateTime<Utc>,
        walk_ms: i64,
    },
    Finished {
        window: Uuid,
        at: DateTime<Utc>,
        service_ms: i64,
    },
    Absent {
        window: Uuid,
        at: DateTime<Utc>,
    },
    Transferred {
        at: DateTime<Utc>,
    },
    Cancelled {
        at: DateTime<Utc>,
    },
}

/// Records the ticket (first sight; its group as of the newest event) and the step.
pub async fn ticket(
    conn: &mut PgConnection,
    facts: &TicketFacts,
    step: &TicketStep,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into hall_tickets as t (ticket_id, region_code, group_id, group_offset, number,
             day, appointment_id, priority)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (ticket_id) do update set
             region_code = excluded.region_code, group_id = excluded.group_id,
             group_offset = excluded.group_offset, number = excluded.number, day = excluded.day,
             appointment_id = coalesce(excluded.appointment_id, t.appointment_id),
             priority = excluded.priority
         where t.group_offset < excluded.group_offset",
    )
    .bind(facts.ticket_id)
    .bind(&facts.region_code)
    .bind(facts.group_id)
    .bind(facts.offset)
    .bind(&facts.number)
    .bind(facts.day)
    .bind(facts.appointment_id)
    .bind(&facts.priority)
    .execute(&mut *conn)
    .await?;
    match step {
        TicketStep::Issued { at } => issued(conn, facts, *at).await,
        TicketStep::Called {
            window,
            window_name,
            calls,
            at,
            wait_ms,
        } => {
            called(conn, facts, *window, *calls, *at, *wait_ms).await?;
            window_named(conn, facts, *window, window_name, *at).await
        }
        TicketStep::Started {
            window,
            at,
            walk_ms,
        } => set(conn, facts, Some(*window), STARTED, *at, Some(*walk_ms)).await,
        TicketStep::Finished {
            window,
            at,
            service_ms,
        } => set(conn, facts, Some(*window), FINISHED, *at, Some(*service_ms)).await,
        TicketStep::Absent { window, at } => {
            set(conn, facts, Some(*window), ABSENT, *at, None).await
        }
        TicketStep::Transferred { at } => set(conn, facts, None, TRANSFERRED, *at, None).await,
        TicketStep::Cancelled { at } => set(conn, facts, None, CANCELLED, *at, None).await,
    }
}

/// The issue, and the group's letter: the number's letters before its serial.
async fn issued(
    conn: &mut PgConnection,
    facts: &TicketFacts,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("update hall_tickets set issued_at = $2 where ticket_id = $1")
        .bind(facts.ticket_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    let letter = facts.number.trim_end_matches(|c: char| c.is_ascii_digit());
    if letter.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into hall_groups as g (group_id, region_code, letter, named_at)
         values ($1, $2, $3, $4)
         on conflict (group_id) do update set letter = excluded.letter,
             region_code = excluded.region_code, named_at = excluded.named_at
         where g.named_at <= excluded.named_at",
    )
    .bind(facts.group_id)
    .bind(&facts.region_code)
    .bind(letter)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A call: the earliest first call keeps its time and its wait (`least` passes over a null);
/// the window follows the newest event.
async fn called(
    conn: &mut PgConnection,
    facts: &TicketFacts,
    window: Uuid,
    calls: i32,
    at: DateTime<Utc>,
    wait_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "update hall_tickets set
             wait_ms = case when $3 = 1 and (first_called_at is null or $4 < first_called_at)
                 then $5 else wait_ms end,
             first_called_at = least(first_called_at, $4),
             window_id = case when window_offset < $6 then $2 else window_id end,
             window_offset = greatest(window_offset, $6)
         where ticket_id = $1",
    )
    .bind(facts.ticket_id)
    .bind(window)
    .bind(calls)
    .bind(at)
    .bind(wait_ms)
    .bind(facts.offset)
    .execute(conn)
    .await?;
    Ok(())
}

/// The window's name as of its newest call.
async fn window_named(
    conn: &mut PgConnection,
    facts: &TicketFacts,
    window: Uuid,
    name: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    if name.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into hall_windows as w (window_id, region_code, group_id, name, named_at)
         values ($1, $2, $3, $4, $5)
         on conflict (window_id) do update set name = excluded.name,
             region_code = excluded.region_code, group_id = excluded.group_id,
             named_at = excluded.named_at
         where w.named_at <= excluded.named_at",
    )
    .bind(window)
    .bind(&facts.region_code)
    .bind(facts.group_id)
    .bind(name)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The columns a step sets: (its instant, what it measured).
type Columns = (&'static str, Option<&'static str>);
const STARTED: Columns = ("started_at", Some("walk_ms"));
const FINISHED: Columns = ("finished_at", Some("service_ms"));
const ABSENT: Columns = ("absent_at", None);
const TRANSFERRED: Columns = ("transferred_at", None);
const CANCELLED: Columns = ("cancelled_at", None);

/// Sets a step's instant (the latest, should one come twice) and what it measured, and the
/// window when the event is the newest with one.
async fn set(
    conn: &mut PgConnection,
    facts: &TicketFacts,
    window: Option<Uuid>,
    (at_column, measure): Columns,
    at: DateTime<Utc>,
    ms: Option<i64>,
) -> sqlx::Result<()> {
    let measure = measure.map(|m| format!(", {m} = $3")).unwrap_or_default();
    sqlx::query(&format!(
        "update hall_tickets set {at_column} = greatest({at_column}, $2) {measure},
             window_id = case when $4::uuid is not null and window_offset < $5 then $4
                 else window_id end,
             window_offset = case when $4::uuid is not null then greatest(window_offset, $5)
                 else window_offset end
         where ticket_id = $1"
    ))
    .bind(facts.ticket_id)
    .bind(at)
    .bind(ms)
    .bind(window)
    .bind(facts.offset)
    .execute(conn)
    .await?;
    Ok(())
}

/// What every booking event says about the booking (its `AppointmentRef`).
#[derive(Debug, Clone)]
pub struct AppointmentFacts {
    pub appointment_id: Uuid,
    pub region_code: String,
    pub group_id: Option<Uuid>,
    pub item_code: String,
    /// The slot's day (China date).
    pub day: NaiveDate,
    pub starts_at: Option<DateTime<Utc>>,
    pub channel: String,
    pub offset: i64,
}

/// A step in a booking's life.
#[derive(Debug, Clone, Copy)]
pub enum AppointmentStep {
    Booked {
        at: DateTime<Utc>,
    },
    Cancelled {
        at: DateTime<Utc>,
    },
    CheckedIn {
        at: DateTime<Utc>,
        ticket: Option<Uuid>,
    },
    Missed {
        at: DateTime<Utc>,
    },
    Suspended {
        until: DateTime<Utc>,
    },
}

/// Records the booking (first sight; its descriptive fields as of the newest event) and the
/// step.
pub async fn appointment(
    conn: &mut PgConnection,
    facts: &AppointmentFacts,
    step: AppointmentStep,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into hall_appointments as a (appointment_id, region_code, group_id, ref_offset,
             item_code, day, starts_at, channel)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (appointment_id) do update set
             region_code = excluded.region_code, group_id = excluded.group_id,
             ref_offset = excluded.ref_offset, item_code = excluded.item_code,
             day = excluded.day, starts_at = excluded.starts_at, channel = excluded.channel
         where a.ref_offset < excluded.ref_offset",
    )
    .bind(facts.appointment_id)
    .bind(&facts.region_code)
    .bind(facts.group_id)
    .bind(facts.offset)
    .bind(&facts.item_code)
    .bind(facts.day)
    .bind(facts.starts_at)
    .bind(&facts.channel)
    .execute(&mut *conn)
    .await?;
    let (column, at, ticket) = match step {
        AppointmentStep::Booked { at } => ("booked_at", at, None),
        AppointmentStep::Cancelled { at } => ("cancelled_at", at, None),
        AppointmentStep::CheckedIn { at, ticket } => ("checked_in_at", at, ticket),
        AppointmentStep::Missed { at } => ("missed_at", at, None),
        AppointmentStep::Suspended { until } => ("suspended_until", until, None),
    };
    sqlx::query(&format!(
        "update hall_appointments set {column} = greatest({column}, $2),
             ticket_id = coalesce($3, ticket_id)
         where appointment_id = $1"
    ))
    .bind(facts.appointment_id)
    .bind(at)
    .bind(ticket)
    .execute(conn)
    .await?;
    Ok(())
}
