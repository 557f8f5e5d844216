//! The counts behind the statistics, each grouped by a key expression over its table, for a
//! region's prefix and a period of China dates (both included).

use chrono::NaiveDate;
use sqlx::PgPool;

use tongban_kernel::Error;

use crate::remediation::state::State;

/// Which rows count: a region's prefix and a period.
pub struct Period<'a> {
    pub prefix: &'a str,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn in_period(column: &str) -> String {
    format!("({column} at time zone 'Asia/Shanghai')::date between $2 and $3")
}

/// Ratings per (key, level).
pub async fn levels(
    pool: &PgPool,
    key: &str,
    period: &Period<'_>,
) -> Result<Vec<(String, i16, i64)>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {key} as key, r.level, count(*)
         from ratings r
         where r.region_code like $1 || '%' and {}
         group by 1, 2",
        in_period("r.rated_at")
    ))
    .bind(period.prefix)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(pool)
    .await?)
}

/// Distinct rated cases per key (a case may be rated at a visit and online).
pub async fn rated_cases(
    pool: &PgPool,
    key: &str,
    period: &Period<'_>,
) -> Result<Vec<(String, i64)>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {key} as key, count(distinct r.case_id) from ratings r
         where r.region_code like $1 || '%' and r.case_id is not null and {}
         group by 1",
        in_period("r.rated_at")
    ))
    .bind(period.prefix)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(pool)
    .await?)
}

/// Cases (items and 一件事 applications, not their parts) concluded per key.
pub async fn concluded(
    pool: &PgPool,
    key: &str,
    period: &Period<'_>,
) -> Result<Vec<(String, i64)>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {key} as key, count(*) from cases c
         where c.receiving_region like $1 || '%' and c.kind in ('item', 'bundle')
           and c.concluded_at is not null and {}
         group by 1",
        in_period("c.concluded_at")
    ))
    .bind(period.prefix)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(pool)
    .await?)
}

/// Remediations of the period's ratings per key: all, closed on time, and late (closed after
/// the due date or open past it on `today`); withdrawn ones are neither.
pub async fn remediated(
    pool: &PgPool,
    key: &str,
    period: &Period<'_>,
    today: NaiveDate,
) -> Result<Vec<(String, i64, i64, i64)>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {key} as key, count(*),
             count(*) filter (where m.closed_at is not null and m.state <> $5
                 and (m.closed_at at time zone 'Asia/Shanghai')::date <= m.due_date),
             count(*) filter (where (m.closed_at is not null and m.state <> $5
                 and (m.closed_at at time zone 'Asia/Shanghai')::date > m.due_date)
                 or (m.closed_at is null and m.due_date < $4))
         from remediations m join ratings r on r.id = m.rating_id
         where r.region_code like $1 || '%' and {}
         group by 1",
        in_period("r.rated_at")
    ))
    .bind(period.prefix)
    .bind(period.from)
    .bind(period.to)
    .bind(today)
    .bind(State::Withdrawn)
    .fetch_all(pool)
    .await?)
}
