//! `/v1/departments`: register, read and list departments.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{CreditCode, Error, ErrorBody, Json, Path, Power, Query, RegionCode, Result};

use crate::AppState;
use crate::db::departments as db;
use crate::domain::department::Department;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register, list))
        .routes(routes!(get_one))
}

/// What registering a department takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    /// The region the department belongs to.
    pub region_code: RegionCode,
    /// Official name, 1-100 characters.
    pub name: String,
    /// Its unified social credit code (GB 32100).
    pub credit_code: CreditCode,
}

/// The longest department name accepted (official names are far shorter).
const MAX_NAME_CHARS: usize = 100;

/// Registers a department and publishes `DepartmentRegistered`. Needs `catalogue_admin` over
/// the department's region.
#[utoipa::path(post, path = "", tag = "departments", request_body = NewDepartment, security(("bearer" = [])), responses(
    (status = 201, description = "registered", body = Department),
    (status = 400, description = "a field is invalid", body = ErrorBody),
    (status = 401, body = ErrorBody),
    (status = 403, description = "no catalogue_admin role covers the region", body = ErrorBody),
    (status = 422, description = "the region code is not a known division", body = ErrorBody),
    (status = 409, description = "the credit code, or the name in that region, is taken", body = ErrorBody),
))]
#[tracing::instrument(skip_all, fields(region = %input.region_code))]
async fn register(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewDepartment>,
) -> Result<(StatusCode, Json<Department>)> {
    principal.require(Power::EditCatalogue, &input.region_code)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_request(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let department = db::register(&state.pool, input.region_code, name, &input.credit_code).await?;
    Ok((StatusCode::CREATED, Json(department)))
}

/// One department.
#[utoipa::path(get, path = "/{id}", tag = "departments", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Department),
    (status = 404, body = ErrorBody),
))]
async fn get_one(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Json<Department>> {
    db::find(&state.pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("department {id}")))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only departments of this region.
    pub region_code: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

/// Departments, by region and name.
#[utoipa::path(get, path = "", tag = "departments", params(ListQuery), responses(
    (status = 200, body = Vec<Department>),
    (status = 400, body = ErrorBody),
    (status = 422, description = "the region is not a known division", body = ErrorBody),
))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Department>>> {
    let region =
        super::input::known_region_filter(&state, "region_code", query.region_code.as_deref())
            .await?;
    let limit = tongban_kernel::page_limit(query.limit, 100, 500)?;
    Ok(Json(db::list(&state.pool, region, limit).await?))
}
