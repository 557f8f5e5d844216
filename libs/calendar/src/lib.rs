//! The working-day calendar as a projection of the catalogue's `CalendarChanged` events, for
//! every service that computes due dates (acceptance, approval, crossregion). Each such service
//! has the same two tables in its own schema: `calendar_days` (region '' for the nation, a
//! region code for a service centre's closures) and `calendar_years` (the years whose national
//! holidays are known).
//!
//! The rules of working days themselves (what a due date is, how pauses move it) are pure and
//! live in the kernel ([`tongban_kernel::calendar`]); this crate only keeps and loads the days.
//!
//! # Layout
//! - [`apply`]: a `CalendarChanged` event into the tables (called from a service's handler).
//! - [`load`], [`Calendars`]: one service centre's calendar, or several for a batch of work.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgConnection;

use tongban_bus::{HandleError, field};
use tongban_events::catalogue::v1::CalendarChanged;
pub use tongban_kernel::calendar::{Calendar, DayKind};

/// Replaces the year's days of the nation (empty region) or of one service centre.
pub async fn apply(tx: &mut PgConnection, change: CalendarChanged) -> Result<(), HandleError> {
    let mut dates = Vec::with_capacity(change.days.len());
    for day in &change.days {
        let date = field::date("date", &day.date)?;
        if DayKind::parse(&day.kind).is_none() {
            return Err(field::malformed("kind", &day.kind));
        }
        dates.push(date);
    }
    sqlx::query(
        "delete from calendar_days where region_code = $1 and extract(year from date) = $2",
    )
    .bind(&change.region_code)
    .bind(change.year)
    .execute(&mut *tx)
    .await?;
    let kinds: Vec<&str> = change.days.iter().map(|d| d.kind.as_str()).collect();
    let notes: Vec<&str> = change.days.iter().map(|d| d.note.as_str()).collect();
    sqlx::query(
        "insert into calendar_days (region_code, date, kind, note)
         select $1, * from unnest($2::date[], $3::text[], $4::text[])",
    )
    .bind(&change.region_code)
    .bind(&dates)
    .bind(&kinds)
    .bind(&notes)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into calendar_years (region_code, year) values ($1, $2) on conflict do nothing",
    )
    .bind(&change.region_code)
    .bind(change.year)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The working-day calendar of the service centre of `region`: the national days and its
/// closures, as the catalogue published them.
pub async fn load(conn: &mut PgConnection, region: &str) -> Result<Calendar, sqlx::Error> {
    let days: Vec<(NaiveDate, String)> = sqlx::query_as(
        "select date, kind from calendar_days where region_code = '' or region_code = $1",
    )
    .bind(region)
    .fetch_all(&mut *conn)
    .await?;
    let years: Vec<i32> =
        sqlx::query_scalar("select year from calendar_years where region_code = ''")
            .fetch_all(&mut *conn)
            .await?;
    Ok(Calendar::new(
        days.into_iter()
            .filter_map(|(date, kind)| Some((date, DayKind::parse(&kind)?))),
        years,
    ))
}

/// Calendars loaded once per service centre for a batch of work (a sweep, a recalculation),
/// instead of once per row.
#[derive(Default)]
pub struct Calendars(HashMap<String, Calendar>);

impl Calendars {
    /// The calendar of `region`'s service centre, loaded on first use.
    pub async fn of(
        &mut self,
        conn: &mut PgConnection,
        region: &str,
    ) -> Result<&Calendar, sqlx::Error> {
        if !self.0.contains_key(region) {
            let calendar = load(conn, region).await?;
            self.0.insert(region.to_owned(), calendar);
        }
        Ok(&self.0[region])
    }
}
