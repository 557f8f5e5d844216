//! The working-day calendar: the national calendar by year (shipped in `data/calendar`, more
//! years added by operators) and each service centre's closures.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use tongban_bus::outbox::{self, Subject};
use tongban_events::catalogue::v1 as events;
use tongban_kernel::calendar::DayKind;
use tongban_kernel::{Calendar, Error, RegionCode};

use crate::actor::Actor;

/// The national calendar shipped with the service (State Council notices, 2020-2026).
const SHIPPED: &str = include_str!("../../data/calendar/cn-official-calendar.csv");

/// A date that differs from the plain Monday-Friday week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The holiday block (National Day ...) or the closure's reason.
    #[serde(default)]
    pub note: String,
}

/// Parses the calendar CSV format (`date,kind,festival`, `kind` holiday or workday), by year.
/// Errors name the line.
pub fn parse_csv(text: &str) -> Result<BTreeMap<i32, Vec<Day>>, String> {
    let mut years: BTreeMap<i32, Vec<Day>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, ',');
        let (date, kind, note) = (fields.next(), fields.next(), fields.next().unwrap_or(""));
        let date: NaiveDate = date
            .and_then(|d| d.trim().parse().ok())
            .ok_or_else(|| format!("line {}: the date is not YYYY-MM-DD", n + 1))?;
        let kind = kind
            .and_then(|k| DayKind::parse(k.trim()))
            .filter(|k| *k != DayKind::Closure)
            .ok_or_else(|| format!("line {}: kind must be holiday or workday", n + 1))?;
        years.entry(date.year()).or_default().push(Day {
            date,
            kind,
            note: note.trim().to_owned(),
        });
    }
    Ok(years)
}

pub async fn known_years(conn: impl sqlx::PgExecutor<'_>) -> Result<Vec<i32>, Error> {
    Ok(
        sqlx::query_scalar("select year from calendar_years order by year")
            .fetch_all(conn)
            .await?,
    )
}

/// Loads the shipped national calendar when the database has none yet.
pub async fn load_shipped_if_empty(pool: &PgPool) -> Result<usize, Error> {
    let years = parse_csv(SHIPPED).map_err(Error::internal)?;
    let mut tx = pool.begin().await?;
    // The service at start and `up --demo` may both get here: one loads, the other sees it.
    sqlx::query("select pg_advisory_xact_lock(hashtext('catalogue.calendar_years'))")
        .execute(&mut *tx)
        .await?;
    if !known_years(&mut *tx).await?.is_empty() {
        return Ok(0);
    }
    for (year, days) in &years {
        replace_year(
            &mut tx,
            Actor::Operator,
            *year,
            days,
            "shipped: State Council notices",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(years.len())
}

/// Replaces the national calendar of `year` and publishes `CalendarChanged`. Every day must lie
/// in `year`; a workday must be a weekend day and a holiday is any day.
pub async fn replace_year(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    year: i32,
    days: &[Day],
    source: &str,
) -> Result<(), Error> {
    let provincial = |principal: &tongban_kernel::Principal| {
        principal
            .bindings_for_power(tongban_kernel::Power::EditCatalogue)
            .any(|b| b.region.level() == tongban_kernel::region::RegionLevel::Province)
    };
    match actor {
        Actor::Operator => {}
        Actor::Public => return Err(Error::Unauthorized),
        // The national calendar is everyone's: only a province-level catalogue admin sets it.
        Actor::Staff(principal) if !provincial(principal) => {
            return Err(Error::Forbidden(
                "the national calendar is set by a province-level catalogue_admin".into(),
            ));
        }
        Actor::Staff(_) => {}
    }
    if !(2000..=2100).contains(&year) {
        return Err(Error::bad_request("year", "must be 2000 to 2100"));
    }
    for (n, day) in days.iter().enumerate() {
        let field = format!("days[{n}]");
        if day.date.year() != year {
            return Err(Error::unprocessable(
                format!("{field}.date"),
                format!("{} is not in {year}", day.date),
            ));
        }
        match day.kind {
            DayKind::Closure => {
                return Err(Error::unprocessable(
                    format!("{field}.kind"),
                    "closures belong to a service centre",
                ));
            }
            DayKind::Workday if day.date.weekday().number_from_monday() < 6 => {
                return Err(Error::unprocessable(
                    format!("{field}.kind"),
                    format!("{} is a weekday: it is a working day already", day.date),
                ));
            }
            _ => {}
        }
        if days[..n].iter().any(|d| d.date == day.date) {
            return Err(Error::unprocessable(
                format!("{field}.date"),
                format!("{} is listed twice", day.date),
            ));
        }
    }
    sqlx::query("delete from calendar_days where extract(year from date) = $1")
        .bind(year)
        .execute(&mut *tx)
        .await?;
    for day in days {
        sqlx::query("insert into calendar_days (date, kind, note) values ($1, $2, $3)")
            .bind(day.date)
            .bind(day.kind.as_str())
            .bind(&day.note)
            .execute(&mut *tx)
            .await?;
    }
    let changed_at: DateTime<Utc> = sqlx::query_scalar(
        "insert into calendar_years (year, source) values ($1, $2)
         on conflict (year) do update set source = excluded.source, updated_at = now()
         returning updated_at",
    )
    .bind(year)
    .bind(source)
    .fetch_one(&mut *tx)
    .await?;
    announce(tx, None, year, days, changed_at).await
}

async fn announce(
    tx: &mut PgConnection,
    region: Option<&RegionCode>,
    year: i32,
    days: &[Day],
    changed_at: DateTime<Utc>,
) -> Result<(), Error> {
    let event = events::CalendarChanged {
        region_code: region.map(|r| r.to_string()).unwrap_or_default(),
        year,
        days: days
            .iter()
            .map(|d| events::CalendarDay {
                date: d.date.to_string(),
                kind: d.kind.as_str().to_owned(),
                note: d.note.clone(),
            })
            .collect(),
        changed_at: Some(tongban_events::timestamp(changed_at)),
    };
    let key = region
        .map(|r| r.to_string())
        .unwrap_or_else(|| "national".to_owned());
    let regions = region.map(|r| vec![r.to_string()]).unwrap_or_default();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions,
        },
        &event,
    )
    .await?;
    Ok(())
}

async fn closures_of_year(
    conn: &mut PgConnection,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<Day>, Error> {
    let rows: Vec<(NaiveDate, String)> = sqlx::query_as(
        "select date, reason from calendar_closures where region_code = $1 and extract(year from date) = $2 order by date",
    )
    .bind(region.as_str())
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(date, note)| Day {
            date,
            kind: DayKind::Closure,
            note,
        })
        .collect())
}

/// Adds (`Some(reason)`) or removes (`None`) a closure of the service centre of `region`, and
/// publishes the year's closures.
pub async fn set_closure(
    pool: &PgPool,
    actor: Actor<'_>,
    region: &RegionCode,
    date: NaiveDate,
    reason: Option<&str>,
) -> Result<(), Error> {
    actor.may_edit(region, None)?;
    let mut tx = pool.begin().await?;
    super::regions::require_known(&mut *tx, region, "region").await?;
    // The database's time stamps the change, in the statement that makes it (none: nothing to
    // change).
    let changed_at: Option<DateTime<Utc>> = match reason {
        Some(reason) => {
            sqlx::query_scalar(
                "insert into calendar_closures (region_code, date, reason) values ($1, $2, $3)
             on conflict (region_code, date) do update set reason = excluded.reason
             returning now()",
            )
            .bind(region.as_str())
            .bind(date)
            .bind(reason)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => sqlx::query_scalar(
            "delete from calendar_closures where region_code = $1 and date = $2 returning now()",
        )
        .bind(region.as_str())
        .bind(date)
        .fetch_optional(&mut *tx)
        .await?,
    };
    let Some(changed_at) = changed_at else {
        return Err(Error::NotFound(format!("closure of {region} on {date}")));
    };
    let days = closures_of_year(&mut tx, region, date.year()).await?;
    announce(&mut tx, Some(region), date.year(), &days, changed_at).await?;
    tx.commit().await?;
    Ok(())
}

/// The calendar of the service centre of `region`: the national calendar with its closures.
pub async fn calendar_of(pool: &PgPool, region: &RegionCode) -> Result<Calendar, Error> {
    let mut conn = pool.acquire().await?;
    let national: Vec<(NaiveDate, String)> = sqlx::query_as("select date, kind from calendar_days")
        .fetch_all(&mut *conn)
        .await?;
    let closures: Vec<NaiveDate> =
        sqlx::query_scalar("select date from calendar_closures where region_code = $1")
            .bind(region.as_str())
            .fetch_all(&mut *conn)
            .await?;
    let years = known_years(&mut *conn).await?;
    let days = national
        .into_iter()
        .filter_map(|(date, kind)| Some((date, DayKind::parse(&kind)?)))
        .chain(closures.into_iter().map(|d| (d, DayKind::Closure)));
    Ok(Calendar::new(days, years))
}

/// The listed days of `year` for the service centre of `region`.
pub async fn year_of(
    pool: &PgPool,
    region: &RegionCode,
    year: i32,
) -> Result<(bool, Vec<Day>), Error> {
    let mut conn = pool.acquire().await?;
    let known = known_years(&mut *conn).await?.contains(&year);
    let national: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "select date, kind, note from calendar_days where extract(year from date) = $1 order by date",
    )
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    let mut days: Vec<Day> = national
        .into_iter()
        .filter_map(|(date, kind, note)| {
            Some(Day {
                date,
                kind: DayKind::parse(&kind)?,
                note,
            })
        })
        .collect();
    days.extend(closures_of_year(&mut conn, region, year).await?);
    days.sort_by_key(|d| d.date);
    Ok((known, days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_calendar_parses_and_knows_2026() {
        let years = parse_csv(SHIPPED).unwrap();
        assert_eq!(
            years.keys().copied().collect::<Vec<_>>(),
            (2020..=2026).collect::<Vec<_>>()
        );
        let national_day = &years[&2026];
        assert!(
            national_day
                .iter()
                .any(|d| d.date.to_string() == "2026-10-10" && d.kind == DayKind::Workday)
        );
        assert!(
            parse_csv("date,kind,festival\n2027-13-01,holiday,x")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
