//! The routes of a case's use cases, `/v1/cases`: applications from draft to the acceptance decision.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Path, Query, Result};

use super::accept::Deferral;
use super::deliver::Delivery;
use super::overdue::OverdueMaterial;
use super::submit::{HeldCertificate, Submission};
use super::view::{Case, CorrectionItem, HistoryEntry, Progress, Receipt};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lookup))
        .routes(routes!(get_one))
        .routes(routes!(history))
        .routes(routes!(attach, material))
        .routes(routes!(submit))
        .routes(routes!(held_certificates))
        .routes(routes!(request_correction))
        .routes(routes!(accept))
        .routes(routes!(refuse))
        .routes(routes!(receipt))
        .routes(routes!(reissue_query_password))
        .routes(routes!(withdraw))
        .routes(routes!(record_visit))
        .routes(routes!(overdue))
        .routes(routes!(deliver))
        .merge(super::opening::router())
        .merge(super::identity_check::router())
        .merge(super::mine::router())
        .merge(super::search::router())
}

/// One case by its id or its case number, for its applicant and the staff in scope (404 for
/// anyone else).
#[utoipa::path(get, path = "/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id (UUID) or its 43-character case number")),
    responses((status = 200, body = Case), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Case>> {
    Ok(Json(super::view::find(&state.pool, &principal, &id).await?))
}

/// Everything that happened to the case, oldest first (append-only).
#[utoipa::path(get, path = "/{id}/history", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<HistoryEntry>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn history(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HistoryEntry>>> {
    Ok(Json(
        super::view::history(&state.pool, &principal, id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AttachQuery {
    /// The file's name as the applicant knows it (1-200 characters); the material code when absent.
    pub filename: Option<String>,
}

/// A scanned material, the request body as it is.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documentation only: the handler takes the body's bytes
struct Scan(Vec<u8>);

/// Provides the file for one material: the request body is the file, its `Content-Type` one of
/// `application/pdf`, `image/jpeg`, `image/png`, at most `http.body_limit_bytes` (413 beyond).
/// Replaces an earlier file of the same material. Only while the case is a draft or under
/// correction.
#[utoipa::path(put, path = "/{id}/materials/{material_code}", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("material_code" = String, Path), AttachQuery),
    request_body(content(
        (Scan = "application/pdf"), (Scan = "image/jpeg"), (Scan = "image/png")
    )), responses(
    (status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "the case is past the point of editing", body = ErrorBody),
    (status = 413, body = ErrorBody),
    (status = 422, description = "not on the material list, or a file type not accepted", body = ErrorBody),
))]
async fn attach(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, material_code)): Path<(Uuid, String)>,
    Query(query): Query<AttachQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let filename = query.filename.unwrap_or_else(|| material_code.clone());
    let chars = filename.trim().chars().count();
    if chars == 0 || chars > 200 {
        return Err(Error::bad_request(
            "filename",
            "must be 1 to 200 characters",
        ));
    }
    super::materials::attach(
        &state.pool,
        &principal,
        id,
        &material_code,
        filename.trim(),
        &content_type,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The file provided for one material, for the applicant and the staff of the receiving and
/// the handling region (a transferred case's materials reach the handling region this way; a
/// bundle part's come from the application's combined entry). The `ETag` is the file's SHA-256.
#[utoipa::path(get, path = "/{id}/materials/{material_code}", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("material_code" = String, Path)), responses(
    (status = 200, description = "the file, as provided", content_type = "application/octet-stream", body = Vec<u8>),
    (status = 401, body = ErrorBody),
    (status = 404, description = "no such case for the caller, or no file for the material", body = ErrorBody),
))]
async fn material(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, material_code)): Path<(Uuid, String)>,
) -> Result<(HeaderMap, Bytes)> {
    let file = super::materials::material(&state.pool, &principal, id, &material_code).await?;
    let mut headers = HeaderMap::new();
    let value = |v: String| {
        header::HeaderValue::try_from(v).map_err(|e| Error::internal(format!("header: {e}")))
    };
    headers.insert(header::CONTENT_TYPE, value(file.content_type)?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(format!(
            "attachment; filename*=UTF-8''{}",
            percent_encoded(&file.filename)
        ))?,
    );
    headers.insert(header::ETAG, value(format!("\"{}\"", file.sha256))?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    Ok((headers, Bytes::from(file.content)))
}

/// RFC 5987 encoding of a file name: unreserved ASCII as is, every other byte as %XX.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Submits the application (again, after the correction notice). Every required material must
/// be provided (422 naming each missing one). The first submission gives the case its 43-character
/// number and the query password.
#[utoipa::path(post, path = "/{id}/submit", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Submission), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn submit(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Submission>> {
    Ok(Json(
        super::submit::submit(
            &state.pool,
            &state.numbers,
            &state.passwords,
            &principal,
            id,
            state.clock.now(),
        )
        .await?,
    ))
}

/// Before submitting (一证通办): the materials the applicant's valid e-certificates would stand
/// in for if the case were submitted now, those provided as a file excepted. For the applicant
/// and the staff who see the case.
#[utoipa::path(get, path = "/{id}/certificates", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<HeldCertificate>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn held_certificates(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HeldCertificate>>> {
    Ok(Json(
        super::submit::held(&state.pool, &principal, id, state.clock.now()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionNotice {
    /// Every missing or defective material, at once (一次性告知).
    pub items: Vec<CorrectionItem>,
}

/// Sends the one-time correction notice. For a clerk (`window_clerk`) whose scope covers the
/// receiving region; one notice per case.
#[utoipa::path(post, path = "/{id}/correction", tag = "cases", request_body = CorrectionNotice, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "not awaiting a decision, or the notice was already sent", body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
async fn request_correction(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(notice): Json<CorrectionNotice>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::correction::request_correction(
            &state.pool,
            &principal,
            id,
            &notice.items,
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// Deferrable materials accepted as missing (容缺受理), each with its deadline.
    #[serde(default)]
    pub deferred: Vec<Deferral>,
    /// The applicant's written commitment to supply them (书面承诺), required with deferrals.
    #[serde(default)]
    pub commitment: Option<String>,
}

/// Accepts the case (受理): the promised due date is set in the handling centre's working days.
/// For a clerk whose scope covers the receiving region.
#[utoipa::path(post, path = "/{id}/accept", tag = "cases", request_body = Acceptance, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "not awaiting a decision", body = ErrorBody),
    (status = 422, description = "materials missing, or deferrals that do not fit", body = ErrorBody),
))]
async fn accept(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Acceptance>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::accept::accept(
            &state.pool,
            &principal,
            id,
            &input.deferred,
            input.commitment.as_deref(),
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// The written reason (1-500 characters).
    pub reason: String,
}

/// Does not accept the case (不予受理), with the written reason.
#[utoipa::path(post, path = "/{id}/refuse", tag = "cases", request_body = Refusal, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn refuse(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Refusal>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::refuse::refuse(
            &state.pool,
            &principal,
            id,
            &input.reason,
            state.clock.now(),
        )
        .await?,
    ))
}

/// Issues a new query password (the old one stops working): the applicant who lost theirs, or
/// a window clerk of the receiving region printing the receipt again. Shown this once.
#[utoipa::path(post, path = "/{id}/query-password", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = super::password::Issued),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
async fn reissue_query_password(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<super::password::Issued>> {
    Ok(Json(
        super::password::reissue(
            &state.pool,
            &state.passwords,
            &principal,
            id,
            state.clock.now(),
        )
        .await?,
    ))
}

/// The acceptance receipt (受理回执): number, promised due date, accepted materials (the query
/// password is given with the first submission, or issued anew: `POST …/query-password`).
#[utoipa::path(get, path = "/{id}/receipt", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = Receipt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "not accepted", body = ErrorBody),
))]
async fn receipt(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Receipt>> {
    Ok(Json(
        super::view::receipt(&state.pool, &principal, id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// The 43-character case number.
    pub number: String,
    /// The query password on the receipt.
    pub password: String,
}

/// Looks a case's progress up by number and query password, without signing in. A wrong
/// password and an unknown number both answer 404; after five of them for one number within
/// 15 minutes, every lookup of it answers 429 (with `Retry-After`) until the 15 minutes pass.
#[utoipa::path(post, path = "/lookup", tag = "cases", request_body = Lookup, responses(
    (status = 200, body = Progress), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 429, description = "too many wrong passwords for this number", body = ErrorBody),
))]
async fn lookup(
    State(state): State<AppState>,
    Json(input): Json<Lookup>,
) -> Result<Json<Progress>> {
    if input.number.len() != 43 || input.password.is_empty() || input.password.len() > 32 {
        return Err(Error::bad_request(
            "number",
            "a 43-character case number and its password",
        ));
    }
    Ok(Json(
        super::lookup::lookup(
            &state.pool,
            &state.passwords,
            &input.number,
            &input.password,
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Why, if the applicant says (at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// Withdraws the application until it is decided, accepted or not (its applicant, or its clerk).
#[utoipa::path(post, path = "/{id}/withdraw", tag = "cases", request_body = Withdrawal, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "already decided (concluded, delivered, refused) or withdrawn", body = ErrorBody),
))]
async fn withdraw(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Withdrawal>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::withdraw::withdraw(
            &state.pool,
            &principal,
            id,
            &input.reason,
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseVisit {
    /// intake, supply, pickup or other.
    pub purpose: String,
}

/// Counts a visit of the applicant to a hall for this case (最多跑一次). For a clerk whose scope
/// covers the receiving region; a window intake counts its own visit.
#[utoipa::path(post, path = "/{id}/visits", tag = "cases", request_body = CaseVisit, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn record_visit(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<CaseVisit>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::record_visit::record_visit(
            &state.pool,
            &principal,
            id,
            &input.purpose,
            state.clock.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OverdueQuery {
    /// Cases received or handled in this region or below it.
    pub region_code: String,
}

/// 容缺 materials past their deadline and still not supplied, for clerks and supervisors of the
/// region.
#[utoipa::path(get, path = "/overdue-materials", tag = "cases", security(("bearer" = [])), params(OverdueQuery), responses(
    (status = 200, body = Vec<OverdueMaterial>), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
async fn overdue(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<OverdueQuery>,
) -> Result<Json<Vec<OverdueMaterial>>> {
    let region: tongban_kernel::RegionCode =
        tongban_kernel::parse_param("region_code", &query.region_code)?;
    Ok(Json(
        super::overdue::overdue(&state.pool, &principal, &region).await?,
    ))
}

/// Delivers the result of a concluded case (统一窗口出件): picked up at a window (counts a
/// visit), posted (carrier and tracking number required), or electronic. For a clerk whose
/// scope covers the receiving region.
#[utoipa::path(post, path = "/{id}/deliver", tag = "cases", request_body = Delivery, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Case), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "not concluded, or already delivered", body = ErrorBody),
))]
async fn deliver(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Delivery>,
) -> Result<Json<Case>> {
    Ok(Json(
        super::deliver::deliver(&state.pool, &principal, id, &input, state.clock.now()).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_for_the_disposition() {
        assert_eq!(percent_encoded("scan-1.pdf"), "scan-1.pdf");
        assert_eq!(
            percent_encoded("身份证.png"),
            "%E8%BA%AB%E4%BB%BD%E8%AF%81.png"
        );
        assert_eq!(percent_encoded("a b\"c"), "a%20b%22c");
    }
}
