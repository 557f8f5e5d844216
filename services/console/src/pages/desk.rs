//! The cross-region desk (跨域通办): the transfers of the person's halls, out (cases taken in
//! here and decided elsewhere) and in (cases taken in elsewhere and decided here), each with
//! its hand-over deadline counting down; a transfer's page to take it over (接收), send it
//! back with a kind and a reason (退回), post paper (materials, the paper result) and confirm
//! what arrived.
//!
//! Calls: the list 1; a transfer 2 (it and its history); each action 1, with the revision the
//! page showed.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{
    Acted, Chrome, Clock, Countdown, Done, Fields, html, html_refused, posted, value, with_history,
};
use crate::pages::views::{Transfer, WorkEntry};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/transfers", get(list))
        .route("/console/transfers/{id}", get(transfer))
        .route("/console/transfers/{id}/{action}", post(act))
        .route("/console/transfers/{id}/legs/{leg}/receive", post(receive))
}

/// A transfer as a row of the desk: its deadline in words.
pub struct Row {
    pub transfer: Transfer,
    pub from: String,
    pub to: String,
    pub deadline: Countdown,
}

/// The hand-over deadline that matters now: to answer (sent), to deliver (returned), none
/// otherwise; crossregion counts what is left in working days.
fn deadline(t: T, transfer: &Transfer) -> Countdown {
    let (date, missed) = match transfer.state.as_str() {
        "sent" => (Some(transfer.respond_by), transfer.response_overdue),
        "returned" => (transfer.deliver_by, transfer.delivery_overdue),
        _ => (None, false),
    };
    Countdown::working_days(
        t,
        date,
        Clock {
            left: transfer.working_days_left,
            paused: false,
            late: missed,
            warned: false,
            soon: 1,
            none: "clock.no_deadline",
        },
    )
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    side: String,
    #[serde(default)]
    overdue: Option<String>,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct Desk {
    chrome: Chrome,
    t: T,
    side: &'static str,
    overdue: bool,
    rows: Vec<Row>,
}

async fn list(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Query(query): Query<ListQuery>,
) -> PageResult<Response> {
    let side = if query.side == "receiving" {
        "receiving"
    } else {
        "handling"
    };
    let overdue = query.overdue.is_some();
    // The widest region the person works in: the desk lists both halls' transfers there.
    let region =
        tongban_kernel::access::widest_region(&session.roles).ok_or(PageError::NotFound)?;
    let transfers: Vec<Transfer> = state
        .api
        .get(
            session.token(),
            Service::Crossregion,
            &format!(
                "/v1/transfers?limit=50&region_code={region}&side={side}{}",
                if overdue { "&overdue=true" } else { "" }
            ),
        )
        .await?;
    let mut rows = Vec::new();
    for transfer in transfers {
        rows.push(Row {
            from: state.region_named(&transfer.receiving_region).await,
            to: state.region_named(&transfer.handling_region).await,
            deadline: deadline(t, &transfer),
            transfer,
        });
    }
    html(&Desk {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/transfers"),
        t,
        side,
        overdue,
        rows,
    })
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    chrome: Chrome,
    t: T,
    row: Row,
    history: Vec<WorkEntry>,
    done: Option<String>,
    error: Option<String>,
}

async fn transfer(
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
    let (transfer, history): (Transfer, Vec<WorkEntry>) = with_history(
        &state.api,
        session.token(),
        Service::Crossregion,
        &format!("/v1/transfers/{id}"),
    )
    .await?;
    let row = Row {
        from: state.region_named(&transfer.receiving_region).await,
        to: state.region_named(&transfer.handling_region).await,
        deadline: deadline(*t, &transfer),
        transfer,
    };
    let refused = error.is_some();
    html_refused(
        &TransferPage {
            chrome: Chrome::staff(session, *t, state, path, "/console/transfers"),
            t: *t,
            row,
            history,
            done,
            error,
        },
        refused,
    )
}

/// Take over, send back, or post a leg.
async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let revision: Option<i32> = value(&fields, "revision").parse().ok();
    let (path, body, done) = match action.as_str() {
        "accept" => ("accept", json!({ "revision": revision }), "taken_over"),
        "reject" => (
            "reject",
            json!({
                "kind": value(&fields, "kind"),
                "reason": value(&fields, "reason"),
                "revision": revision,
            }),
            "sent_back_transfer",
        ),
        "legs" => (
            "legs",
            json!({
                "direction": value(&fields, "direction"),
                "carrier": value(&fields, "carrier"),
                "tracking_number": value(&fields, "tracking_number"),
            }),
            "posted",
        ),
        _ => return Err(PageError::NotFound),
    };
    after(
        &state,
        &staff,
        id,
        done,
        &format!("/v1/transfers/{id}/{path}"),
        body,
    )
    .await
}

async fn receive(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, leg)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let path = format!("/v1/transfers/{id}/legs/{leg}/receive");
    after(&state, &staff, id, "received", &path, json!({})).await
}

async fn after(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: &str,
    path: &str,
    body: Value,
) -> PageResult<Response> {
    let back = format!("/console/transfers/{id}?done={done}");
    match posted(state, staff, Service::Crossregion, path, Some(&body), &back).await? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(state, staff, id, None, Some(message)).await,
    }
}
