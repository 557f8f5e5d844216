//! `/v1/statistics`: what the halls report upward, for supervisors (督查) of the region asked
//! about or one above it. A supervisor bound to departments sees only their cases and ratings.

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{
    Error, ErrorBody, Json, Power, Principal, Query, RegionCode, Result, parse_param,
};

use crate::app::AppState;
use crate::db::feed;
use crate::db::statistics::{self, Basis, Dimension, Metrics, Pair, Question, Row};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_statistics))
        .routes(routes!(get_cross_region))
        .routes(routes!(get_feed))
}

/// The longest period one question may span.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatisticsParams {
    /// 12-digit region code; default: the widest region the caller supervises.
    pub region: Option<String>,
    /// First day of the period (ISO date, China time); default today.
    pub from: Option<String>,
    /// Last day of the period, inclusive; default `from`. At most 366 days in all.
    pub to: Option<String>,
    /// Rows by: region (the regions one level below; default), item, department, channel or
    /// status.
    pub by: Option<String>,
    /// Which region places a case: handling (where it is decided; default) or receiving
    /// (where it was taken in).
    pub basis: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statistics {
    pub region: String,
    /// province, city, county, town or village.
    pub level: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    pub basis: String,
    /// When the newest event counted happened: the statistics are as of then.
    pub as_of: Option<DateTime<Utc>>,
    pub total: Metrics,
    /// Most cases first. By region: the regions one level below (a row keyed with the region
    /// itself counts the cases of that level); names come from the catalogue's region tree.
    pub rows: Vec<Row>,
}

/// The statistics of a region and period, with rows by a dimension.
#[utoipa::path(get, path = "/v1/statistics", tag = "statistics", params(StatisticsParams),
    security(("bearer" = [])),
    responses((status = 200, body = Statistics), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_statistics(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<StatisticsParams>,
) -> Result<Json<Statistics>> {
    let by = match params.by.as_deref().unwrap_or("region") {
        "region" => Dimension::Region,
        "item" => Dimension::Item,
        "department" => Dimension::Department,
        "channel" => Dimension::Channel,
        "status" => Dimension::Status,
        _ => {
            return Err(Error::bad_request(
                "by",
                "region, item, department, channel or status",
            ));
        }
    };
    let basis = match params.basis.as_deref().unwrap_or("handling") {
        "handling" => Basis::Handling,
        "receiving" => Basis::Receiving,
        _ => return Err(Error::bad_request("basis", "handling or receiving")),
    };
    let scope = Scope::of(
        &state,
        &principal,
        params.region.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
    )?;
    let question = scope.question(by, basis);
    let answer = statistics::statistics(&state.pool, &question).await?;
    let feed = feed::current(&state.pool).await?;
    Ok(Json(Statistics {
        region: scope.region.to_string(),
        level: scope.level(),
        from: scope.from,
        to: scope.to,
        by: params.by.unwrap_or_else(|| "region".to_owned()),
        basis: params.basis.unwrap_or_else(|| "handling".to_owned()),
        as_of: feed.as_of,
        total: answer.total,
        rows: answer.rows,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CrossRegionParams {
    /// 12-digit region code; default: the widest region the caller supervises.
    pub region: Option<String>,
    /// First day (ISO date); default today.
    pub from: Option<String>,
    /// Last day, inclusive; default `from`.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrossRegion {
    pub region: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The level the pairs' regions are cut to (one below the region's).
    pub level: String,
    pub rows: Vec<Pair>,
}

/// Cross-region volume and hand-over time (跨域通办) by region pair: transfers sent in the
/// period with either end in the region.
#[utoipa::path(get, path = "/v1/statistics/cross-region", tag = "statistics",
    params(CrossRegionParams), security(("bearer" = [])),
    responses((status = 200, body = CrossRegion), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_cross_region(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<CrossRegionParams>,
) -> Result<Json<CrossRegion>> {
    let scope = Scope::of(
        &state,
        &principal,
        params.region.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
    )?;
    if scope.departments.is_some() {
        return Err(Error::Forbidden(
            "hand-overs are between regions: a supervisor bound to departments does not see them"
                .into(),
        ));
    }
    let question = scope.question(Dimension::Region, Basis::Handling);
    let rows = statistics::cross_region(&state.pool, &question).await?;
    Ok(Json(CrossRegion {
        region: scope.region.to_string(),
        from: scope.from,
        to: scope.to,
        level: level_name(question_child_level(&scope.region)),
        rows,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedState {
    /// Which rebuild the statistics are from (1: never rebuilt).
    pub generation: i32,
    pub rebuilt_at: Option<DateTime<Utc>>,
    /// When the newest event counted happened.
    pub as_of: Option<DateTime<Utc>>,
}

/// How fresh the statistics are, and when they were last rebuilt from the topics.
#[utoipa::path(get, path = "/v1/feed", tag = "statistics", security(("bearer" = [])),
    responses((status = 200, body = FeedState), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn get_feed(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<FeedState>> {
    if principal
        .bindings_for_power(Power::Supervise)
        .next()
        .is_none()
    {
        return Err(Error::Forbidden(
            "only supervisors see the statistics".into(),
        ));
    }
    let feed = feed::current(&state.pool).await?;
    Ok(Json(FeedState {
        generation: feed.generation,
        rebuilt_at: feed.rebuilt_at,
        as_of: feed.as_of,
    }))
}

/// The region, period and departments a question may cover for its caller (the halls'
/// statistics share it: [`super::halls`]).
pub(super) struct Scope {
    pub(super) region: RegionCode,
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    /// Bound to departments only: those departments' cases alone.
    pub(super) departments: Option<Vec<Uuid>>,
}

impl Scope {
    pub(super) fn of(
        state: &AppState,
        principal: &Principal,
        region: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self> {
        let region = match region {
            Some(raw) => parse_param::<RegionCode>("region", raw)?,
            None => principal
                .bindings_for_power(Power::Supervise)
                .map(|b| b.region)
                .min_by_key(|r| r.prefix().len())
                .ok_or_else(|| Error::Forbidden("only supervisors see the statistics".into()))?,
        };
        principal.require(Power::Supervise, &region)?;
        // Bound to departments only: their cases alone.
        let bindings: Vec<_> = principal.bindings_for(Power::Supervise, &region).collect();
        let departments = if bindings.iter().any(|b| b.department.is_none()) {
            None
        } else {
            Some(bindings.iter().filter_map(|b| b.department).collect())
        };
        let from = match from {
            Some(raw) => parse_param::<NaiveDate>("from", raw)?,
            None => state.clock.today(),
        };
        let to = match to {
            Some(raw) => parse_param::<NaiveDate>("to", raw)?,
            None => from,
        };
        if to < from {
            return Err(Error::bad_request("to", "must not be before from"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Error::bad_request(
                "to",
                format!("a period spans at most {MAX_DAYS} days"),
            ));
        }
        Ok(Self {
            region,
            from,
            to,
            departments,
        })
    }

    fn question(&self, by: Dimension, basis: Basis) -> Question {
        Question {
            prefix: self.region.prefix().to_owned(),
            from: self.from,
            to: self.to,
            by,
            basis,
            departments: self.departments.clone(),
        }
    }

    pub(super) fn level(&self) -> String {
        level_name(self.region.level())
    }
}

fn level_name(level: tongban_kernel::region::RegionLevel) -> String {
    format!("{level:?}").to_lowercase()
}

/// The level one below `region`'s (a village stays a village).
fn question_child_level(region: &RegionCode) -> tongban_kernel::region::RegionLevel {
    use tongban_kernel::region::RegionLevel::*;
    match region.level() {
        Province => City,
        City => County,
        County => Town,
        Town | Village => Village,
    }
}
