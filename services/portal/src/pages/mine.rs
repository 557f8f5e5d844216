//! My applications (我的办件, `/my`): the signed-in person's cases, newest first, and each
//! case's page — where it stands, its countdown in working days (counted in the handling
//! centre's calendar, by the catalogue), and its timeline. Acceptance answers only the
//! applicant's own cases; another person's case is a page that says it was not found.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::{Clock, Countdown, html, urlencode, with_history};
use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;
use tongban_pages::session::Session;

use crate::AppState;
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/my", get(list))
        .route("/my/cases/{id}", get(one))
}

/// From how many working days left the countdown shows yellow.
const SOON: i64 = 3;

/// One of the person's applications, as acceptance lists it.
#[derive(Deserialize)]
pub struct Application {
    pub id: Uuid,
    pub number: Option<String>,
    pub name: String,
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub conclusion: Option<String>,
}

#[derive(Deserialize)]
struct Applications {
    items: Vec<Application>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "mine.html")]
struct Mine {
    chrome: Chrome,
    t: T,
    items: Vec<Application>,
    next: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(page): Query<Page>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let mut path = "/v1/cases/mine?limit=20".to_owned();
    if let Some(after) = &page.after {
        path.push_str(&format!("&after={}", urlencode(after)));
    }
    let found: Applications = state
        .api
        .get(session.token(), Service::Acceptance, &path)
        .await?;
    html(&Mine {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        items: found.items,
        next: found.next.map(|n| format!("/my?after={}", urlencode(&n))),
    })
}

/// The person signed in, or the sign-in page (and back here after it).
pub fn signed_in(ctx: &Ctx) -> PageResult<&Session> {
    ctx.session.as_ref().ok_or_else(|| PageError::SignIn {
        next: ctx.path.clone(),
    })
}

/// A case as its applicant sees it.
#[derive(Deserialize)]
struct Case {
    number: Option<String>,
    item_name: String,
    handling_region: String,
    status: String,
    due_date: Option<NaiveDate>,
    submitted_at: Option<DateTime<Utc>>,
    conclusion: Option<String>,
    refusal_reason: Option<String>,
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

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    t: T,
    case: Case,
    region_name: String,
    countdown: Option<Countdown>,
    timeline: Vec<(DateTime<Utc>, String)>,
}

#[derive(Deserialize)]
struct Count {
    working_days: i64,
}

async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let base = format!("/v1/cases/{id}");
    let (case, mut steps): (Case, Vec<Step>) =
        with_history(&state.api, session.token(), Service::Acceptance, &base).await?;
    // Oldest first: the way the case went.
    steps.reverse();
    let countdown = match (case.status.as_str(), case.due_date) {
        ("accepted", Some(due)) => {
            let today = state.clock.today();
            let path = format!(
                "/v1/calendar/regions/{}/working-days?from={today}&to={due}",
                case.handling_region
            );
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
            Some(Countdown::working_days(ctx.t, Some(due), clock))
        }
        _ => None,
    };
    let page = CasePage {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        region_name: state.region_named(&case.handling_region).await,
        case,
        countdown,
        timeline: timeline(ctx.t, steps),
    };
    html(&page)
}
