//! The back office (后台审批): the approver's queue, soonest due first (so overdue first), and a
//! work item's page — its statutory clock as a countdown (in words and colour, never colour
//! alone), its steps, and the open step's actions: claim (签收), complete with an opinion, send
//! back to an earlier step (退回), decide (approve, or refuse with the written reason), pause
//! the clock with the applicant's notice and resume it. Separation of duties is approval's:
//! a refusal (`one_step_per_person`, `acceptor_does_not_approve`) is shown in its words.
//!
//! Calls: the queue 1; a work item 2 (it and its history), 3 for a part of a 一件事 application
//! (its parts side by side); each action 1, with the revision
//! the page showed (a work item changed meanwhile is refused, not overwritten).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_kernel::Role;
use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{
    Acted, Chrome, Clock, Countdown, Done, Fields, html, html_refused, posted, urlencode, value,
    with_history,
};
use crate::pages::views::{JointCase, Queue, QueueEntry, WorkEntry, WorkItem};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/queue", get(queue))
        .route("/console/work/{id}", get(work))
        .route("/console/work/{id}/steps/{position}/{action}", post(step))
        .route("/console/work/{id}/clock/{action}", post(clock))
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    t: T,
    queue: Queue,
    /// Each entry's clock in words, in the queue's order.
    rows: Vec<Countdown>,
    mine: bool,
    overdue: bool,
    next: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Query(query): Query<QueueQuery>,
) -> PageResult<Response> {
    let (mine, overdue) = (query.mine.is_some(), query.overdue.is_some());
    let mut filters = String::new();
    if mine {
        filters.push_str("&mine=true");
    }
    if overdue {
        filters.push_str("&overdue=true");
    }
    let after = query
        .after
        .as_deref()
        .map(|a| format!("&after={}", urlencode(a)))
        .unwrap_or_default();
    let queue: Queue = state
        .api
        .get(
            session.token(),
            Service::Approval,
            &format!("/v1/work-items?limit=30{filters}{after}"),
        )
        .await?;
    let next = queue.next.as_deref().map(|n| {
        let kept = [(mine, "mine=1&"), (overdue, "overdue=1&")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, q)| *q)
            .collect::<String>();
        format!("/console/queue?{kept}after={}", urlencode(n))
    });
    let rows = clocks(t, &queue.items);
    html(&QueuePage {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/queue"),
        t,
        queue,
        rows,
        mine,
        overdue,
        next,
    })
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    chrome: Chrome,
    t: T,
    item: WorkItem,
    /// For a part of a 一件事 application: the application and all its parts.
    joint: Option<JointCase>,
    history: Vec<WorkEntry>,
    me: Uuid,
    /// A supervisor may extend the time limit (负责人批准延期).
    supervises: bool,
    clock: Countdown,
    handling: String,
    done: Option<String>,
    error: Option<String>,
}

async fn work(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    let done = done.words(staff.t);
    show(&state, &staff, id, done, None).await
}

/// The work item's page, with what the last action did or why it was refused.
async fn show(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let (item, history): (WorkItem, Vec<WorkEntry>) = with_history(
        &state.api,
        session.token(),
        Service::Approval,
        &format!("/v1/work-items/{id}"),
    )
    .await?;
    // A part of a 一件事 application: its siblings side by side (one more call). Parts of other
    // departments the person may not see leave the table out, not the page.
    let joint = match item.parent_case_id {
        Some(parent) => state
            .api
            .get::<JointCase>(
                session.token(),
                Service::Approval,
                &format!("/v1/joint-cases/{parent}"),
            )
            .await
            .ok(),
        None => None,
    };
    let handling = state.region_named(&item.handling_region).await;
    let clock = countdown(
        *t,
        item.due_date,
        item.working_days_left,
        &item.light,
        item.paused(),
    );
    let refused = error.is_some();
    html_refused(
        &WorkPage {
            chrome: Chrome::staff(session, *t, state, path, "/console/queue"),
            t: *t,
            item,
            joint,
            history,
            me: session.account_id,
            supervises: session.has(Role::Supervisor),
            clock,
            handling,
            done,
            error,
        },
        refused,
    )
}

/// Each queue line's clock, in the lines' order.
pub fn clocks(t: T, items: &[QueueEntry]) -> Vec<Countdown> {
    items
        .iter()
        .map(|entry| {
            let light = if entry.overdue { "red" } else { "green" };
            let paused = entry.state == "paused";
            countdown(t, entry.due_date, entry.working_days_left, light, paused)
        })
        .collect()
}

/// The statutory clock of a work item (or a queue's line) in working days.
fn countdown(
    t: T,
    due: Option<NaiveDate>,
    left: Option<i64>,
    light: &str,
    paused: bool,
) -> Countdown {
    Countdown::working_days(
        t,
        due,
        Clock {
            left,
            paused,
            late: light == "red",
            warned: light == "yellow",
            soon: 2,
            none: "clock.no_limit",
        },
    )
}

/// What the page showed: the work item's revision, when the form carried it.
fn revision(fields: &Fields) -> Option<i32> {
    value(fields, "revision").parse().ok()
}

/// The body an action on a step sends, from its form.
fn step_body(action: &str, fields: &Fields) -> Option<Value> {
    let revision = revision(fields);
    let written = |name: &str| Some(value(fields, name)).filter(|v| !v.is_empty());
    Some(match action {
        "claim" => json!({ "revision": revision }),
        "complete" => json!({ "opinion": value(fields, "opinion"), "revision": revision }),
        "return" => json!({
            "to_step": value(fields, "to_step").parse::<i32>().unwrap_or(0),
            "reason": value(fields, "reason"),
            "revision": revision,
        }),
        "decide" => json!({
            "decision": value(fields, "decision"),
            "opinion": value(fields, "opinion"),
            "reason": written("reason"),
            "valid_until": written("valid_until"),
            "revision": revision,
        }),
        _ => return None,
    })
}

async fn step(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, position, action)): Path<(Uuid, i32, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let body = step_body(&action, &fields).ok_or(PageError::NotFound)?;
    let done = match (action.as_str(), value(&fields, "decision")) {
        ("decide", "refuse") => "refused_decision".to_owned(),
        ("decide", _) => "approved".to_owned(),
        ("return", _) => "sent_back".to_owned(),
        (other, _) => format!("{other}ed").replace("eed", "ed"),
    };
    let path = format!("/v1/work-items/{id}/steps/{position}/{action}");
    after(&state, &staff, id, &done, &path, body).await
}

async fn clock(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let revision = revision(&fields);
    let (body, done) = match action.as_str() {
        "pause" => (
            json!({
                "kind": value(&fields, "kind"),
                "reason": value(&fields, "reason"),
                "notice": value(&fields, "notice"),
                "revision": revision,
            }),
            "paused",
        ),
        "resume" => (json!({ "revision": revision }), "resumed"),
        // The form's number as typed: approval names the field when it is not a number.
        "extend" => (
            json!({
                "working_days": value(&fields, "working_days").parse::<i32>().unwrap_or(0),
                "reason": value(&fields, "reason"),
                "revision": revision,
            }),
            "extended",
        ),
        _ => return Err(PageError::NotFound),
    };
    let path = match action.as_str() {
        "extend" => format!("/v1/work-items/{id}/extensions"),
        _ => format!("/v1/work-items/{id}/{action}"),
    };
    after(&state, &staff, id, done, &path, body).await
}

/// Sends `body` to `path` and shows the work item again: with what was done, or with the
/// service's refusal.
async fn after(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: &str,
    path: &str,
    body: Value,
) -> PageResult<Response> {
    let back = format!("/console/work/{id}?done={done}");
    match posted(state, staff, Service::Approval, path, Some(&body), &back).await? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(state, staff, id, None, Some(message)).await,
    }
}
