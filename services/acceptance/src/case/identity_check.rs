//! A window clerk records having checked the applicant's original ID (核验身份证原件): the case
//! shows real-name level 3 from then on, with who checked and when, in its row and its history.
//! The check's answer is the one place the applicant's full document number is shown — to the
//! clerk comparing it with the document in their hand — and the history records that it was.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_bus::aggregate::Entry;
use tongban_kernel::{Error, ErrorBody, Json, Path, Principal, Result};

use super::applicant::Identities;
use super::real_name::IN_PERSON;
use super::store::{load, note, require_clerk, require_not_part};
use super::view::{Case, get};
use crate::AppState;

/// Raises the case to level 3: a clerk whose scope covers the receiving region saw the
/// applicant's original identity document. Only before the acceptance decision (409 after);
/// a 一件事 application's parts follow it.
pub async fn check_identity(
    pool: &PgPool,
    identities: &Identities,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<IdentityChecked, Error> {
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    if !row.status()?.in_front_office() {
        return Err(Error::Conflict {
            code: "already_decided",
            message: "the identity is checked before the acceptance decision".into(),
        });
    }
    sqlx::query(
        "update cases set real_name_level = $2, identity_checked_by = $3, identity_checked_at = $4
         where id = $1 or parent_id = $1",
    )
    .bind(id)
    .bind(i16::from(IN_PERSON))
    .bind(principal.account)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("select applicant_document_sealed from cases where id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let document = sealed.map(|blob| identities.open(id, &blob)).transpose()?;
    let detail = json!({
        "real_name_level": IN_PERSON, "checked_by": principal.account, "checked_at": now,
        "document_shown": document.is_some(),
    });
    let entry = Entry::new(now, Some(principal.account), "identity_checked", detail);
    note(&mut tx, &row, entry).await?;
    tx.commit().await?;
    Ok(IdentityChecked {
        case: get(pool, principal, id).await?,
        applicant_document_number: document.map(|d| d.as_str().to_owned()),
    })
}

/// The case after the check, and the applicant's document number in full for the clerk to
/// compare with the original.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityChecked {
    #[serde(flatten)]
    pub case: Case,
    /// The full number (none for a case opened before full numbers were kept). Shown this once;
    /// the history records that it was (`document_shown`).
    pub applicant_document_number: Option<String>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(identity_check))
}

/// The clerk checked the applicant's original ID at the window: the case has real-name level
/// 3 (recorded with who and when), enough for any item. For a clerk whose scope covers the
/// receiving region, before the acceptance decision.
#[utoipa::path(post, path = "/{id}/identity-check", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = IdentityChecked), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn identity_check(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<IdentityChecked>> {
    Ok(Json(
        check_identity(
            &state.pool,
            &state.identities,
            &principal,
            id,
            state.clock.now(),
        )
        .await?,
    ))
}
