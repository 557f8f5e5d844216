//! The halls' statistics (大厅: 取号、叫号、预约) for a region (every service centre in it, by
//! code) and a period of China dates, by centre, window group, window or day.
//!
//! What counts where:
//! - Tickets are counted on the day they were issued for: `issued` (every ticket), `called`,
//!   `served` (finished at a window), `absent` (called and never came, 过号), `cancelled`
//!   (given up before a call), `transferred` (sent on to another group at least once).
//!   A ticket belongs to the group it is in now and to the window that last had it; one that
//!   never reached a window is in the window row keyed `none`.
//! - Times in milliseconds, average and 90th percentile (an observed value): the `wait`
//!   (arrival to the first call), the `walk` (first call to the start of service) and the
//!   `service` (start to finish), each over the tickets that have it.
//! - Bookings are counted on their slot's day: `booked` (every booking announced), `checked_in`,
//!   `cancelled`, `missed` (爽约: the slot ended without a check-in), `suspensions` (no-shows that
//!   suspended the person's booking); the no-show rate is missed / (checked in + missed), the
//!   cancellation rate cancelled / booked. A booking has no window: window rows have none, and
//!   the total has them all.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row as _};
use utoipa::ToSchema;

/// What the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Service centres (keys: their 12-digit region codes).
    Centre,
    /// Window groups (keys: their ids).
    Group,
    /// Windows (keys: their ids; `none` for tickets that never reached one).
    Window,
    /// Days (keys: ISO dates).
    Day,
}

impl By {
    pub const ALL: [By; 4] = [By::Centre, By::Group, By::Window, By::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            By::Centre => "centre",
            By::Group => "group",
            By::Window => "window",
            By::Day => "day",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|by| by.as_str() == raw)
    }

    /// A ticket's key.
    fn ticket_key(self) -> &'static str {
        match self {
            By::Centre => "t.region_code",
            By::Group => "t.group_id::text",
            By::Window => "coalesce(t.window_id::text, 'none')",
            By::Day => "t.day::text",
        }
    }

    /// A booking's key; none by window (a booking has no window).
    fn appointment_key(self) -> Option<&'static str> {
        match self {
            By::Centre => Some("a.region_code"),
            By::Group => Some("a.group_id::text"),
            By::Window => None,
            By::Day => Some("a.day::text"),
        }
    }
}

/// What to count.
#[derive(Debug, Clone)]
pub struct Question {
    /// The region's significant digits (2 province, 4 city, 6 county, 9 town, 12 village).
    pub prefix: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: By,
}

/// A duration's distribution, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Durations {
    /// The tickets measured.
    pub count: i64,
    pub avg_ms: Option<f64>,
    /// The 90th percentile: nine in ten took this long or less.
    pub p90_ms: Option<i64>,
}

/// The queue tickets (取号、叫号) of a row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Tickets {
    pub issued: i64,
    pub called: i64,
    /// Finished at a window.
    pub served: i64,
    /// Called and never came (过号).
    pub absent: i64,
    /// Given up before a call.
    pub cancelled: i64,
    /// Sent on to another window group.
    pub transferred: i64,
    /// Arrival to the first call.
    pub wait: Durations,
    /// The first call to the start of service.
    pub walk: Durations,
    /// The start of service to its finish.
    pub service: Durations,
}

/// The bookings (预约) of a row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Appointments {
    pub booked: i64,
    pub checked_in: i64,
    pub cancelled: i64,
    /// 爽约: the slot ended without a check-in.
    pub missed: i64,
    /// No-shows that suspended the person's booking at the centre.
    pub suspensions: i64,
    /// missed / (checked in + missed); none when neither.
    pub no_show_rate: Option<f64>,
    /// cancelled / booked; none without bookings.
    pub cancellation_rate: Option<f64>,
}

impl Appointments {
    /// The counts, with their rates.
    pub fn counted(
        booked: i64,
        checked_in: i64,
        cancelled: i64,
        missed: i64,
        suspensions: i64,
    ) -> Self {
        Self {
            booked,
            checked_in,
            cancelled,
            missed,
            suspensions,
            no_show_rate: ratio(missed, checked_in + missed),
            cancellation_rate: ratio(cancelled, booked),
        }
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The statistics of a row (or of the whole region).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HallMetrics {
    pub tickets: Tickets,
    /// None in a window's row: a booking has no window.
    pub appointments: Option<Appointments>,
}

/// One row: its key, what names it, its statistics.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HallRow {
    pub key: String,
    /// The centre's region (rows by group and by window).
    pub centre: Option<String>,
    /// The window's group (rows by window).
    pub group_id: Option<String>,
    /// The group's ticket letter (rows by group and by window).
    pub letter: Option<String>,
    /// The window's name as its calls show it (rows by window).
    pub name: Option<String>,
    #[serde(flatten)]
    pub metrics: HallMetrics,
}

/// The answer: the whole region's statistics and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct HallAnswer {
    pub total: HallMetrics,
    pub rows: Vec<HallRow>,
}

/// Counts `question`.
pub async fn statistics(pool: &PgPool, question: &Question) -> sqlx::Result<HallAnswer> {
    let tickets = tickets(pool, question).await?;
    let appointments = appointments(pool, question).await?;
    let (total, rows) = merge(question.by, tickets, appointments);
    let keys: Vec<String> = rows.iter().map(|(key, _)| key.clone()).collect();
    let mut labels = labels(pool, question.by, keys).await?;
    let rows = rows
        .into_iter()
        .map(|(key, metrics)| {
            let label = labels.remove(&key).unwrap_or_default();
            HallRow {
                key,
                centre: label.centre,
                group_id: label.group_id,
                letter: label.letter,
                name: label.name,
                metrics,
            }
        })
        .collect();
    Ok(HallAnswer { total, rows })
}

/// Puts the tickets' and the bookings' counts (`None`: the whole region) together: the total
/// and the rows, by day in the calendar's order, otherwise most tickets first (then most
/// bookings, then by key). Rows by window have no bookings; others have them, zero or more.
pub fn merge(
    by: By,
    tickets: Vec<(Option<String>, Tickets)>,
    appointments: Vec<(Option<String>, Appointments)>,
) -> (HallMetrics, Vec<(String, HallMetrics)>) {
    let booked = by.appointment_key().is_some();
    let empty = || HallMetrics {
        tickets: Tickets::default(),
        appointments: booked.then(Appointments::default),
    };
    let mut total = HallMetrics {
        appointments: Some(Appointments::default()),
        ..HallMetrics::default()
    };
    let mut rows: BTreeMap<String, HallMetrics> = BTreeMap::new();
    for (key, counted) in tickets {
        match key {
            None => total.tickets = counted,
            Some(key) => rows.entry(key).or_insert_with(empty).tickets = counted,
        }
    }
    for (key, counted) in appointments {
        match key {
            None => total.appointments = Some(counted),
            Some(key) if booked => {
                rows.entry(key).or_insert_with(empty).appointments = Some(counted);
            }
            Some(_) => {}
        }
    }
    let mut rows: Vec<(String, HallMetrics)> = rows.into_iter().collect();
    if by != By::Day {
        let booked = |m: &HallMetrics| m.appointments.as_ref().map_or(0, |a| a.booked);
        rows.sort_by(|(ka, a), (kb, b)| {
            (b.tickets.issued, booked(b))
                .cmp(&(a.tickets.issued, booked(a)))
                .then_with(|| ka.cmp(kb))
        });
    }
    (total, rows)
}

/// The tickets' counts and times per key, and for the whole region under `None`.
async fn tickets(
    pool: &PgPool,
    question: &Question,
) -> sqlx::Result<Vec<(Option<String>, Tickets)>> {
    let times: String = ["wait_ms", "walk_ms", "service_ms"]
        .iter()
        .map(|c| {
            format!(
                ", count(t.{c}) as {c}_n, avg(t.{c})::float8 as {c}_avg,
                 percentile_disc(0.9) within group (order by t.{c}) as {c}_p90"
            )
        })
        .collect();
    let sql = format!(
        "select grouping(t.key) = 1 as whole, t.key, count(*) as issued,
             count(*) filter (where t.first_called_at is not null) as called,
             count(*) filter (where t.finished_at is not null) as served,
             count(*) filter (where t.absent_at is not null) as absent,
             count(*) filter (where t.cancelled_at is not null) as cancelled,
             count(*) filter (where t.transferred_at is not null) as transferred
             {times}
         from (select t.*, {key} as key from hall_tickets t
               where t.day between $2 and $3 and starts_with(t.region_code, $1)) t
         group by grouping sets ((t.key), ())",
        key = question.by.ticket_key(),
    );
    let found = sqlx::query(&sql)
        .bind(&question.prefix)
        .bind(question.from)
        .bind(question.to)
        .fetch_all(pool)
        .await?;
    found.iter().map(tickets_of).collect()
}

fn tickets_of(row: &PgRow) -> sqlx::Result<(Option<String>, Tickets)> {
    let durations = |column: &str| -> sqlx::Result<Durations> {
        Ok(Durations {
            count: row.try_get(format!("{column}_n").as_str())?,
            avg_ms: row.try_get(format!("{column}_avg").as_str())?,
            p90_ms: row.try_get(format!("{column}_p90").as_str())?,
        })
    };
    Ok((
        key_of(row)?,
        Tickets {
            issued: row.try_get("issued")?,
            called: row.try_get("called")?,
            served: row.try_get("served")?,
            absent: row.try_get("absent")?,
            cancelled: row.try_get("cancelled")?,
            transferred: row.try_get("transferred")?,
            wait: durations("wait_ms")?,
            walk: durations("walk_ms")?,
            service: durations("service_ms")?,
        },
    ))
}

/// A row's key: `None` for the whole region's; `unknown` where the events did not say.
fn key_of(row: &PgRow) -> sqlx::Result<Option<String>> {
    if row.try_get::<bool, _>("whole")? {
        return Ok(None);
    }
    Ok(Some(
        row.try_get::<Option<String>, _>("key")?
            .unwrap_or_else(|| "unknown".to_owned()),
    ))
}

/// The bookings' counts per key (none by window), and for the whole region under `None`.
async fn appointments(
    pool: &PgPool,
    question: &Question,
) -> sqlx::Result<Vec<(Option<String>, Appointments)>> {
    let key = question.by.appointment_key().unwrap_or("null::text");
    let sql = format!(
        "select grouping(a.key) = 1 as whole, a.key, count(*) as booked,
             count(*) filter (where a.checked_in_at is not null) as checked_in,
             count(*) filter (where a.cancelled_at is not null) as cancelled,
             count(*) filter (where a.missed_at is not null) as missed,
             count(*) filter (where a.suspended_until is not null) as suspensions
         from (select a.*, {key} as key from hall_appointments a
               where a.day between $2 and $3 and starts_with(a.region_code, $1)) a
         group by grouping sets ((a.key), ())"
    );
    let found = sqlx::query(&sql)
        .bind(&question.prefix)
        .bind(question.from)
        .bind(question.to)
        .fetch_all(pool)
        .await?;
    found
        .iter()
        .map(|row| {
            Ok((
                key_of(row)?,
                Appointments::counted(
                    row.try_get("booked")?,
                    row.try_get("checked_in")?,
                    row.try_get("cancelled")?,
                    row.try_get("missed")?,
                    row.try_get("suspensions")?,
                ),
            ))
        })
        .collect()
}

/// What names a row beside its key.
#[derive(Debug, Clone, Default)]
struct Label {
    centre: Option<String>,
    group_id: Option<String>,
    letter: Option<String>,
    name: Option<String>,
}

/// The labels of group and window keys (centres are named by the catalogue's region tree).
async fn labels(pool: &PgPool, by: By, keys: Vec<String>) -> sqlx::Result<BTreeMap<String, Label>> {
    type Found = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let sql = match by {
        // A group known only from its bookings has no letter yet; its centre is theirs.
        By::Group => {
            "select k.key, coalesce(g.region_code,
                     (select min(a.region_code) from hall_appointments a
                      where a.group_id::text = k.key)),
                 k.key, g.letter, null::text
             from unnest($1::text[]) k(key)
             left join hall_groups g on g.group_id::text = k.key"
        }
        By::Window => {
            "select w.window_id::text, w.region_code, w.group_id::text, g.letter, w.name
             from hall_windows w left join hall_groups g on g.group_id = w.group_id
             where w.window_id::text = any($1)"
        }
        By::Centre | By::Day => return Ok(BTreeMap::new()),
    };
    let found: Vec<Found> = sqlx::query_as(sql).bind(keys).fetch_all(pool).await?;
    Ok(found
        .into_iter()
        .map(|(key, centre, group_id, letter, name)| {
            let group_id = group_id.filter(|_| by == By::Window);
            let label = Label {
                centre,
                group_id,
                letter,
                name,
            };
            (key, label)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tickets(issued: i64) -> Tickets {
        Tickets {
            issued,
            ..Tickets::default()
        }
    }

    #[test]
    fn the_rates_of_bookings_leave_out_what_has_no_denominator() {
        let counted = Appointments::counted(8, 3, 2, 1, 1);
        assert_eq!(counted.no_show_rate, Some(0.25), "1 missed of 3 + 1 due");
        assert_eq!(counted.cancellation_rate, Some(0.25), "2 cancelled of 8");
        let none = Appointments::counted(0, 0, 0, 0, 0);
        assert_eq!((none.no_show_rate, none.cancellation_rate), (None, None));
        // Booked, nobody due yet: no no-show rate, but a cancellation rate.
        let early = Appointments::counted(4, 0, 1, 0, 0);
        assert_eq!(
            (early.no_show_rate, early.cancellation_rate),
            (None, Some(0.25))
        );
    }

    #[test]
    fn tickets_and_bookings_meet_in_one_row_per_key_most_tickets_first() {
        let (total, rows) = merge(
            By::Group,
            vec![
                (None, tickets(7)),
                (Some("a".into()), tickets(2)),
                (Some("b".into()), tickets(5)),
            ],
            vec![
                (None, Appointments::counted(3, 1, 1, 1, 0)),
                (Some("a".into()), Appointments::counted(1, 1, 0, 0, 0)),
                // Bookings in a group nobody took a ticket in.
                (Some("c".into()), Appointments::counted(2, 0, 1, 1, 0)),
            ],
        );
        assert_eq!(total.tickets.issued, 7);
        assert_eq!(total.appointments.as_ref().unwrap().booked, 3);
        let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(rows[0].1.appointments, Some(Appointments::default()));
        assert_eq!(rows[1].1.appointments.as_ref().unwrap().checked_in, 1);
        assert_eq!(rows[2].1.tickets, Tickets::default());
        assert_eq!(rows[2].1.appointments.as_ref().unwrap().missed, 1);
    }

    #[test]
    fn rows_by_window_have_no_bookings_and_rows_by_day_keep_the_calendar() {
        let (total, rows) = merge(
            By::Window,
            vec![
                (None, tickets(3)),
                (Some("w1".into()), tickets(2)),
                (Some("none".into()), tickets(1)),
            ],
            vec![
                (None, Appointments::counted(2, 1, 0, 1, 1)),
                (Some("unknown".into()), Appointments::counted(2, 1, 0, 1, 1)),
            ],
        );
        assert_eq!(total.appointments.as_ref().unwrap().suspensions, 1);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows.iter().all(|(_, m)| m.appointments.is_none()));
        let (_, rows) = merge(
            By::Day,
            vec![
                (Some("2026-12-08".into()), tickets(9)),
                (Some("2026-12-07".into()), tickets(1)),
            ],
            vec![],
        );
        let days: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(days, ["2026-12-07", "2026-12-08"]);
        // No question answered: zeros, and bookings in the total all the same.
        let (total, rows) = merge(By::Centre, vec![], vec![]);
        assert!(rows.is_empty());
        assert_eq!(total.appointments, Some(Appointments::default()));
    }

    #[test]
    fn every_dimension_reads_back_from_its_name() {
        for by in By::ALL {
            assert_eq!(By::parse(by.as_str()), Some(by));
        }
        assert_eq!(By::parse("region"), None);
        assert_eq!(By::parse("Centre"), None);
    }
}
