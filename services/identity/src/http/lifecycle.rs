//! The account life-cycle: a holder changes their password; an identity administrator in
//! scope sets a temporary one, disables and enables an account — never their own.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{AccountKind, Error, ErrorBody, Json, Path, Principal, Result};

use super::accounts::{not_own, visible};
use crate::db::accounts::{self, lifecycle};
use crate::{AppState, password};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_own_password))
        .routes(routes!(set_password))
        .routes(routes!(disable))
        .routes(routes!(enable))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// The holder changes their password: every other sign-in of the account ends (this one goes
/// on; refresh it to drop a temporary password's restriction). A wrong current password counts
/// as a failed sign-in.
#[utoipa::path(put, path = "/me/password", tag = "accounts", request_body = PasswordChange,
    security(("bearer" = [])), responses((status = 204), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_own_password(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<PasswordChange>,
) -> Result<StatusCode> {
    if principal.kind == AccountKind::Service {
        return Err(Error::Forbidden(
            "a service account's secret is renewed by an administrator".into(),
        ));
    }
    let account = accounts::credentials_by_id(&state.pool, principal.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    if !password::verify(&input.current_password, Some(&account.password_hash)).await {
        accounts::record_failure(&state.pool, account.id, &state.identity, state.clock.now())
            .await?;
        return Err(Error::unprocessable(
            "current_password",
            "is not your current password",
        ));
    }
    if input.new_password == input.current_password {
        return Err(Error::unprocessable(
            "new_password",
            "must differ from the current one",
        ));
    }
    let own = accounts::find(&state.pool, account.id).await?;
    let name = own.map(|a| a.display_name).unwrap_or_default();
    password::check_policy(
        "new_password",
        &input.new_password,
        &[&account.login, &name],
    )?;
    let hash = password::hash(&input.new_password).await?;
    lifecycle::set_password(
        &state.pool,
        account.id,
        &hash,
        false,
        account.id,
        principal.session,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// An identity administrator in scope sets a staff member's password (a reset): temporary, to
/// be changed at the next sign-in before anything else; every sign-in of the account ends.
#[utoipa::path(put, path = "/{id}/password", tag = "accounts", request_body = NewPassword,
    security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_password(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<NewPassword>,
) -> Result<StatusCode> {
    let account = administered(&state, &principal, id).await?;
    if account.kind != AccountKind::Staff {
        return Err(Error::unprocessable(
            "id",
            "administrators set staff passwords only: citizens and enterprises reset theirs \
             themselves",
        ));
    }
    password::check_policy(
        "password",
        &input.password,
        &[&account.login, &account.display_name],
    )?;
    let hash = password::hash(&input.password).await?;
    lifecycle::set_password(&state.pool, id, &hash, true, principal.account, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables an account: no sign-in of any kind, its sign-ins ended, its tokens refused by every
/// service within a minute. An identity administrator in scope; never one's own account.
#[utoipa::path(post, path = "/{id}/disable", tag = "accounts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn disable(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    administered(&state, &principal, id).await?;
    lifecycle::set_disabled(&state.pool, id, true, principal.account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled account again (its holder signs in anew).
#[utoipa::path(post, path = "/{id}/enable", tag = "accounts", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn enable(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    administered(&state, &principal, id).await?;
    lifecycle::set_disabled(&state.pool, id, false, principal.account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Account `id` as an administrator in scope sees it; 403 for one's own account (separation of
/// duties), 404 outside one's scope.
async fn administered(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<accounts::Account> {
    not_own(principal, id)?;
    visible(state, principal, id).await
}
