//! `GET /v1/accounts`: the staff directory of a region, for its identity administrators — who
//! works there, in which department, whether the account is disabled or owes its password
//! change, and the roles it holds. What the console's administrators' pages list.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{
    Error, ErrorBody, Json, Power, Principal, Query, RegionCode, Result, page_limit, parse_param,
};

use crate::AppState;
use crate::db::accounts::staff::{self, StaffAccount, StaffFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffQuery {
    /// 12-digit region code: its staff and those of the regions below it. Default: the widest
    /// region the caller administers.
    pub region_code: Option<String>,
    /// Part of the user name or the name.
    pub q: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// A page of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffPage {
    pub items: Vec<StaffAccount>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// The region listed, and the departments when the caller administers only some of its
/// departments; 403 when no identity_admin binding reaches the region.
fn scope(
    principal: &Principal,
    asked: Option<RegionCode>,
) -> Result<(RegionCode, Option<Vec<Uuid>>)> {
    let region = match asked {
        Some(region) => region,
        None => principal
            .widest_region(Power::ManageAccounts)
            .ok_or_else(|| {
                Error::Forbidden("the staff directory is for identity administrators".into())
            })?,
    };
    let bindings: Vec<_> = principal
        .bindings_for(Power::ManageAccounts, &region)
        .collect();
    if bindings.is_empty() {
        return Err(Error::Forbidden(format!(
            "no identity_admin role covers region {region}"
        )));
    }
    if bindings.iter().any(|b| b.department.is_none()) {
        return Ok((region, None));
    }
    Ok((
        region,
        Some(bindings.iter().filter_map(|b| b.department).collect()),
    ))
}

/// Staff accounts of a region and the regions below it, in user-name order, with their state
/// and live role bindings: for identity administrators over the region (an administrator of
/// departments sees those departments' staff).
#[utoipa::path(get, path = "", tag = "accounts", security(("bearer" = [])), params(StaffQuery),
    responses((status = 200, body = StaffPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<StaffQuery>,
) -> Result<Json<StaffPage>> {
    let asked = query
        .region_code
        .as_deref()
        .map(|r| parse_param::<RegionCode>("region_code", r))
        .transpose()?;
    let (region, departments) = scope(&principal, asked)?;
    let limit = page_limit(query.limit, 50, 200)?;
    let filter = StaffFilter {
        region_prefix: region.prefix().to_owned(),
        departments,
        query: query.q.map(|q| q.trim().to_owned()),
        after: query.after,
        limit,
    };
    let items = staff::staff(&state.pool, &filter).await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|a| a.account.login.clone()))
        .flatten();
    Ok(Json(StaffPage { items, next }))
}
