//! Satisfaction statistics (好差评统计) for supervisors: per region (one level down), hall,
//! department, item, clerk or month, the count of each level, the rating rate (rated cases /
//! concluded cases), the bad-rating rate and the remediation on-time rate.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use tongban_kernel::{Error, Power, Principal, RegionCode};

use super::ratings::{BAD, LEVELS};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatisticsQuery {
    /// The region (and everything below it).
    pub region_code: String,
    /// China dates, both included; default: this month so far.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// region (the regions one level down), hall, department, item, clerk or month; default
    /// region.
    pub by: Option<String>,
}

/// One group's numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Group {
    /// The region code, hall code, department id, implementation code, staff id or YYYY-MM
    /// (empty: not attributed, e.g. public comments by department).
    pub key: String,
    /// Ratings per level (very_satisfied … very_dissatisfied).
    pub levels: BTreeMap<String, i64>,
    pub ratings: i64,
    /// Cases rated (window or online) and cases concluded in the period.
    pub rated_cases: i64,
    pub concluded_cases: i64,
    /// rated_cases / concluded_cases.
    pub rating_rate: Option<f64>,
    /// 不满意 and 非常不满意, and their share of the ratings.
    pub bad: i64,
    pub bad_rate: Option<f64>,
    /// Remediations of the period's bad ratings: closed by their due date, and late (closed
    /// after it, or open past it); on_time_rate = on time / (on time + late).
    pub remediations: i64,
    pub remediated_on_time: i64,
    pub remediated_late: i64,
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Satisfaction {
    pub region_code: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub groups: Vec<Group>,
    /// Every group together.
    pub total: Group,
}

/// The grouping key of `by` over a table's columns: (region, department, item, staff, time).
fn key_expression(
    by: &str,
    region: &RegionCode,
    columns: (&str, &str, &str, &str, &str),
) -> Result<String, Error> {
    let (region_column, department, item, staff, time) = columns;
    Ok(match by {
        "region" => {
            let child = match region.prefix().len() {
                2 => 4,
                4 => 6,
                6 => 9,
                _ => 12,
            };
            format!("rpad(substr({region_column}, 1, {child}), 12, '0')")
        }
        "hall" => region_column.to_owned(),
        "department" => format!("coalesce({department}::text, '')"),
        "item" => format!("coalesce({item}, '')"),
        "clerk" => format!("coalesce({staff}::text, '')"),
        "month" => format!("to_char({time} at time zone 'Asia/Shanghai', 'YYYY-MM')"),
        other => {
            return Err(Error::bad_request(
                "by",
                format!("{other:?} is not region, hall, department, item, clerk or month"),
            ));
        }
    })
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

impl Group {
    fn finish(&mut self) {
        for (_, name, _) in LEVELS {
            self.levels.entry(name.to_owned()).or_insert(0);
        }
        self.rating_rate = ratio(self.rated_cases, self.concluded_cases);
        self.bad_rate = ratio(self.bad, self.ratings);
        self.on_time_rate = ratio(
            self.remediated_on_time,
            self.remediated_on_time + self.remediated_late,
        );
    }

    fn add(&mut self, other: &Group) {
        for (level, count) in &other.levels {
            *self.levels.entry(level.clone()).or_insert(0) += count;
        }
        self.ratings += other.ratings;
        self.rated_cases += other.rated_cases;
        self.concluded_cases += other.concluded_cases;
        self.bad += other.bad;
        self.remediations += other.remediations;
        self.remediated_on_time += other.remediated_on_time;
        self.remediated_late += other.remediated_late;
    }
}

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
    let rated_key = key_expression(
        &by,
        &region,
        (
            "r.region_code",
            "r.department_id",
            "r.implementation_code",
            "r.staff_id",
            "r.rated_at",
        ),
    )?;
    let case_key = key_expression(
        &by,
        &region,
        (
            "c.receiving_region",
            "c.handling_department_id",
            "c.implementation_code",
            "(case when c.kind = 'bundle' then c.decided_by else c.concluded_by end)",
            "c.concluded_at",
        ),
    )?;
    let prefix = region.prefix();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let in_period =
        |column: &str| format!("({column} at time zone 'Asia/Shanghai')::date between $2 and $3");

    let ratings: Vec<(String, i16, i64)> = sqlx::query_as(&format!(
        "select {rated_key} as key, r.level, count(*)
         from ratings r
         where r.region_code like $1 || '%' and {}
         group by 1, 2",
        in_period("r.rated_at")
    ))
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    for (key, level, count) in &ratings {
        let group = groups.entry(key.clone()).or_default();
        let name = LEVELS
            .iter()
            .find(|l| l.0 == *level)
            .map_or("unknown", |l| l.1);
        *group.levels.entry(name.to_owned()).or_insert(0) += count;
        group.ratings += count;
        if *level <= BAD {
            group.bad += count;
        }
    }
    // Distinct rated cases per group (a case may be rated at a visit and online).
    let rated_cases: Vec<(String, i64)> = sqlx::query_as(&format!(
        "select {rated_key} as key, count(distinct r.case_id) from ratings r
         where r.region_code like $1 || '%' and r.case_id is not null and {}
         group by 1",
        in_period("r.rated_at")
    ))
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    for (key, count) in rated_cases {
        groups.entry(key).or_default().rated_cases = count;
    }
    let concluded: Vec<(String, i64)> = sqlx::query_as(&format!(
        "select {case_key} as key, count(*) from cases c
         where c.receiving_region like $1 || '%' and c.kind in ('item', 'bundle')
           and c.concluded_at is not null and {}
         group by 1",
        in_period("c.concluded_at")
    ))
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    for (key, count) in concluded {
        groups.entry(key).or_default().concluded_cases = count;
    }
    let remediated: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "select {rated_key} as key, count(*),
             count(*) filter (where m.closed_at is not null and m.state <> 'withdrawn'
                 and (m.closed_at at time zone 'Asia/Shanghai')::date <= m.due_date),
             count(*) filter (where (m.closed_at is not null and m.state <> 'withdrawn'
                 and (m.closed_at at time zone 'Asia/Shanghai')::date > m.due_date)
                 or (m.closed_at is null and m.due_date < $4))
         from remediations m join ratings r on r.id = m.rating_id
         where r.region_code like $1 || '%' and {}
         group by 1",
        in_period("r.rated_at")
    ))
    .bind(prefix)
    .bind(from)
    .bind(to)
    .bind(today)
    .fetch_all(pool)
    .await?;
    for (key, count, on_time, late) in remediated {
        let group = groups.entry(key).or_default();
        group.remediations = count;
        group.remediated_on_time = on_time;
        group.remediated_late = late;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_roll_up_one_level_down_and_rates_round_to_four_places() {
        let province: RegionCode = "430000000000".parse().unwrap();
        let columns = ("x", "d", "i", "s", "t");
        assert_eq!(
            key_expression("region", &province, columns).unwrap(),
            "rpad(substr(x, 1, 4), 12, '0')"
        );
        let county: RegionCode = "430903000000".parse().unwrap();
        assert_eq!(
            key_expression("region", &county, columns).unwrap(),
            "rpad(substr(x, 1, 9), 12, '0')"
        );
        assert_eq!(key_expression("hall", &county, columns).unwrap(), "x");
        assert_eq!(
            key_expression("week", &county, columns)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(1, 0), None);
    }
}
