//! `/v1/inbox`: the caller's in-app messages (applicants and staff alike, each their own).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, Query, Result};

use crate::app::AppState;
use crate::db::inbox::{self, Inbox, InboxMessage};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(unread))
        .routes(routes!(read_one))
        .routes(routes!(read_all))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// true: only unread messages.
    #[serde(default)]
    pub unread: bool,
    /// The `next` of the previous page.
    pub before: Option<Uuid>,
    /// 1-100, default 20.
    pub limit: Option<i64>,
}

/// The caller's messages, newest first, with the unread count.
#[utoipa::path(get, path = "/v1/inbox", tag = "inbox", params(ListParams),
    responses((status = 200, body = Inbox), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<ListParams>,
) -> Result<Json<Inbox>> {
    let limit = tongban_kernel::page_limit(params.limit, 20, 100)?;
    Ok(Json(
        inbox::list(&state.pool, &principal, params.unread, params.before, limit).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unread {
    pub unread: i64,
}

/// How many of the caller's messages are unread (for a badge).
#[utoipa::path(get, path = "/v1/inbox/unread", tag = "inbox",
    responses((status = 200, body = Unread), (status = 401, body = ErrorBody)))]
async fn unread(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Unread>> {
    Ok(Json(Unread {
        unread: inbox::unread(&state.pool, &principal).await?,
    }))
}

/// Marks one of the caller's messages read (someone else's is a 404).
#[utoipa::path(post, path = "/v1/inbox/{id}/read", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 200, body = InboxMessage), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn read_one(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<InboxMessage>> {
    Ok(Json(inbox::mark_read(&state.pool, &principal, id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    /// Messages marked read now.
    pub marked: u64,
}

/// Marks every unread message of the caller read.
#[utoipa::path(post, path = "/v1/inbox/read", tag = "inbox",
    responses((status = 200, body = Marked), (status = 401, body = ErrorBody)))]
async fn read_all(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Marked>> {
    Ok(Json(Marked {
        marked: inbox::mark_all_read(&state.pool, &principal).await?,
    }))
}
