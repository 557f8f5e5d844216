//! `/v1/webhooks`: partner systems subscribed to events, called with each one signed.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, Result};

use crate::app::AppState;
use crate::db::webhooks::{self, Created, Delivery, NewWebhook, Webhook};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(disable))
        .routes(routes!(deliveries))
}

/// Subscriptions (for a province's identity administrators).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<Webhook>>> {
    Ok(Json(webhooks::list(&state.pool, &principal).await?))
}

/// Subscribes a partner system to event types. Each event is POSTed as JSON with
/// `X-Tongban-Event`, `X-Tongban-Delivery` (the message id: the same on every retry) and
/// `X-Tongban-Signature`; a 2xx answer delivers it, a 4xx ends it, anything else is retried
/// with back-off. The secret is in this answer only.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewWebhook>,
) -> Result<(StatusCode, Json<Created>)> {
    let created = webhooks::create(
        &state.pool,
        &state.vault,
        &state.outbound,
        &principal,
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Stops a subscription (what is already queued still goes).
#[utoipa::path(post, path = "/v1/webhooks/{id}/disable", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Webhook), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn disable(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Webhook>> {
    Ok(Json(webhooks::disable(&state.pool, &principal, id).await?))
}

/// The subscription's latest messages with their attempts.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Delivery>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Delivery>>> {
    Ok(Json(
        webhooks::deliveries(&state.pool, &principal, id).await?,
    ))
}
