//! What the applicant does to their own case: upload a material's file (a phone's photo or a
//! PDF), submit or resubmit after the correction notice (answered with the receipt: the case
//! number and the query password, shown this once), withdraw before a decision, and open a
//! result's e-certificate. Acceptance decides whether each may happen; its refusal is shown
//! on the case's page in its words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use tongban_pages::answer::{Acted, Fields, html, not_found, printable, settled, value};
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;
use tongban_pages::upload::Upload;

use crate::AppState;
use crate::pages::case::show;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my/cases/{id}/files/{code}", post(upload))
        .route("/my/cases/{id}/submit", post(submit))
        .route("/my/cases/{id}/withdraw", post(withdraw))
        .route("/my/certificates/{id}", get(certificate))
}

/// The file types acceptance takes for a material.
const TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// Back to the case's page after an action: with `?done=` when it was done, or with the
/// service's refusal in its words.
async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    done: &str,
    outcome: Result<(), Failure>,
) -> PageResult<Response> {
    match settled(outcome, &format!("/my/cases/{id}?done={done}"))? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(state, ctx, id, None, Some(message)).await,
    }
}

/// A file for one material: multipart, the CSRF value in the query (the guard does not read
/// multipart bodies). A photo taken with the phone's camera arrives as a JPEG.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(Uuid, String)>,
    multipart: Multipart,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    let t = ctx.t;
    let Some(file) = Upload::read(multipart, "photo").await? else {
        return show(&state, &ctx, id, None, Some(t.s("upload.none").to_owned())).await;
    };
    if !TYPES.contains(&file.content_type.as_str()) {
        return show(&state, &ctx, id, None, Some(t.s("upload.type").to_owned())).await;
    }
    let outcome = file.provide(&state.api, session.token(), id, &code).await;
    after(&state, &ctx, id, "uploaded", outcome).await
}

/// What acceptance answers a submission.
#[derive(Deserialize)]
struct Submission {
    case: Submitted,
    query_password: Option<String>,
}

#[derive(Deserialize)]
struct Submitted {
    id: Uuid,
    number: Option<String>,
    item_name: String,
    submissions: i32,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct Receipt {
    chrome: Chrome,
    t: T,
    case: Submitted,
    /// Shown this once (acceptance keeps only its hash).
    password: Option<String>,
}

/// Submits, or resubmits after the correction notice: the receipt, with the query password at
/// the first submission. Sent again (a reload), acceptance refuses and the case page says so.
async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let path = format!("/v1/cases/{id}/submit");
    let answer: Result<Submission, Failure> = state
        .api
        .send(
            session.token(),
            Method::POST,
            Service::Acceptance,
            &path,
            &json!({}),
        )
        .await;
    match answer {
        Ok(submission) => html(&Receipt {
            chrome: Chrome::new(&ctx, "/my"),
            t: ctx.t,
            case: submission.case,
            password: submission.query_password,
        }),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            show(&state, &ctx, id, None, Some(refusal.message)).await
        }
        Err(failure) => Err(failure.into()),
    }
}

/// Withdraws the application, with the reason the person gives (if any).
async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let reason = value(&fields, "reason");
    if reason.chars().count() > 500 {
        let message = ctx.t.s("withdraw.long").to_owned();
        return show(&state, &ctx, id, None, Some(message)).await;
    }
    let outcome = state
        .api
        .act(
            session.token(),
            Method::POST,
            Service::Acceptance,
            &format!("/v1/cases/{id}/withdraw"),
            Some(&json!({ "reason": reason })),
        )
        .await;
    after(&state, &ctx, id, "withdrawn", outcome).await
}

/// A result's e-certificate, as approval prints it (A4, with the QR code of its public
/// status): for its holder only — another person's is not found.
async fn certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let path = format!("/v1/certificates/{id}/face");
    let answer = state
        .api
        .fetch(session.token(), Method::GET, Service::Approval, &path)
        .await
        .map_err(not_found)?;
    printable(answer).await
}
