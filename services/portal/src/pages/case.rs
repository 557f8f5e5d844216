//! A case's own page (`/my/cases/{id}`), as its applicant sees it: where it stands, its
//! countdown in working days (counted in the handling centre's calendar, by the catalogue),
//! what it still needs (the materials to upload, the e-certificates used instead, the
//! correction notice to answer), a life event's parts, the results to download, the rating,
//! and its timeline. The actions on it are in [`super::act`]. Acceptance answers only the
//! applicant's own cases; another person's case is a page that says it was not found.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::{Clock, Countdown, Done, html_refused, with_history};
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::Item;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;

pub fn router() -> Router<AppState> {
    Router::new().route("/my/cases/{id}", get(one))
}

/// From how many working days left the countdown shows yellow.
const SOON: i64 = 3;

/// The states in which the applicant still changes the application.
pub const EDITABLE: [&str; 2] = ["draft", "needs_correction"];
/// The states in which the applicant may still withdraw (acceptance's table).
const WITHDRAWABLE: [&str; 5] = [
    "draft",
    "submitted",
    "needs_correction",
    "accepted",
    "returned",
];
/// The states with a result to see and rate.
const CONCLUDED: [&str; 2] = ["concluded", "delivered"];

/// A material's file, as acceptance describes it.
#[derive(Deserialize)]
pub struct Attachment {
    pub filename: String,
}

/// A material of the case.
#[derive(Deserialize)]
pub struct Material {
    pub material_code: String,
    pub name: String,
    pub necessity: String,
    pub attachment: Option<Attachment>,
    pub certificate_id: Option<Uuid>,
    pub deferred_until: Option<NaiveDate>,
}

/// A material the correction notice asks for again, and why.
#[derive(Deserialize)]
pub struct Correction {
    pub material_code: String,
    pub reason: String,
}

/// A part of a life event's application.
#[derive(Deserialize)]
pub struct Part {
    pub number: Option<String>,
    pub implementation_code: String,
    pub status: String,
    pub due_date: Option<NaiveDate>,
}

/// A result of the decision (a certificate, when issued electronically).
#[derive(Deserialize)]
pub struct Outcome {
    pub name: String,
    pub certificate_id: Option<Uuid>,
}

/// A case as its applicant sees it.
#[derive(Deserialize)]
pub struct Case {
    pub id: Uuid,
    pub number: Option<String>,
    pub item_name: String,
    pub handling_region: String,
    pub status: String,
    pub due_date: Option<NaiveDate>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub conclusion: Option<String>,
    pub conclusion_reason: Option<String>,
    pub refusal_reason: Option<String>,
    #[serde(default)]
    pub materials: Vec<Material>,
    pub correction: Option<Vec<Correction>>,
    #[serde(default)]
    pub parts: Vec<Part>,
    #[serde(default)]
    results: Vec<Issued>,
    /// The real-name level the applicant has shown, and the one the item needs.
    pub real_name_level: u8,
    pub real_name_level_needed: u8,
}

/// A result as acceptance keeps it: the certificate's id is empty for a result issued on
/// paper only.
#[derive(Deserialize)]
struct Issued {
    name: String,
    #[serde(default)]
    certificate_id: String,
}

impl Case {
    /// The case's results, each with its e-certificate if one was issued.
    fn outcomes(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.results)
            .into_iter()
            .map(|r| Outcome {
                name: r.name,
                certificate_id: r.certificate_id.parse().ok(),
            })
            .collect()
    }
}

/// A step of the case's history.
#[derive(Deserialize)]
struct Step {
    at: DateTime<Utc>,
    action: String,
    to_status: String,
}

/// What the applicant is shown of each step: its time and what happened, in words; a run of
/// the same action (each material uploaded) once, at its first time.
fn timeline(t: T, steps: Vec<Step>) -> Vec<(DateTime<Utc>, String)> {
    let mut shown: Vec<(DateTime<Utc>, String)> = Vec::new();
    let mut last_action = String::new();
    for step in steps {
        if step.action == last_action {
            continue;
        }
        let words = t.code("action", &step.action);
        // An action new to the catalogue says where the case went instead.
        let words = if words == step.action {
            t.code("status", &step.to_status)
        } else {
            words
        };
        shown.push((step.at, words));
        last_action = step.action;
    }
    shown
}

/// An e-certificate the applicant holds that stands in for a material.
#[derive(Deserialize)]
struct Held {
    material_code: String,
    certificate_type: String,
}

/// The case's rating, as its rater sees it.
#[derive(Deserialize)]
pub struct Rating {
    pub level: String,
    pub comment: String,
    pub remediation: Option<Remediation>,
}

/// What became of a bad rating (整改): its state and, once closed, what was done.
#[derive(Deserialize)]
pub struct Remediation {
    pub state: String,
    pub outcome: Option<String>,
}

/// A material as the page lists it: what is still needed, in words.
pub struct Listed {
    pub code: String,
    pub name: String,
    pub necessity: String,
    /// The file uploaded, if any.
    pub file: Option<String>,
    /// The e-certificate used instead, by type (一证通办).
    pub certificate: Option<String>,
    /// The correction notice's reason, when it asks for this one again.
    pub correct: Option<String>,
    pub deferred_until: Option<NaiveDate>,
}

/// A part of a life event's application, named.
pub struct NamedPart {
    pub name: String,
    pub part: Part,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    t: T,
    case: Case,
    region_name: String,
    countdown: Option<Countdown>,
    timeline: Vec<(DateTime<Utc>, String)>,
    materials: Vec<Listed>,
    parts: Vec<NamedPart>,
    outcomes: Vec<Outcome>,
    rating: Option<Rating>,
    editable: bool,
    /// The item needs a higher real-name level than the person has.
    real_name_needed: bool,
    withdrawable: bool,
    concluded: bool,
    /// The largest file, in bytes.
    limit_bytes: usize,
    /// What was just done (`?done=`), in words.
    done: Option<String>,
    /// Why an action was refused, in the service's words.
    error: Option<String>,
}

async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    show(&state, &ctx, id, done.words(ctx.t), None).await
}

/// The case page, with what was just done or why an action was refused.
pub async fn show(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let session = signed_in(ctx)?;
    let token = session.token();
    let base = format!("/v1/cases/{id}");
    let (mut case, mut steps): (Case, Vec<Step>) =
        with_history(&state.api, token, Service::Acceptance, &base).await?;
    // Oldest first: the way the case went.
    steps.reverse();
    let editable = EDITABLE.contains(&case.status.as_str());
    let concluded = CONCLUDED.contains(&case.status.as_str());
    // The case records the level shown when it was last sent; the person may have verified
    // since (then the submission records the new one).
    let real_name_needed = editable
        && case.real_name_level < case.real_name_level_needed
        && state
            .api
            .get::<Me>(token, Service::Identity, "/v1/accounts/me")
            .await
            .map_or(true, |me| me.real_name_level < case.real_name_level_needed);
    let held: Vec<Held> = if editable {
        let path = format!("{base}/certificates");
        state.api.get(token, Service::Acceptance, &path).await?
    } else {
        Vec::new()
    };
    // A case not rated yet answers 404.
    let rating = if concluded {
        let path = format!("/v1/cases/{id}/rating");
        state.api.get(token, Service::Acceptance, &path).await.ok()
    } else {
        None
    };
    let page = CasePage {
        chrome: Chrome::new(ctx, "/my"),
        t: ctx.t,
        region_name: state.region_named(&case.handling_region).await,
        countdown: countdown(
            state,
            ctx.t,
            &case.status,
            case.due_date,
            &case.handling_region,
        )
        .await,
        timeline: timeline(ctx.t, steps),
        materials: listed(&case, &held),
        parts: named_parts(state, std::mem::take(&mut case.parts)).await,
        outcomes: case.outcomes(),
        withdrawable: WITHDRAWABLE.contains(&case.status.as_str()),
        rating,
        real_name_needed,
        limit_bytes: state.upload_limit,
        editable,
        concluded,
        case,
        done,
        error: error.clone(),
    };
    html_refused(&page, error.is_some())
}

/// The countdown of a case in `status` due on `due`, in the working days of its handling
/// centre (`region`): only while the time limit runs (accepted).
pub async fn countdown(
    state: &AppState,
    t: T,
    status: &str,
    due: Option<NaiveDate>,
    region: &str,
) -> Option<Countdown> {
    let (true, Some(due)) = (status == "accepted", due) else {
        return None;
    };
    let today = state.clock.today();
    let path = format!("/v1/calendar/regions/{region}/working-days?from={today}&to={due}");
    let left = state
        .api
        .public_get::<Count>(Service::Catalogue, &path)
        .await
        .ok()
        .map(|c| c.working_days);
    let clock = Clock {
        left,
        paused: false,
        late: left.is_some_and(|l| l < 0),
        warned: false,
        soon: SOON,
        none: "clock.none",
    };
    Some(Countdown::working_days(t, Some(due), clock))
}

/// The person's account as identity has it now.
#[derive(Deserialize)]
struct Me {
    real_name_level: u8,
}

#[derive(Deserialize)]
struct Count {
    working_days: i64,
}

/// The materials with what each still needs: a file, an e-certificate in its stead, or the
/// correction the notice asks for.
fn listed(case: &Case, held: &[Held]) -> Vec<Listed> {
    // The notice stays on the case once answered: only an open one asks for anything.
    let corrections = match case.status.as_str() {
        "needs_correction" => case.correction.as_deref().unwrap_or_default(),
        _ => &[],
    };
    case.materials
        .iter()
        .map(|m| Listed {
            code: m.material_code.clone(),
            name: m.name.clone(),
            necessity: m.necessity.clone(),
            file: m.attachment.as_ref().map(|a| a.filename.clone()),
            certificate: held
                .iter()
                .find(|h| h.material_code == m.material_code)
                .map(|h| h.certificate_type.clone())
                .or_else(|| m.certificate_id.map(|_| String::new())),
            correct: corrections
                .iter()
                .find(|c| c.material_code == m.material_code)
                .map(|c| c.reason.clone()),
            deferred_until: m.deferred_until,
        })
        .collect()
}

/// A life event's parts with their items' names (from the catalogue; the code when it is
/// not there any more).
async fn named_parts(state: &AppState, parts: Vec<Part>) -> Vec<NamedPart> {
    let mut named = Vec::with_capacity(parts.len());
    for part in parts {
        let path = format!("/v1/items/{}", part.implementation_code);
        let name = match state
            .api
            .public_get::<Item>(Service::Catalogue, &path)
            .await
        {
            Ok(item) => item.name,
            Err(_) => part.implementation_code.clone(),
        };
        named.push(NamedPart { name, part });
    }
    named
}
