//! Printable documents (issue 25), rendered by the platform from the case's data, Chinese
//! first, A4 (HTML with a print style sheet: a browser prints it cleanly, and the browser test
//! prints each to PDF): the 受理通知书 with a new query password, the 一次性告知书, the
//! 不予受理通知书 with the applicant's remedies, and the 补正材料收取凭证. Each is headed with
//! the case number and the applicant and signed with the receiving service centre's name and
//! its seal's. Whoever may see the case may print it (the applicant, staff in scope); each
//! document exists once its event has happened (409 before, saying what is missing).
//!
//! A document is a whole page with its own style and no script: it is served with a policy that
//! allows its inline style sheet and nothing else.

pub mod pages;

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, ErrorBody, Path, Principal, Printable, RegionCode, Result};

use crate::AppState;
use crate::case::state::Status;
use crate::case::view::{Case, get};
use pages::{Correction, CorrectionNotice, CorrectionsReceived, Head, Received, Refusal};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receipt))
        .routes(routes!(correction_notice))
        .routes(routes!(refusal))
        .routes(routes!(corrections_received))
}

/// The page as an answer.
fn html(page: impl Template) -> Result<Printable> {
    let body = page
        .render()
        .map_err(|e| Error::internal(format!("a document's template: {e}")))?;
    Ok(Printable(body))
}

/// A day in China, as documents write it.
fn day(at: DateTime<Utc>) -> String {
    written(tongban_runtime::clock::local_date(at))
}

fn written(date: NaiveDate) -> String {
    date.format("%Y年%m月%d日").to_string()
}

/// The head of `title` for `case`: its number, applicant and item, and the centre that
/// received it (its name from the catalogue's division tree).
async fn head(state: &AppState, title: &'static str, case: &Case) -> Result<Head> {
    let region: RegionCode = case
        .receiving_region
        .parse()
        .map_err(|_| Error::internal(format!("case {}: its receiving region", case.id)))?;
    let lineage = state
        .regions
        .named_lineage(&region, "receiving_region")
        .await?;
    let name = lineage.last().map(|r| r.name.clone()).unwrap_or_default();
    let centre = match region.level() {
        RegionLevel::Town | RegionLevel::Village => format!("{name}便民服务中心"),
        _ => format!("{name}政务服务中心"),
    };
    Ok(Head {
        title,
        number: case.number.clone().unwrap_or_default(),
        seal: format!("{centre}综合受理专用章"),
        centre,
        issued_on: day(state.clock.now()),
        applicant_name: case.applicant_name.clone().unwrap_or_default(),
        applicant_document: case.applicant_document.clone().unwrap_or_default(),
        item_name: case.item_name.clone(),
        implementation_code: case.implementation_code.clone(),
        submitted_on: case.submitted_at.map(day).unwrap_or_default(),
    })
}

fn conflict(code: &'static str, message: &str) -> Error {
    Error::Conflict {
        code,
        message: message.into(),
    }
}

/// The material names of `case` by code.
fn material_name(case: &Case, code: &str) -> String {
    case.materials
        .iter()
        .find(|m| m.material_code == code)
        .map_or_else(|| code.to_owned(), |m| m.name.clone())
}

/// 受理通知书 (受理回执) of an accepted case, with a new query password: handing over the paper
/// is when the applicant gets one, so printing it issues one and voids the one before (in the
/// history as `query_password_issued`). For the applicant and the receiving region's window
/// clerks; 409 `not_accepted` before acceptance.
#[utoipa::path(post, path = "/{id}/documents/receipt", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the printable receipt", content_type = "text/html", body = String),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn receipt(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<impl IntoResponse> {
    let receipt = crate::case::view::receipt(&state.pool, &principal, id).await?;
    let case = get(&state.pool, &principal, id).await?;
    let now = state.clock.now();
    let issued =
        crate::case::password::reissue(&state.pool, &state.passwords, &principal, id, now).await?;
    let materials = receipt
        .materials
        .iter()
        .map(|m| Received {
            name: m.name.clone(),
            how: match (m.deferred_until, &m.attachment, m.certificate_id) {
                (Some(until), None, _) => format!("容缺后补（{} 前）", written(until)),
                (_, _, Some(_)) => "电子证照".into(),
                _ => "已提交".into(),
            },
        })
        .collect::<Vec<_>>();
    let due = match receipt.due_date {
        None => "即时办结".to_owned(),
        Some(due) if receipt.due_date_provisional => {
            format!(
                "{}（按已公布的节假日安排推算，如有调整以实际为准）",
                written(due)
            )
        }
        Some(due) => written(due),
    };
    html(pages::Receipt {
        head: head(&state, "受理通知书", &case).await?,
        accepted_on: day(receipt.accepted_at),
        due,
        query_password: issued.query_password,
        deferred: materials.iter().any(|m| m.how.starts_with("容缺")),
        materials,
    })
}

/// 一次性告知书: every material missing or defective and what is wrong with it, at once. 409
/// `no_correction_notice` when none was sent.
#[utoipa::path(get, path = "/{id}/documents/correction-notice", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the printable notice", content_type = "text/html", body = String),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn correction_notice(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<impl IntoResponse> {
    let (case, requested_at) = corrected(&state, &principal, id).await?;
    let items = corrections(&case, false);
    html(CorrectionNotice {
        head: head(&state, "一次性告知书", &case).await?,
        items,
        requested_on: day(requested_at),
    })
}

/// The case and when its last correction notice was sent; 409 when none was.
async fn corrected(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(Case, DateTime<Utc>)> {
    let case = get(&state.pool, principal, id).await?;
    let requested_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "select requested_at from correction_notices where case_id = $1 order by round desc limit 1",
    )
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    match (requested_at, &case.correction) {
        (Some(at), Some(_)) => Ok((case, at)),
        _ => Err(conflict(
            "no_correction_notice",
            "no one-time correction notice was sent for this case",
        )),
    }
}

/// The notice's items by material name, with the files received for them when `received`.
fn corrections(case: &Case, received: bool) -> Vec<Correction> {
    case.correction
        .iter()
        .flatten()
        .map(|item| {
            let file = case
                .materials
                .iter()
                .find(|m| m.material_code == item.material_code)
                .and_then(|m| m.attachment.as_ref())
                .map_or_else(
                    || "未收到".to_owned(),
                    |a| format!("{}（{}）", a.filename, day(a.uploaded_at)),
                );
            Correction {
                name: material_name(case, &item.material_code),
                reason: item.reason.clone(),
                file: if received { file } else { String::new() },
            }
        })
        .collect()
}

/// 不予受理通知书: the reason, and the applicant's remedies (行政复议 within 60 days, 行政诉讼
/// within 6 months). 409 `not_refused` unless the case was refused.
#[utoipa::path(get, path = "/{id}/documents/refusal", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the printable notice", content_type = "text/html", body = String),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn refusal(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<impl IntoResponse> {
    let case = get(&state.pool, &principal, id).await?;
    if case.status != Status::Refused {
        return Err(conflict(
            "not_refused",
            "a refusal notice is printed for a case the window refused",
        ));
    }
    html(Refusal {
        head: head(&state, "不予受理通知书", &case).await?,
        reason: case.refusal_reason.clone().unwrap_or_default(),
        decided_on: case.decided_at.map(day).unwrap_or_default(),
    })
}

/// 补正材料收取凭证: the materials the correction notice asked for, as received with the
/// resubmission. 409 `not_resubmitted` before the applicant resubmitted.
#[utoipa::path(get, path = "/{id}/documents/corrections-received", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "the printable voucher", content_type = "text/html", body = String),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn corrections_received(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<impl IntoResponse> {
    let (case, _) = corrected(&state, &principal, id).await?;
    if case.submissions < 2 || case.status == Status::NeedsCorrection {
        return Err(conflict(
            "not_resubmitted",
            "the voucher is printed once the corrected materials were handed in (resubmitted)",
        ));
    }
    html(CorrectionsReceived {
        head: head(&state, "补正材料收取凭证", &case).await?,
        items: corrections(&case, true),
        received_on: case.submitted_at.map(day).unwrap_or_default(),
    })
}
