//! On-time and overdue counts (按期办结率) of a region, per department and per handling region,
//! for supervisors.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal, RegionCode};

use crate::work_item::state::WorkItemState;

/// The counts of one department, one region, or all of them.
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
    /// 按期办结率: concluded on time out of concluded; none before anything concluded.
    #[sqlx(skip)]
    pub on_time_rate: Option<f64>,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.open += other.open;
        self.open_overdue += other.open_overdue;
        self.paused += other.paused;
        self.concluded += other.concluded;
        self.concluded_on_time += other.concluded_on_time;
        self.concluded_overdue += other.concluded_overdue;
    }

    fn rated(mut self) -> Self {
        self.on_time_rate =
            (self.concluded > 0).then(|| self.concluded_on_time as f64 / self.concluded as f64);
        self
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    pub region_code: String,
    /// Counted on this date (overdue means due before it).
    pub as_of: NaiveDate,
    pub total: Counts,
    pub departments: Vec<Counts>,
    /// The same by handling region (the departments of each region added up).
    pub regions: Vec<Counts>,
}

/// The counts of the work items handled in `region` (and below), by department. For
/// supervisors and handlers in scope; department-bound roles see their departments only.
pub async fn of_region(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    today: NaiveDate,
) -> Result<Statistics, Error> {
    let departments = crate::scope::departments_seen(principal, region)?;
    let rows: Vec<Counts> = sqlx::query_as(&format!(
        "select department_id, department_credit_code, min(handling_region) as handling_region,
             count(*) filter (where state = any($4)) as open,
             count(*) filter (where state = any($4) and due_date < $2) as open_overdue,
             count(*) filter (where state = $5) as paused,
             count(*) filter (where concluded_at is not null) as concluded,
             count(*) filter (where concluded_at is not null and on_time) as concluded_on_time,
             count(*) filter (where concluded_at is not null and not on_time) as concluded_overdue
         from work_items
         where {} = $1 and state <> all($6)
           and ($3::uuid[] is null or department_id = any($3))
         group by department_id, department_credit_code
         order by department_credit_code",
        crate::scope::region_column(region)
    ))
    .bind(region.prefix())
    .bind(today)
    .bind(departments)
    .bind(&WorkItemState::OPEN[..])
    .bind(WorkItemState::Paused)
    // Not worked here (yet, or any more), and never decided: no count of any kind.
    .bind(
        &[
            WorkItemState::AwaitingItem,
            WorkItemState::Returned,
            WorkItemState::Withdrawn,
            WorkItemState::RefusedAtWindow,
        ][..],
    )
    .fetch_all(pool)
    .await?;
    let mut total = Counts::default();
    let mut regions: std::collections::BTreeMap<String, Counts> = Default::default();
    for row in &rows {
        total.add(row);
        let region = row.handling_region.clone().unwrap_or_default();
        regions
            .entry(region.clone())
            .or_insert_with(|| Counts {
                handling_region: Some(region),
                ..Counts::default()
            })
            .add(row);
    }
    Ok(Statistics {
        region_code: region.to_string(),
        as_of: today,
        total: total.rated(),
        departments: rows.into_iter().map(Counts::rated).collect(),
        regions: regions.into_values().map(Counts::rated).collect(),
    })
}
