//! The statistics the halls report upward, for a region (and everything below it by code) and a
//! period of China local dates, rolled up by a dimension.
//!
//! What counts where:
//! - 办件量 (`cases`): items and bundle parts (the units a department decides, each with its
//!   own number and time limit) first submitted in the period; `statuses` is where they stand
//!   now. `applications` counts what applicants filed: items and 一件事 bundles.
//! - `accepted`: items and parts accepted (in their latest round) in the period.
//! - 按期办结率: of the cases concluded in the period, the share concluded by their due date;
//!   average and p90 handling time in working days, pauses left out (as approval counts them).
//! - `open_overdue`: cases past their due date with no decision, now (whatever the period).
//! - 跑动次数: visits to a hall per application filed in the period.
//! - 跨域办件: cases of the period received in one region and handled in another
//!   (`collect_elsewhere`, `joint`).
//! - Ratings given (newest revision) in the period, by level; 好评率 is the share that is not a
//!   bad rating (不满意, 非常不满意 are bad; DOMAIN.md "Ratings").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{PgPool, Row as _};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a case stands now: acceptance's last word, unless approval concluded it since or the
/// handling region sent it back (neither publishes through acceptance).
pub const STATUS: &str =
    "case when c.status = 'accepted' and c.concluded_at is not null then 'concluded'
     when c.status = 'accepted' and c.returned_round >= c.accepted_round then 'returned'
     else c.status end";

/// Every status a case can be in, in the order of its life.
pub const STATUSES: [&str; 8] = [
    "submitted",
    "needs_correction",
    "accepted",
    "returned",
    "refused",
    "withdrawn",
    "concluded",
    "delivered",
];

/// What the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The regions one level below (keys: 12-digit codes).
    Region,
    /// Implementation items (keys: 31-character codes).
    Item,
    /// Deciding departments (keys: UUIDs).
    Department,
    /// online, window (and for ratings: public).
    Channel,
    /// Where cases stand now.
    Status,
}

/// Which of a case's regions places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Where it is decided (the department's region).
    Handling,
    /// Where it was taken in (the window's region).
    Receiving,
}

/// What to count.
#[derive(Debug, Clone)]
pub struct Question {
    /// The region's significant digits (2 province, 4 city, 6 county, 9 town, 12 village).
    pub prefix: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Dimension,
    pub basis: Basis,
    /// Only these departments (a supervisor bound to departments sees only theirs).
    pub departments: Option<Vec<Uuid>>,
}

impl Question {
    /// Digits that name a row's region: one level below the question's.
    fn child_digits(&self) -> usize {
        match self.prefix.len() {
            2 => 4,
            4 => 6,
            6 => 9,
            _ => 12,
        }
    }

    fn region_column(&self) -> &'static str {
        match self.basis {
            Basis::Handling => "c.handling_region",
            Basis::Receiving => "c.receiving_region",
        }
    }

    /// A case row's key under the dimension.
    fn case_key(&self) -> String {
        match self.by {
            Dimension::Region => format!(
                "rpad(left({}, {}), 12, '0')",
                self.region_column(),
                self.child_digits()
            ),
            Dimension::Item => "c.implementation_code".to_owned(),
            Dimension::Department => "i.department_id::text".to_owned(),
            Dimension::Channel => "c.channel".to_owned(),
            Dimension::Status => STATUS.to_owned(),
        }
    }

    /// A rating's key under the dimension (none by status: a rating has none).
    fn rating_key(&self) -> Option<String> {
        match self.by {
            Dimension::Region => Some(format!(
                "rpad(left(r.region_code, {}), 12, '0')",
                self.child_digits()
            )),
            Dimension::Item => Some("r.implementation_code".to_owned()),
            Dimension::Department => Some("r.department_id::text".to_owned()),
            Dimension::Channel => Some("r.channel".to_owned()),
            Dimension::Status => None,
        }
    }
}

/// The distribution of ratings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Ratings {
    pub total: i64,
    /// Counts by level: `levels[0]` is level 1 (非常不满意) … `levels[4]` level 5 (非常满意).
    pub levels: [i64; 5],
    /// 好评率: the share of ratings that are not bad (levels 3 to 5); none without ratings.
    pub good_rate: Option<f64>,
}

/// The statistics of one row (or of the whole region).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Metrics {
    /// 办件量: items and parts first submitted in the period.
    pub cases: i64,
    /// Items and 一件事 bundles filed in the period.
    pub applications: i64,
    /// Where the period's cases stand now, by status.
    pub statuses: BTreeMap<String, i64>,
    /// Accepted in the period.
    pub accepted: i64,
    /// Concluded (办结) in the period.
    pub concluded: i64,
    pub on_time: i64,
    pub late: i64,
    /// 按期办结率 (0 to 1); none when nothing concluded.
    pub on_time_rate: Option<f64>,
    /// Open and past their due date, now.
    pub open_overdue: i64,
    /// Handling time of the period's conclusions, in working days.
    pub avg_working_days: Option<f64>,
    pub p90_working_days: Option<i32>,
    /// Visits to a hall by the period's applications, and per application.
    pub visits: i64,
    pub visits_per_case: Option<f64>,
    /// 跨域办件 among the period's cases.
    pub cross_region: i64,
    pub ratings: Ratings,
}

/// One row: a key of the dimension, its name where one is known, its statistics.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Row {
    pub key: String,
    pub name: Option<String>,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// The answer: the whole region's statistics and the rows, most cases first.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub total: Metrics,
    pub rows: Vec<Row>,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Counts `question`.
pub async fn statistics(pool: &PgPool, question: &Question) -> sqlx::Result<Answer> {
    let mut rows: BTreeMap<Option<String>, Metrics> = BTreeMap::new();
    for (key, metrics) in case_metrics(pool, question).await? {
        rows.insert(key, metrics);
    }
    for (key, ratings) in rating_metrics(pool, question).await? {
        rows.entry(key).or_default().ratings = ratings;
    }
    let total = rows.remove(&None).unwrap_or_default();
    let names = names(pool, question.by, rows.keys().flatten().cloned().collect()).await?;
    let mut rows: Vec<Row> = rows
        .into_iter()
        .filter_map(|(key, metrics)| key.map(|key| (key, metrics)))
        .map(|(key, metrics)| Row {
            name: names.get(&key).cloned(),
            key,
            metrics,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.metrics
            .cases
            .cmp(&a.metrics.cases)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(Answer { total, rows })
}

/// The case statistics per key, and for the whole region under `None` (grouping sets).
async fn case_metrics(
    pool: &PgPool,
    question: &Question,
) -> sqlx::Result<Vec<(Option<String>, Metrics)>> {
    let found = sqlx::query(&case_metrics_sql(question))
        .bind(&question.prefix)
        .bind(question.from)
        .bind(question.to)
        .bind(question.departments.as_deref().unwrap_or_default())
        .fetch_all(pool)
        .await?;
    found.iter().map(case_metrics_of).collect()
}

/// The query of [`case_metrics`]: one row per key and one for the whole region (`whole`),
/// bound to ($1 region prefix, $2 from, $3 to, $4 departments).
fn case_metrics_sql(question: &Question) -> String {
    let statuses: String = STATUSES
        .iter()
        .map(|s| format!(", count(*) filter (where c.kind <> 'bundle' and {PERIOD} and c.st = '{s}') as \"status_{s}\""))
        .collect();
    let departments = if question.departments.is_some() {
        "and i.department_id = any($4)"
    } else {
        ""
    };
    format!(
        "select grouping(c.key) = 1 as whole, c.key,
             count(*) filter (where c.kind <> 'bundle' and {PERIOD}) as cases,
             count(*) filter (where c.kind <> 'part' and {PERIOD}) as applications,
             coalesce(sum(c.visits) filter (where c.kind <> 'part' and {PERIOD}), 0)::int8 as visits,
             count(*) filter (where c.kind <> 'bundle' and c.accepted_on between $2 and $3) as accepted,
             count(*) filter (where {CONCLUDED}) as concluded,
             count(*) filter (where {CONCLUDED} and c.on_time) as on_time,
             avg(c.working_days_used) filter (where {CONCLUDED})::float8 as avg_days,
             percentile_disc(0.9) within group (order by c.working_days_used)
                 filter (where {CONCLUDED}) as p90_days,
             count(*) filter (where c.overdue and c.concluded_at is null and c.st = 'accepted') as open_overdue,
             count(*) filter (where c.kind <> 'bundle' and {PERIOD}
                 and c.mode in ('collect_elsewhere', 'joint')) as cross_region
             {statuses}
         from (select c.*, {key} as key, {STATUS} as st
               from cases c left join items i on i.implementation_code = c.implementation_code
               where starts_with({region}, $1)
                 and (c.submitted_on between $2 and $3 or c.accepted_on between $2 and $3
                      or c.concluded_on between $2 and $3 or (c.overdue and c.concluded_at is null))
                 {departments}) c
         group by grouping sets ((c.key), ())",
        key = question.case_key(),
        region = question.region_column(),
    )
}

/// One row of [`case_metrics_sql`]: its key (`None` for the whole region) and metrics.
fn case_metrics_of(row: &sqlx::postgres::PgRow) -> sqlx::Result<(Option<String>, Metrics)> {
    let whole: bool = row.try_get("whole")?;
    let key: Option<String> = if whole {
        None
    } else {
        // A case without the key (an item the catalogue has not named) is listed as such.
        Some(
            row.try_get::<Option<String>, _>("key")?
                .unwrap_or_else(|| "unknown".to_owned()),
        )
    };
    let cases: i64 = row.try_get("cases")?;
    let applications: i64 = row.try_get("applications")?;
    let visits: i64 = row.try_get("visits")?;
    let concluded: i64 = row.try_get("concluded")?;
    let on_time: i64 = row.try_get("on_time")?;
    let mut statuses = BTreeMap::new();
    for status in STATUSES {
        statuses.insert(
            status.to_owned(),
            row.try_get::<i64, _>(format!("status_{status}").as_str())?,
        );
    }
    Ok((
        key,
        Metrics {
            cases,
            applications,
            statuses,
            accepted: row.try_get("accepted")?,
            concluded,
            on_time,
            late: concluded - on_time,
            on_time_rate: ratio(on_time, concluded),
            open_overdue: row.try_get("open_overdue")?,
            avg_working_days: row.try_get("avg_days")?,
            p90_working_days: row.try_get("p90_days")?,
            visits,
            visits_per_case: ratio(visits, applications),
            cross_region: row.try_get("cross_region")?,
            ratings: Ratings::default(),
        },
    ))
}

/// A case of the period (first submitted in it).
const PERIOD: &str = "c.submitted_on between $2 and $3";
/// A case concluded in the period.
const CONCLUDED: &str = "c.kind <> 'bundle' and c.concluded_on between $2 and $3";

/// The ratings per key, and for the whole region under `None`.
async fn rating_metrics(
    pool: &PgPool,
    question: &Question,
) -> sqlx::Result<Vec<(Option<String>, Ratings)>> {
    let key = question
        .rating_key()
        .unwrap_or_else(|| "null::text".to_owned());
    let departments = if question.departments.is_some() {
        "and r.department_id = any($4)"
    } else {
        ""
    };
    let sql = format!(
        "select grouping(r.key) = 1 as whole, r.key, count(*) as total,
             count(*) filter (where r.level = 1) as l1, count(*) filter (where r.level = 2) as l2,
             count(*) filter (where r.level = 3) as l3, count(*) filter (where r.level = 4) as l4,
             count(*) filter (where r.level = 5) as l5
         from (select r.*, {key} as key from ratings r
               where r.rated_on between $2 and $3 and starts_with(r.region_code, $1)
                 {departments}) r
         group by grouping sets ((r.key), ())"
    );
    let found = sqlx::query(&sql)
        .bind(&question.prefix)
        .bind(question.from)
        .bind(question.to)
        .bind(question.departments.as_deref().unwrap_or_default())
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    for row in found {
        let whole: bool = row.try_get("whole")?;
        let key: Option<String> = row.try_get("key")?;
        if !whole && question.by == Dimension::Status {
            continue;
        }
        let key = if whole {
            None
        } else {
            Some(key.unwrap_or_else(|| "unknown".to_owned()))
        };
        let total: i64 = row.try_get("total")?;
        let levels = [
            row.try_get("l1")?,
            row.try_get("l2")?,
            row.try_get("l3")?,
            row.try_get("l4")?,
            row.try_get("l5")?,
        ];
        out.push((
            key,
            Ratings {
                total,
                levels,
                good_rate: ratio(levels[2] + levels[3] + levels[4], total),
            },
        ));
    }
    Ok(out)
}

/// Names of item and department keys (regions are named by the catalogue's tree).
async fn names(
    pool: &PgPool,
    by: Dimension,
    keys: Vec<String>,
) -> sqlx::Result<BTreeMap<String, String>> {
    let sql = match by {
        Dimension::Item => {
            "select implementation_code, name from items where implementation_code = any($1)"
        }
        Dimension::Department => "select id::text, name from departments where id::text = any($1)",
        _ => return Ok(BTreeMap::new()),
    };
    let found: Vec<(String, String)> = sqlx::query_as(sql).bind(keys).fetch_all(pool).await?;
    Ok(found.into_iter().collect())
}

/// One region pair's hand-overs.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Pair {
    /// The regions, cut to the level below the question's region (12-digit codes).
    pub receiving: String,
    pub handling: String,
    /// Transfers sent in the period.
    pub transfers: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Results delivered to the applicant.
    pub completed: i64,
    /// From sending to the handling region's answer (hours).
    pub avg_handover_hours: Option<f64>,
    pub p90_handover_hours: Option<f64>,
    /// Of the answered transfers, the share answered by the deadline.
    pub on_time_rate: Option<f64>,
}

/// Cross-region volume and hand-over time by region pair: transfers sent in the period with
/// either end in the region.
pub async fn cross_region(pool: &PgPool, question: &Question) -> sqlx::Result<Vec<Pair>> {
    let digits = question.child_digits() as i32;
    let found = sqlx::query(
        "select rpad(left(t.receiving_region, $4), 12, '0') as receiving,
                rpad(left(t.handling_region, $4), 12, '0') as handling,
                count(*) as transfers,
                count(*) filter (where t.response = 'accepted') as accepted,
                count(*) filter (where t.response = 'rejected') as rejected,
                count(*) filter (where t.completed_at is not null) as completed,
                count(*) filter (where t.response is not null) as answered,
                count(*) filter (where t.response_on_time) as answered_on_time,
                avg(extract(epoch from t.responded_at - t.sent_at) / 3600.0)::float8 as avg_hours,
                (percentile_cont(0.9) within group
                    (order by extract(epoch from t.responded_at - t.sent_at) / 3600.0))::float8 as p90_hours
         from transfers t
         where t.sent_on between $2 and $3
           and (starts_with(t.receiving_region, $1) or starts_with(t.handling_region, $1))
         group by 1, 2
         order by transfers desc, receiving, handling",
    )
    .bind(&question.prefix)
    .bind(question.from)
    .bind(question.to)
    .bind(digits)
    .fetch_all(pool)
    .await?;
    found
        .into_iter()
        .map(|row| {
            let answered: i64 = row.try_get("answered")?;
            Ok(Pair {
                receiving: row.try_get("receiving")?,
                handling: row.try_get("handling")?,
                transfers: row.try_get("transfers")?,
                accepted: row.try_get("accepted")?,
                rejected: row.try_get("rejected")?,
                completed: row.try_get("completed")?,
                avg_handover_hours: row.try_get("avg_hours")?,
                p90_handover_hours: row.try_get("p90_hours")?,
                on_time_rate: ratio(row.try_get("answered_on_time")?, answered),
            })
        })
        .collect()
}
