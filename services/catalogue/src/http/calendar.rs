//! `/v1/calendar`: working days of a service centre (the national calendar plus its closures):
//! due dates, working-day counts, the year's listed days; setting a national year and closures.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::calendar::{Pause, Reckoning};
use tongban_kernel::{
    Error, ErrorBody, Json, Path, Query, RegionCode, Result, TimeLimit, TimeUnit,
};

use super::input::{known_region, parse};
use crate::AppState;
use crate::actor::Actor;
use crate::db::calendar::{self as db, Day};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(year))
        .routes(routes!(due))
        .routes(routes!(count))
        .routes(routes!(set_closure, remove_closure))
        .routes(routes!(replace_national_year))
}

/// `from..to` pairs separated by commas, e.g. `2026-10-12..2026-10-14,2026-11-02..2026-11-02`.
fn pauses(raw: Option<&str>) -> Result<Vec<Pause>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let mut pauses = Vec::new();
    for part in raw.split(',') {
        let (from, to) = part.split_once("..").ok_or_else(|| {
            Error::bad_request("pauses", "each pause is FROM..TO (dates, both included)")
        })?;
        let from: NaiveDate = parse("pauses", from)?;
        let to: NaiveDate = parse("pauses", to)?;
        if to < from {
            return Err(Error::bad_request(
                "pauses",
                format!("{part}: the end is before the start"),
            ));
        }
        pauses.push(Pause { from, to });
    }
    if pauses.len() > 50 {
        return Err(Error::bad_request("pauses", "at most 50 pauses"));
    }
    Ok(pauses)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DueQuery {
    /// The day the clock starts (not counted), e.g. the acceptance date.
    pub from: NaiveDate,
    /// How many days.
    pub days: u32,
    /// working_days (default) or calendar_days.
    pub unit: Option<TimeUnit>,
    /// Stretches when the clock stood still, `FROM..TO` separated by commas.
    pub pauses: Option<String>,
}

/// The day a time limit runs out at this service centre: `days` working days after `from`,
/// holidays, closures and pauses skipped. `provisional` when it crosses a year whose holidays
/// are not loaded yet.
#[utoipa::path(get, path = "/regions/{region}/due", tag = "calendar", params(("region" = String, Path), DueQuery), responses(
    (status = 200, body = Reckoning), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn due(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<DueQuery>,
) -> Result<Json<Reckoning>> {
    let region = known_region(&state, "region", &raw).await?;
    let pauses = pauses(query.pauses.as_deref())?;
    let limit = TimeLimit {
        value: query.days,
        unit: query.unit.unwrap_or(TimeUnit::WorkingDays),
    };
    let calendar = db::calendar_of(&state.pool, &region).await?;
    calendar
        .due(query.from, limit, &pauses)
        .map(Json)
        .ok_or_else(|| {
            Error::bad_request(
                "days",
                format!("at most {} days", tongban_kernel::calendar::MAX_DAYS),
            )
        })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CountQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Stretches not counted, `FROM..TO` separated by commas.
    pub pauses: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    /// Working days after `from` up to and including `to` (negative when `to` is earlier).
    pub working_days: i64,
    pub provisional: bool,
}

/// Working days between two dates at this service centre.
#[utoipa::path(get, path = "/regions/{region}/working-days", tag = "calendar", params(("region" = String, Path), CountQuery), responses(
    (status = 200, body = Count), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn count(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<CountQuery>,
) -> Result<Json<Count>> {
    use chrono::Datelike;
    let region = known_region(&state, "region", &raw).await?;
    let pauses = pauses(query.pauses.as_deref())?;
    let calendar = db::calendar_of(&state.pool, &region).await?;
    let working_days = calendar
        .working_days_between(query.from, query.to, &pauses)
        .ok_or_else(|| Error::bad_request("to", "the span is longer than ten years"))?;
    let (low, high) = (
        query.from.min(query.to).year(),
        query.from.max(query.to).year(),
    );
    let provisional = (low..=high).any(|y| !calendar.knows(y));
    Ok(Json(Count {
        working_days,
        provisional,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct YearQuery {
    pub year: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Year {
    pub region_code: RegionCode,
    pub year: i32,
    /// Whether the national holidays of the year are loaded.
    pub known: bool,
    /// Holidays, adjusted working weekends and the centre's closures.
    pub days: Vec<Day>,
}

/// The listed days of a year at this service centre.
#[utoipa::path(get, path = "/regions/{region}", tag = "calendar", params(("region" = String, Path), YearQuery), responses(
    (status = 200, body = Year), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn year(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<Json<Year>> {
    let region = known_region(&state, "region", &raw).await?;
    let (known, days) = db::year_of(&state.pool, &region, query.year).await?;
    Ok(Json(Year {
        region_code: region,
        year: query.year,
        known,
        days,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// Why the centre is closed (1-200 characters).
    pub reason: String,
}

/// Closes the service centre of a region on a date (a local day off). Needs `catalogue_admin`
/// over the region. Publishes `CalendarChanged` with the year's closures.
#[utoipa::path(put, path = "/regions/{region}/closures/{date}", tag = "calendar", request_body = Closure, security(("bearer" = [])),
    params(("region" = String, Path), ("date" = NaiveDate, Path)), responses(
    (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn set_closure(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((raw, date)): Path<(String, String)>,
    Json(input): Json<Closure>,
) -> Result<StatusCode> {
    let region: RegionCode = parse("region", &raw)?;
    let date: NaiveDate = parse("date", &date)?;
    crate::domain::item::text("reason", &input.reason, 200)?;
    db::set_closure(
        &state.pool,
        Actor::Staff(&principal),
        &region,
        date,
        Some(input.reason.trim()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reopens the service centre on a date.
#[utoipa::path(delete, path = "/regions/{region}/closures/{date}", tag = "calendar", security(("bearer" = [])),
    params(("region" = String, Path), ("date" = NaiveDate, Path)), responses(
    (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn remove_closure(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((raw, date)): Path<(String, String)>,
) -> Result<StatusCode> {
    let region: RegionCode = parse("region", &raw)?;
    let date: NaiveDate = parse("date", &date)?;
    db::set_closure(&state.pool, Actor::Staff(&principal), &region, date, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalYear {
    /// Every holiday and adjusted working weekend of the year, as the State Council published.
    pub days: Vec<Day>,
    /// Where the list comes from (e.g. 国办发明电〔2026〕x号).
    pub source: String,
}

/// Sets the national calendar of a year (adds a new year, or corrects one). Needs a
/// province-level `catalogue_admin`. Publishes `CalendarChanged`.
#[utoipa::path(put, path = "/national/{year}", tag = "calendar", request_body = NationalYear, security(("bearer" = [])),
    params(("year" = i32, Path)), responses(
    (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn replace_national_year(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(year): Path<i32>,
    Json(input): Json<NationalYear>,
) -> Result<StatusCode> {
    crate::domain::item::text("source", &input.source, 200)?;
    let mut tx = state.pool.begin().await?;
    db::replace_year(
        &mut tx,
        Actor::Staff(&principal),
        year,
        &input.days,
        input.source.trim(),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
