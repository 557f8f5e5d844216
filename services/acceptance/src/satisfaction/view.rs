//! What the API takes and shows of the satisfaction statistics.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
