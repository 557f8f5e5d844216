//! `/v1/templates` and `/v1/rules`: what each kind of message says, per locale, versioned, and
//! who gets it through which channels. Reading is open to staff; a province's catalogue
//! administrators change them.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{AccountKind, Error, ErrorBody, Json, Path, Principal, Result};

use crate::app::AppState;
use crate::db::rules::{Rule, RuleChange};
use crate::db::templates::{self, KindTemplates, Preview, PreviewRequest, Template, TemplateText};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(versions, save))
        .routes(routes!(preview))
        .routes(routes!(rules))
        .routes(routes!(change_rule))
}

/// Templates are for the staff who send messages, not for applicants.
fn require_staff(principal: &Principal) -> Result<()> {
    if principal.kind != AccountKind::Staff {
        return Err(Error::Forbidden("templates are for staff".into()));
    }
    Ok(())
}

/// Every kind of message: its event, its variables and the template in use per locale.
#[utoipa::path(get, path = "/v1/templates", tag = "templates",
    responses((status = 200, body = Vec<KindTemplates>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<KindTemplates>>> {
    require_staff(&principal)?;
    Ok(Json(templates::list(&state.pool).await?))
}

/// Every version of a template, newest (in use) first.
#[utoipa::path(get, path = "/v1/templates/{key}/{locale}", tag = "templates",
    params(("key" = String, Path), ("locale" = String, Path, description = "zh-CN or en")),
    responses((status = 200, body = Vec<Template>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn versions(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((key, locale)): Path<(String, String)>,
) -> Result<Json<Vec<Template>>> {
    require_staff(&principal)?;
    Ok(Json(templates::versions(&state.pool, &key, &locale).await?))
}

/// Saves a new version, in use for new messages at once. It may use only the kind's variables:
/// an unknown `{{name}}` is a 422 naming it and the known ones.
#[utoipa::path(put, path = "/v1/templates/{key}/{locale}", tag = "templates",
    params(("key" = String, Path), ("locale" = String, Path, description = "zh-CN or en")),
    request_body = TemplateText,
    responses((status = 201, body = Template), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((key, locale)): Path<(String, String)>,
    Json(text): Json<TemplateText>,
) -> Result<(StatusCode, Json<Template>)> {
    let saved = templates::save(&state.pool, &principal, &key, &locale, &text).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Renders a template as a message would read: a draft (or the version in use) with the given
/// values (or the kind's samples). Nothing is saved or sent.
#[utoipa::path(post, path = "/v1/templates/{key}/{locale}/preview", tag = "templates",
    params(("key" = String, Path), ("locale" = String, Path, description = "zh-CN or en")),
    request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((key, locale)): Path<(String, String)>,
    Json(request): Json<PreviewRequest>,
) -> Result<Json<Preview>> {
    require_staff(&principal)?;
    Ok(Json(
        templates::preview(&state.pool, &key, &locale, &request).await?,
    ))
}

/// The rules: which event reaches whom through which channels (for staff).
#[utoipa::path(get, path = "/v1/rules", tag = "rules",
    responses((status = 200, body = Vec<Rule>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn rules(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<Rule>>> {
    require_staff(&principal)?;
    Ok(Json(crate::db::rules::list(&state.pool).await?))
}

/// Changes a rule's recipients, channels, urgency, or turns it off; new events follow at once.
#[utoipa::path(put, path = "/v1/rules/{id}", tag = "rules", params(("id" = Uuid, Path)),
    request_body = RuleChange,
    responses((status = 200, body = Rule), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn change_rule(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(change): Json<RuleChange>,
) -> Result<Json<Rule>> {
    Ok(Json(
        crate::db::rules::change(&state.pool, &principal, id, &change).await?,
    ))
}
