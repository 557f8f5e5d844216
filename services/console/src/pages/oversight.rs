//! The supervisor's oversight (督办): the region's overdue and nearly-due work, the ratings'
//! remediations awaiting a judgement (差评整改复核), and what was done under a centre's
//! separation-of-duties exception (职责分离例外), with the statistics dashboard one click away;
//! a remediation's page to judge its review and extend its deadline. Extending a case's time
//! limit is on the work item's page.
//!
//! Calls: the page 5 at once (the overdue and the nearly-due queue, the remediations under
//! review, the exception uses acceptance and approval counted); a remediation 2 (it and its
//! history); each action 1.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Days, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_kernel::Power;
use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{
    Acted, Chrome, Countdown, Done, Fields, html, html_refused, posted, value, with_history,
};
use crate::pages::views::{ExceptionUses, Queue, Remediation, WorkEntry};
use crate::pages::work::clocks;
use crate::session::Staff;

/// Work due within this many days (calendar) shows as nearly due.
const NEARLY_DUE_DAYS: u64 = 3;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/oversight", get(page))
        .route("/console/remediations/{id}", get(remediation))
        .route("/console/remediations/{id}/{action}", post(act))
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct Oversight {
    chrome: Chrome,
    t: T,
    region: String,
    overdue: Queue,
    overdue_clocks: Vec<Countdown>,
    nearly_due: Queue,
    nearly_due_clocks: Vec<Countdown>,
    reviews: Vec<Remediation>,
    /// The exception uses are shown: to a supervisor over a whole centre, not a department's.
    uses_shown: bool,
    /// Acceptance's (remediations) and approval's (cases) uses together.
    total: i64,
    tallies: Vec<Tally>,
    recent: Vec<UseLine>,
}

/// A centre's exception and how often it was used.
struct Tally {
    centre: String,
    reason: String,
    in_force: bool,
    uses: i64,
    last_at: Option<DateTime<Utc>>,
}

/// One action taken under an exception.
struct UseLine {
    at: Option<DateTime<Utc>>,
    centre: String,
    rule: String,
    reference: String,
    /// The action in the words of its service's history.
    action: String,
}

/// What acceptance (`remediation_action` words) and approval (`work_action`) counted, the
/// latest uses first.
async fn exceptions(
    state: &AppState,
    t: T,
    reports: [(Option<ExceptionUses>, &str); 2],
) -> (i64, Vec<Tally>, Vec<UseLine>) {
    let (mut total, mut tallies, mut recent) = (0, Vec::new(), Vec::new());
    for (report, family) in reports {
        let Some(report) = report else { continue };
        total += report.total;
        for tally in report.by_centre {
            tallies.push(Tally {
                centre: state.region_named(&tally.region_code).await,
                reason: tally.reason,
                in_force: tally.in_force,
                uses: tally.uses,
                last_at: tally.last_at,
            });
        }
        for used in report.recent {
            recent.push(UseLine {
                at: used.at,
                centre: state.region_named(&used.region_code).await,
                rule: used.rule,
                reference: used.reference,
                action: t.code(family, &used.action),
            });
        }
    }
    recent.sort_by_key(|used| std::cmp::Reverse(used.at));
    recent.truncate(20);
    (total, tallies, recent)
}

async fn page(State(state): State<AppState>, staff: Staff) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    // The widest region the person supervises.
    let region = session
        .widest_region(Power::Supervise)
        .ok_or(PageError::NotFound)?;
    let today = tongban_kernel::clock::local_date(state.clock.now());
    let soon = today + Days::new(NEARLY_DUE_DAYS);
    let (api, token) = (&state.api, session.token());
    let queue = move |filter: String| async move {
        let path = format!("/v1/work-items?limit=20&region_code={region}&{filter}");
        api.get::<Queue>(token, Service::Approval, &path).await
    };
    let uses = move |service| async move {
        api.get::<ExceptionUses>(token, service, "/v1/duty-exceptions/uses")
            .await
    };
    let reviews_path = format!("/v1/remediations?region_code={region}&state=under_review&limit=50");
    let (overdue, nearly_due, reviews, accepted_uses, approved_uses) = tokio::join!(
        queue("overdue=true".to_owned()),
        queue(format!("overdue=false&due_before={soon}")),
        api.get::<Vec<Remediation>>(token, Service::Acceptance, &reviews_path),
        uses(Service::Acceptance),
        uses(Service::Approval),
    );
    let (overdue, nearly_due, reviews) = (overdue?, nearly_due?, reviews?);
    // A department's supervisor is refused the centre-wide counts: the section stays out.
    let uses_shown = accepted_uses.is_ok() || approved_uses.is_ok();
    let reports = [
        (accepted_uses.ok(), "remediation_action"),
        (approved_uses.ok(), "work_action"),
    ];
    let (total, tallies, recent) = exceptions(&state, t, reports).await;
    html(&Oversight {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/oversight"),
        t,
        region: state.region_named(&region.to_string()).await,
        overdue_clocks: clocks(t, &overdue.items),
        overdue,
        nearly_due_clocks: clocks(t, &nearly_due.items),
        nearly_due,
        reviews,
        uses_shown,
        total,
        tallies,
        recent,
    })
}

#[derive(Template)]
#[template(path = "remediation.html")]
struct RemediationPage {
    chrome: Chrome,
    t: T,
    remediation: Remediation,
    history: Vec<WorkEntry>,
    done: Option<String>,
    error: Option<String>,
}

async fn remediation(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    let done = done.words(staff.t);
    show(&state, &staff, id, done, None).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let (remediation, history): (Remediation, Vec<WorkEntry>) = with_history(
        &state.api,
        session.token(),
        Service::Acceptance,
        &format!("/v1/remediations/{id}"),
    )
    .await?;
    let refused = error.is_some();
    html_refused(
        &RemediationPage {
            chrome: Chrome::staff(session, *t, state, path, "/console/oversight"),
            t: *t,
            remediation,
            history,
            done,
            error,
        },
        refused,
    )
}

/// Judge the review (`review`) or extend the deadline (`extend`).
async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let (body, done): (Value, &str) = match action.as_str() {
        "review" => {
            let uphold = value(&fields, "uphold") == "yes";
            (
                json!({ "uphold": uphold, "note": value(&fields, "note") }),
                if uphold {
                    "review_upheld"
                } else {
                    "review_rejected"
                },
            )
        }
        // The number as typed: acceptance names the field when it is out of range.
        "extension" => (
            json!({
                "working_days": value(&fields, "working_days").parse::<u32>().unwrap_or(0),
                "reason": value(&fields, "reason"),
            }),
            "remediation_extended",
        ),
        _ => return Err(PageError::NotFound),
    };
    let path = format!("/v1/remediations/{id}/{action}");
    let back = format!("/console/remediations/{id}?done={done}");
    match posted(
        &state,
        &staff,
        Service::Acceptance,
        &path,
        Some(&body),
        &back,
    )
    .await?
    {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(&state, &staff, id, None, Some(message)).await,
    }
}
