//! `/v1/statistics/halls`: the halls' queues and bookings (大厅: 取号、叫号、预约) by centre,
//! window group, window or day, for supervisors of the region asked about or one above it,
//! scoped as `/v1/statistics` is ([`super::statistics`]'s `Scope`).

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Query, Result};

use super::statistics::Scope;
use crate::app::AppState;
use crate::db::feed;
use crate::db::hall_statistics::{self, By, HallMetrics, HallRow, Question};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_hall_statistics))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HallParams {
    /// 12-digit region code; default: the widest region the caller supervises.
    pub region: Option<String>,
    /// First day of the period (ISO date, China time); default today.
    pub from: Option<String>,
    /// Last day of the period, inclusive; default `from`. At most 366 days in all.
    pub to: Option<String>,
    /// Rows by: centre (the service centres in the region; default), group (window groups),
    /// window or day.
    pub by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HallStatistics {
    pub region: String,
    /// province, city, county, town or village.
    pub level: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: String,
    /// When the newest event counted happened: the statistics are as of then.
    pub as_of: Option<DateTime<Utc>>,
    pub total: HallMetrics,
    /// By day in the calendar's order; otherwise most tickets first. Centres are named by the
    /// catalogue's region tree, groups by the hall's set-up (`/api/hall/v1/centres/{region}`).
    pub rows: Vec<HallRow>,
}

/// The halls' queue tickets (issued, served, absent, cancelled; wait, walk and service times,
/// average and p90, in ms) and bookings (booked, checked in, cancelled, missed; the no-show and
/// cancellation rates; suspensions) of a region and period. Tickets count on the day they were
/// issued for, bookings on their slot's day.
#[utoipa::path(get, path = "/v1/statistics/halls", tag = "statistics", params(HallParams),
    security(("bearer" = [])),
    responses((status = 200, body = HallStatistics), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_hall_statistics(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<HallParams>,
) -> Result<Json<HallStatistics>> {
    let by = match params.by.as_deref() {
        None => By::Centre,
        Some(raw) => By::parse(raw)
            .ok_or_else(|| Error::bad_request("by", "centre, group, window or day"))?,
    };
    let scope = Scope::of(
        &state,
        &principal,
        params.region.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
    )?;
    if scope.departments.is_some() {
        return Err(Error::Forbidden(
            "a hall's queues are the whole centre's: a supervisor bound to departments does \
             not see them"
                .into(),
        ));
    }
    let question = Question {
        prefix: scope.region.prefix().to_owned(),
        from: scope.from,
        to: scope.to,
        by,
    };
    let answer = hall_statistics::statistics(&state.pool, &question).await?;
    let feed = feed::current(&state.pool).await?;
    Ok(Json(HallStatistics {
        region: scope.region.to_string(),
        level: scope.level(),
        from: scope.from,
        to: scope.to,
        by: by.as_str().to_owned(),
        as_of: feed.as_of,
        total: answer.total,
        rows: answer.rows,
    }))
}
