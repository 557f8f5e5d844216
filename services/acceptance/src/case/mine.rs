//! The applicant's own applications (`GET /v1/cases/mine`, 我的办件): every case of their
//! account, drafts included, newest first, a page at a time (keyset on the `cases_applicant`
//! index). A 一件事 application is one entry; its parts are in the case's view.

use axum::extract::State;
use chrono::SecondsFormat::Micros;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Principal, Query, Result, page_limit};

use super::state::Status;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mine))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineParams {
    /// Only applications in this status: draft, submitted, needs_correction, accepted,
    /// refused, withdrawn, concluded or delivered.
    pub status: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<i64>,
}

/// One of the applicant's applications, as a list shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Application {
    pub id: Uuid,
    /// Given at the first submission.
    pub number: Option<String>,
    /// item, or bundle (a 一件事 application).
    pub kind: String,
    pub implementation_code: String,
    /// The item's name, or the 一件事's.
    pub name: String,
    pub status: Status,
    /// online or window.
    pub channel: String,
    pub receiving_region: String,
    /// Where it is handled: the calendar its due date is counted in.
    pub handling_region: String,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The promised due date once accepted.
    pub due_date: Option<NaiveDate>,
    /// approved or refused, once concluded (办结).
    pub conclusion: Option<String>,
}

/// A page of applications, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Applications {
    pub items: Vec<Application>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// The caller's own applications, newest first: for citizens and enterprises (staff apply for
/// others through the window, and their cases are in the hall's lists).
#[utoipa::path(get, path = "/mine", tag = "cases", params(MineParams), security(("bearer" = [])),
    responses((status = 200, body = Applications), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<MineParams>,
) -> Result<Json<Applications>> {
    Ok(Json(list(&state.pool, &principal, &params).await?))
}

/// The page of `principal`'s applications that `params` asks for.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    params: &MineParams,
) -> Result<Applications, Error> {
    let limit = page_limit(params.limit, 20, 100)?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s.trim()).ok_or_else(|| {
                Error::bad_request("status", format!("{s:?} is not a status of a case"))
            })
        })
        .transpose()?;
    let after = params
        .after
        .as_deref()
        .map(super::hall::cursor)
        .transpose()?;
    let mut items: Vec<Application> = sqlx::query_as(
        "select c.id, c.number, c.kind, c.implementation_code,
                coalesce(b.name, i.name) as name, c.status, c.channel, c.receiving_region,
                c.handling_region, c.created_at, c.submitted_at, c.decided_at, c.due_date, c.conclusion
         from cases c
         join item_versions i
           on i.implementation_code = c.implementation_code and i.version = c.item_version
         left join bundle_versions b on b.bundle_id = c.bundle_id and b.version = c.bundle_version
         where c.applicant_id = $1 and c.parent_id is null
           and ($2::text is null or c.status = $2)
           and ($3::timestamptz is null or (c.created_at, c.id) < ($3, $4))
         order by c.created_at desc, c.id desc
         limit $5",
    )
    .bind(principal.account)
    .bind(status)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| {
            format!(
                "{},{}",
                last.created_at.to_rfc3339_opts(Micros, true),
                last.id
            )
        })
    } else {
        None
    };
    Ok(Applications { items, next })
}
