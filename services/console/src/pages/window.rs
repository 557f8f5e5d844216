//! The window's work on a case (前台综合受理), from the case's page: a material's file uploaded
//! or scanned, the original ID checked, the case submitted, and the decision — the one-time
//! correction notice (一次性告知), acceptance (受理, with 容缺 deferrals and the applicant's
//! written commitment) or refusal (不予受理, with the written reason) — and the documents
//! printed: the receipt (受理通知书), the notice, the refusal; once concluded, the result
//! handed out (pickup, post, electronic) and the certificate's face printed; and a visit
//! recorded with its rating code shown as a QR code (一次一评).
//!
//! Each action is one call to acceptance; on success the page is shown again with what was
//! done (a redirect, so a reload repeats nothing), on a refusal with the service's words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::upload::Upload;

use crate::AppState;
use crate::i18n::T;
use crate::pages::cases::show;
use crate::pages::frame::{Acted, Chrome, Fields, html, not_found, printable, settled, value};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/cases/{id}/files/{code}", post(upload))
        .route("/console/cases/{id}/identity-check", post(identity_check))
        .route("/console/cases/{id}/submit", post(submit))
        .route("/console/cases/{id}/accept", post(accept))
        .route("/console/cases/{id}/correction", post(correction))
        .route("/console/cases/{id}/refuse", post(refuse))
        .route("/console/cases/{id}/receipt", post(receipt))
        .route("/console/cases/{id}/documents/{kind}", get(document))
        .route("/console/cases/{id}/deliver", post(deliver))
        .route("/console/cases/{id}/visit", post(visit))
        .route("/console/certificates/{id}/face", get(certificate_face))
}

/// The case page again after `outcome`: with what was done, or with the service's refusal.
async fn after(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: &str,
    outcome: Result<(), Failure>,
) -> PageResult<Response> {
    match settled(outcome, &format!("/console/cases/{id}?done={done}"))? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(state, staff, &id.to_string(), None, Some(message)).await,
    }
}

/// `POST /v1/cases/{id}/{action}` with `body`, as the signed-in clerk.
async fn act(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    action: &str,
    body: Value,
) -> Result<(), Failure> {
    state
        .api
        .act(
            staff.session.token(),
            Method::POST,
            Service::Acceptance,
            &format!("/v1/cases/{id}/{action}"),
            Some(&body),
        )
        .await
}

/// A file for one material, from the page's upload (or a scanner's file): multipart, the
/// CSRF token in the query (the guard does not read multipart bodies).
async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, code)): Path<(Uuid, String)>,
    multipart: Multipart,
) -> PageResult<Response> {
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    let Some(file) = Upload::read(multipart, "scan").await? else {
        let message = staff.t.s("window.no_file").to_owned();
        return show(&state, &staff, &id.to_string(), None, Some(message)).await;
    };
    let outcome = file
        .provide(&state.api, staff.session.token(), id, &code)
        .await;
    after(&state, &staff, id, "uploaded", outcome).await
}

async fn identity_check(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let outcome = act(&state, &staff, id, "identity-check", json!({})).await;
    after(&state, &staff, id, "identity_checked", outcome).await
}

async fn submit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let outcome = act(&state, &staff, id, "submit", json!({})).await;
    after(&state, &staff, id, "submitted", outcome).await
}

/// Acceptance: every `defer_<material code>` field a number of working days (容缺), with the
/// applicant's `commitment`.
async fn accept(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let mut deferred = Vec::new();
    for (key, days) in &fields {
        if let Some(code) = key.strip_prefix("defer_") {
            let Ok(days) = days.trim().parse::<u32>() else {
                let message = staff.t.s("window.days_number").to_owned();
                return show(&state, &staff, &id.to_string(), None, Some(message)).await;
            };
            deferred.push(json!({ "material_code": code, "within_working_days": days }));
        }
    }
    let commitment = Some(value(&fields, "commitment")).filter(|c| !c.is_empty());
    let body = json!({ "deferred": deferred, "commitment": commitment });
    let outcome = act(&state, &staff, id, "accept", body).await;
    after(&state, &staff, id, "accepted", outcome).await
}

/// The one-time notice: every `material` ticked, each with its `reason_<code>`.
async fn correction(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let items: Vec<Value> = fields
        .iter()
        .filter(|(key, _)| key == "material")
        .map(|(_, code)| {
            json!({
                "material_code": code,
                "reason": value(&fields, &format!("reason_{code}")),
            })
        })
        .collect();
    if items.is_empty() {
        let message = staff.t.s("window.tick_one").to_owned();
        return show(&state, &staff, &id.to_string(), None, Some(message)).await;
    }
    let outcome = act(&state, &staff, id, "correction", json!({ "items": items })).await;
    after(&state, &staff, id, "correction_requested", outcome).await
}

async fn refuse(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let body = json!({ "reason": value(&fields, "reason") });
    let outcome = act(&state, &staff, id, "refuse", body).await;
    after(&state, &staff, id, "refused", outcome).await
}

/// The result handed out (统一窗口出件): picked up at the window, posted (carrier and tracking
/// number), or electronic.
async fn deliver(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let written = |name: &str| Some(value(&fields, name)).filter(|v| !v.is_empty());
    let body = json!({
        "method": value(&fields, "method"),
        "carrier": written("carrier"),
        "tracking_number": written("tracking_number"),
    });
    let outcome = act(&state, &staff, id, "deliver", body).await;
    after(&state, &staff, id, "delivered", outcome).await
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    chrome: Chrome,
    t: T,
    case_id: Uuid,
    code: String,
    /// The rating code as a QR code for the applicant's phone or the rating device.
    qr: String,
}

#[derive(Deserialize)]
struct Visit {
    rating_code: String,
}

/// A visit recorded (一次一评): the rating code shown as a QR code, for the window's rating
/// device or the applicant's phone to rate the visit by, once.
async fn visit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let body = json!({ "case_id": id, "purpose": value(&fields, "purpose") });
    let visit: Visit = match state
        .api
        .send(
            staff.session.token(),
            Method::POST,
            Service::Acceptance,
            "/v1/visits",
            &body,
        )
        .await
    {
        Ok(visit) => visit,
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            return show(&state, &staff, &id.to_string(), None, Some(refusal.message)).await;
        }
        Err(failure) => return Err(failure.into()),
    };
    let qr = tongban_kernel::printable::qr_svg(&visit.rating_code, staff.t.s("visit.qr"))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    html(&VisitPage {
        chrome: Chrome::staff(&staff.session, staff.t, &state, &staff.path, ""),
        t: staff.t,
        case_id: id,
        code: visit.rating_code,
        qr,
    })
}

/// A certificate's printable face (with the QR code of its public status), for the window
/// that hands it out.
async fn certificate_face(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let path = format!("/v1/certificates/{id}/face");
    let answer = state
        .api
        .fetch(staff.session.token(), Method::GET, Service::Approval, &path)
        .await
        .map_err(not_found)?;
    printable(answer).await
}

/// The receipt (受理通知书), made now with a new query password: printed from the answer.
async fn receipt(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let path = format!("/v1/cases/{id}/documents/receipt");
    match state
        .api
        .fetch(
            staff.session.token(),
            Method::POST,
            Service::Acceptance,
            &path,
        )
        .await
    {
        Ok(answer) => printable(answer).await,
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 409 => {
            show(&state, &staff, &id.to_string(), None, Some(refusal.message)).await
        }
        Err(failure) => Err(not_found(failure)),
    }
}

/// The one-time notice, the corrections received, or the refusal, as acceptance prints them.
async fn document(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, kind)): Path<(Uuid, String)>,
) -> PageResult<Response> {
    if !["correction-notice", "corrections-received", "refusal"].contains(&kind.as_str()) {
        return Err(PageError::NotFound);
    }
    let path = format!("/v1/cases/{id}/documents/{kind}");
    let answer = state
        .api
        .fetch(
            staff.session.token(),
            Method::GET,
            Service::Acceptance,
            &path,
        )
        .await
        .map_err(not_found)?;
    printable(answer).await
}
