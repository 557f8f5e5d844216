//! On-time and overdue counts (按期办结率) per department of a region, for supervisors.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal, RegionCode};

/// One department's counts.
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct Counts {
    pub department_id: Option<Uuid>,
    pub department_credit_code: Option<String>,
    pub handling_region: Option<String>,
    /// Open now, and of those past their due date.
    pub open: i64,
    pub open_overdue: i64,
    pub paused: i64,
    /// Concluded, on time and late.
    pub concluded: i64,
    pub concluded_on_time: i64,
    pub concluded_overdue: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    pub region_code: String,
    /// Counted on this date (overdue means due before it).
    pub as_of: NaiveDate,
    pub total: Counts,
    pub departments: Vec<Counts>,
}

/// The counts of the work items handled in `region` (and below), by department. For
/// supervisors and handlers in scope; department-bound roles see their departments only.
pub async fn of_region(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    today: NaiveDate,
) -> Result<Statistics, Error> {
    let bindings: Vec<_> = principal
        .bindings_for(Power::Supervise, region)
        .chain(principal.bindings_for(Power::HandleCases, region))
        .collect();
    if bindings.is_empty() {
        return Err(Error::Forbidden(format!(
            "no role supervises or handles cases in region {region}"
        )));
    }
    let departments: Option<Vec<Uuid>> = (!bindings.iter().any(|b| b.department.is_none()))
        .then(|| bindings.iter().filter_map(|b| b.department).collect());
    let rows: Vec<Counts> = sqlx::query_as(&format!(
        "select department_id, department_credit_code, min(handling_region) as handling_region,
             count(*) filter (where state in ('in_progress', 'paused')) as open,
             count(*) filter (where state in ('in_progress', 'paused') and due_date < $2) as open_overdue,
             count(*) filter (where state = 'paused') as paused,
             count(*) filter (where concluded_at is not null) as concluded,
             count(*) filter (where concluded_at is not null and on_time) as concluded_on_time,
             count(*) filter (where concluded_at is not null and not on_time) as concluded_overdue
         from work_items
         where {} = $1 and state <> 'awaiting_item'
           and ($3::uuid[] is null or department_id = any($3))
         group by department_id, department_credit_code
         order by department_credit_code",
        super::queue::region_column(region)
    ))
    .bind(region.prefix())
    .bind(today)
    .bind(departments)
    .fetch_all(pool)
    .await?;
    let mut total = Counts::default();
    for row in &rows {
        total.open += row.open;
        total.open_overdue += row.open_overdue;
        total.paused += row.paused;
        total.concluded += row.concluded;
        total.concluded_on_time += row.concluded_on_time;
        total.concluded_overdue += row.concluded_overdue;
    }
    Ok(Statistics {
        region_code: region.to_string(),
        as_of: today,
        total,
        departments: rows,
    })
}
