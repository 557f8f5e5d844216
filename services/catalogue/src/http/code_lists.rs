//! `/v1/code-lists`: the local code lists (item types, online depth, 通办 scopes).

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, ErrorBody, Json, Path, Power, Result};

use crate::AppState;
use crate::db::code_lists::{self as db, Code};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(all))
        .routes(routes!(put))
}

/// The lists the catalogue checks codes against.
const LISTS: [&str; 3] = ["item_type", "online_depth", "tongban_scope"];

/// Every code of every list.
#[utoipa::path(get, path = "", tag = "code-lists", responses((status = 200, body = Vec<Code>)))]
async fn all(State(state): State<AppState>) -> Result<Json<Vec<Code>>> {
    Ok(Json(db::all(&state.pool).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub position: i32,
    /// For `tongban_scope` codes: self, county, city, province or listed.
    #[serde(default)]
    pub reach: Option<String>,
}

/// Adds or renames a code. Needs `catalogue_admin` bound at province level; codes are never
/// removed, since published versions refer to them.
#[utoipa::path(put, path = "/{list}/{code}", tag = "code-lists", request_body = CodeInput, security(("bearer" = [])),
    params(("list" = String, Path), ("code" = String, Path)),
    responses((status = 200, body = Code), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((list, code)): Path<(String, String)>,
    Json(input): Json<CodeInput>,
) -> Result<Json<Code>> {
    let provincial = principal
        .bindings_for_power(Power::EditCatalogue)
        .any(|b| b.region.level() == RegionLevel::Province);
    if !provincial {
        return Err(Error::Forbidden(
            "code lists are kept by a province-level catalogue_admin".into(),
        ));
    }
    if !LISTS.contains(&list.as_str()) {
        return Err(Error::bad_request(
            "list",
            format!("one of {}", LISTS.join(", ")),
        ));
    }
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Error::bad_request(
            "code",
            "1-40 characters of a-z, 0-9 and _",
        ));
    }
    crate::domain::item::text("name", &input.name, 50)?;
    crate::domain::item::text("name_en", &input.name_en, 100)?;
    let reaches = ["self", "county", "city", "province", "listed"];
    match (&input.reach, list == "tongban_scope") {
        (Some(reach), true) if reaches.contains(&reach.as_str()) => {}
        (None, false) => {}
        _ => {
            return Err(Error::bad_request(
                "reach",
                "a tongban_scope code needs one of self, county, city, province, listed; other lists none",
            ));
        }
    }
    let code = Code {
        list,
        code,
        name: input.name,
        name_en: input.name_en,
        position: input.position,
        reach: input.reach,
    };
    Ok(Json(db::put(&state.pool, &code).await?))
}
