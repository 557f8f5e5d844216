//! `/v1/duty-exceptions`: separation-of-duties exceptions for a named service centre (a town
//! centre with one officer). Only an identity administrator of a whole province grants or ends
//! one, within that province, with a reason; identity administrators and supervisors see those
//! over their regions.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, ErrorBody, Json, Path, Power, Principal, RegionCode, Result, Role};

use super::input::required_text;
use crate::AppState;
use crate::db::duties::{self, DutyException};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, grant))
        .routes(routes!(revoke))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewException {
    /// The centre's 12-digit region code (a county, town or village centre).
    #[schema(value_type = String, example = "430903101000")]
    pub region_code: RegionCode,
    /// Why the centre cannot separate duties, 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ending {
    /// Why the exception ends, 1 to 500 characters.
    pub reason: String,
}

/// Allows the centre of `region_code` to combine duties. A province-level identity
/// administrator whose province holds the centre; 409 when the centre has one in force.
#[utoipa::path(post, path = "", tag = "duty exceptions", request_body = NewException,
    security(("bearer" = [])), responses((status = 201, body = DutyException),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewException>,
) -> Result<(StatusCode, Json<DutyException>)> {
    let region = input.region_code;
    require_province_admin(&principal, &region)?;
    if matches!(region.level(), RegionLevel::Province | RegionLevel::City) {
        return Err(Error::unprocessable(
            "region_code",
            "names a service centre of a county, town or village: a province's or a city's \
             hall has the staff to separate duties",
        ));
    }
    state.regions.require_known(&region, "region_code").await?;
    let reason = required_text("reason", &input.reason, 500)?;
    let granted = duties::grant(
        &state.pool,
        region.as_str(),
        &reason,
        principal.account,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(granted)))
}

/// Ends exception `id`: the centre separates duties again (within a minute everywhere).
#[utoipa::path(post, path = "/{id}/revoke", tag = "duty exceptions", request_body = Ending,
    security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, body = DutyException),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Ending>,
) -> Result<Json<DutyException>> {
    let found = duties::find(&state.pool, id)
        .await?
        .filter(|e| sees(&principal, &e.region_code))
        .ok_or_else(|| Error::NotFound(format!("duty exception {id}")))?;
    require_province_admin(&principal, &region(&found.region_code)?)?;
    let reason = required_text("reason", &input.reason, 500)?;
    let revoked = duties::revoke(
        &state.pool,
        id,
        &reason,
        principal.account,
        state.clock.now(),
    )
    .await?;
    Ok(Json(revoked))
}

/// The exceptions over the caller's regions (as identity administrator or supervisor), those
/// in force first.
#[utoipa::path(get, path = "", tag = "duty exceptions", security(("bearer" = [])),
    responses((status = 200, body = Vec<DutyException>), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<DutyException>>> {
    let all = duties::all(&state.pool).await?;
    Ok(Json(
        all.into_iter()
            .filter(|e| sees(&principal, &e.region_code))
            .collect(),
    ))
}

fn region(code: &str) -> Result<RegionCode> {
    code.parse()
        .map_err(|_| Error::internal(format!("stored region {code} is not a region code")))
}

fn sees(principal: &Principal, code: &str) -> bool {
    region(code).is_ok_and(|r| {
        principal.can(Power::ManageAccounts, &r) || principal.can(Power::Supervise, &r)
    })
}

/// 403 `province_administrator` unless an unrestricted identity_admin binding of a whole
/// province holds `region`.
fn require_province_admin(principal: &Principal, region: &RegionCode) -> Result<()> {
    let province = principal.roles.iter().any(|b| {
        b.role == Role::IdentityAdmin
            && b.department.is_none()
            && b.region.level() == RegionLevel::Province
            && b.covers(region)
    });
    if province {
        Ok(())
    } else {
        Err(Error::Denied {
            code: "province_administrator",
            message: format!(
                "an exception to the separation of duties is allowed by an identity \
                 administrator of the province that holds {region}"
            ),
        })
    }
}
