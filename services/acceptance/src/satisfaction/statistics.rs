//! The satisfaction numbers for a supervisor over a region, grouped as asked.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use tongban_kernel::{Error, Power, Principal, RegionCode};

use super::rules::key_expression;
use super::store::{self, Period};
use super::view::{Group, Satisfaction, StatisticsQuery};

/// The grouping keys of ratings and of cases.
const RATED_COLUMNS: (&str, &str, &str, &str, &str) = (
    "r.region_code",
    "r.department_id",
    "r.implementation_code",
    "r.staff_id",
    "r.rated_at",
);
const CASE_COLUMNS: (&str, &str, &str, &str, &str) = (
    "c.receiving_region",
    "c.handling_department_id",
    "c.implementation_code",
    "(case when c.kind = 'bundle' then c.decided_by else c.concluded_by end)",
    "c.concluded_at",
);

/// The numbers for a supervisor over the region.
pub async fn statistics(
    pool: &PgPool,
    principal: &Principal,
    query: &StatisticsQuery,
    today: NaiveDate,
) -> Result<Satisfaction, Error> {
    let region: RegionCode = tongban_kernel::parse_param("region_code", &query.region_code)?;
    principal.require(Power::Supervise, &region)?;
    let by = query.by.clone().unwrap_or_else(|| "region".to_owned());
    let to = query.to.unwrap_or(today);
    let from = query.from.or_else(|| to.with_day(1)).unwrap_or(to);
    if from > to {
        return Err(Error::bad_request("from", "after to"));
    }
    if (to - from).num_days() > 3_660 {
        return Err(Error::bad_request("from", "a period of at most ten years"));
    }
    let rated_key = key_expression(&by, &region, RATED_COLUMNS)?;
    let case_key = key_expression(&by, &region, CASE_COLUMNS)?;
    let period = Period {
        prefix: region.prefix(),
        from,
        to,
    };
    let groups = count(pool, &rated_key, &case_key, &period, today).await?;
    let mut total = Group::default();
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, mut group)| {
            group.key = key;
            total.add(&group);
            group.finish();
            group
        })
        .collect();
    total.finish();
    Ok(Satisfaction {
        region_code: region.to_string(),
        from,
        to,
        by,
        groups,
        total,
    })
}

/// Every count, by group key.
async fn count(
    pool: &PgPool,
    rated_key: &str,
    case_key: &str,
    period: &Period<'_>,
    today: NaiveDate,
) -> Result<BTreeMap<String, Group>, Error> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (key, level, count) in store::levels(pool, rated_key, period).await? {
        groups.entry(key).or_default().count_level(level, count);
    }
    for (key, count) in store::rated_cases(pool, rated_key, period).await? {
        groups.entry(key).or_default().rated_cases = count;
    }
    for (key, count) in store::concluded(pool, case_key, period).await? {
        groups.entry(key).or_default().concluded_cases = count;
    }
    for (key, count, on_time, late) in store::remediated(pool, rated_key, period, today).await? {
        let group = groups.entry(key).or_default();
        group.remediations = count;
        group.remediated_on_time = on_time;
        group.remediated_late = late;
    }
    Ok(groups)
}
