//! The window's calling panel (叫号, `/console/calling`): the clerk picks the hall and the
//! window they sit at, and works its queue — call the next ticket, call again, start serving,
//! mark absent (过号), send the person to another group, finish (the visit is recorded for
//! the rating device, counted on the case served when the clerk gives its number). Beside it, the window's rating device (评价器,
//! `/console/calling/{window}/rating`), a second screen facing the person, signed in as the
//! clerk: the visit just finished, rated once with five buttons (一次一评).
//!
//! Each action is one call to the hall service (or, for the rating, acceptance's public
//! endpoint); the page is shown again with what was done, or the service's refusal.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::api::{Failure, Refusal, Service};
use tongban_pages::error::PageResult;
use tongban_pages::hall::Centre;
use tongban_pages::rating::LEVELS;

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Chrome, Fields, html, html_refused, not_found, value};
use crate::pages::intake::{self, Hall, halls};
use crate::pages::views::HallCases;
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/calling", get(panel))
        .route("/console/calling/{window}/{action}", post(act))
        .route("/console/calling/{window}/rating", get(device).post(rate))
}

/// The ticket a window holds.
#[derive(Deserialize)]
struct Ticket {
    number: String,
    status: String,
    priority: String,
    calls: i32,
    called_at: Option<DateTime<Utc>>,
    appointment_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct Board {
    waiting: Vec<Waiting>,
}

#[derive(Deserialize)]
struct Waiting {
    letter: String,
    name: String,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "calling.html")]
struct Panel {
    chrome: Chrome,
    t: T,
    halls: Vec<Hall>,
    hall: String,
    centre: Option<String>,
    windows: Vec<(Uuid, String, bool)>,
    /// The window worked at: its id, name and group's id.
    window: Option<(Uuid, String, Uuid)>,
    ticket: Option<Ticket>,
    /// Groups a ticket may be sent to (the window's own left out).
    groups: Vec<(Uuid, String)>,
    waiting: Vec<Waiting>,
    done: Option<String>,
    error: Option<String>,
    case_number: String,
}

#[derive(Deserialize, Default)]
struct Chosen {
    #[serde(default)]
    hall: String,
    window: Option<Uuid>,
    done: Option<String>,
    /// The case number typed at a finish that was refused, kept to be corrected.
    #[serde(default)]
    case_number: String,
}

async fn panel(
    State(state): State<AppState>,
    staff: Staff,
    Query(chosen): Query<Chosen>,
) -> PageResult<Response> {
    show(&state, &staff, chosen, None).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    chosen: Chosen,
    error: Option<String>,
) -> PageResult<Response> {
    let halls = halls(state, &staff.session, &chosen.hall).await;
    let hall = intake::chosen(&halls).unwrap_or_default();
    let mut page = Panel {
        chrome: Chrome::staff(
            &staff.session,
            staff.t,
            state,
            &staff.path,
            "/console/calling",
        ),
        t: staff.t,
        halls,
        hall: hall.clone(),
        centre: None,
        windows: Vec::new(),
        window: None,
        ticket: None,
        groups: Vec::new(),
        waiting: Vec::new(),
        done: chosen.done.filter(|d| DONE.contains(&d.as_str())),
        error,
        case_number: chosen.case_number,
    };
    if !hall.is_empty() {
        // A hall not set up yet: the page says so.
        if let Ok(centre) = state
            .api
            .public_get::<Centre>(Service::Hall, &format!("/v1/centres/{hall}"))
            .await
        {
            fill(state, staff, &mut page, centre, chosen.window).await?;
        }
    }
    let refused = page.error.is_some();
    html_refused(&page, refused)
}

/// What the page shows of the centre and the window worked at.
async fn fill(
    state: &AppState,
    staff: &Staff,
    page: &mut Panel,
    centre: Centre,
    chosen: Option<Uuid>,
) -> PageResult<()> {
    let window = centre
        .windows
        .iter()
        .find(|w| Some(w.id) == chosen && w.active)
        .map(|w| (w.id, w.name.clone(), w.group_id));
    page.windows = centre
        .windows
        .iter()
        .filter(|w| w.active)
        .map(|w| (w.id, w.name.clone(), Some(w.id) == chosen))
        .collect();
    if let Some((id, _, group)) = &window {
        let path = format!("/v1/windows/{id}/ticket");
        page.ticket = match state
            .api
            .get(staff.session.token(), Service::Hall, &path)
            .await
        {
            Ok(ticket) => Some(ticket),
            Err(Failure::Refused(r)) if r.status.as_u16() == 404 => None,
            Err(failure) => return Err(failure.into()),
        };
        page.groups = centre
            .groups
            .iter()
            .filter(|g| g.active && g.id != *group)
            .map(|g| (g.id, format!("{} · {}", g.letter, g.name)))
            .collect();
    }
    let board: Board = state
        .api
        .public_get(Service::Hall, &format!("/v1/centres/{}/board", page.hall))
        .await?;
    page.waiting = board.waiting;
    page.centre = Some(centre.name);
    page.window = window;
    Ok(())
}

/// What the panel may say was done.
const DONE: [&str; 6] = ["call", "recall", "start", "absent", "finish", "transfer"];

/// An action on the window's queue: `call` the next ticket (or the one named), or one on the
/// ticket the window holds.
async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path((window, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    if !DONE.contains(&action.as_str()) {
        return Err(tongban_pages::error::PageError::NotFound);
    }
    let hall = value(&fields, "hall").to_owned();
    let token = staff.session.token();
    let outcome = if action == "call" {
        let path = format!("/v1/windows/{window}/call");
        state
            .api
            .act(token, Method::POST, Service::Hall, &path, Some(&json!({})))
            .await
    } else {
        held_act(&state, &staff, window, &action, &fields).await
    };
    let back = Chosen {
        hall: hall.clone(),
        window: Some(window),
        done: None,
        case_number: value(&fields, "case_number").trim().to_owned(),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/console/calling?hall={hall}&window={window}&done={action}"
        ))
        .into_response()),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            // The hall's refusal in the clerk's words, or its own message for one not listed.
            let words = refusal.in_words(staff.t, "calling.refused");
            show(&state, &staff, back, Some(words)).await
        }
        Err(failure) => Err(failure.into()),
    }
}

/// `action` on the ticket window `window` holds now.
async fn held_act(
    state: &AppState,
    staff: &Staff,
    window: Uuid,
    action: &str,
    fields: &Fields,
) -> Result<(), Failure> {
    let token = staff.session.token();
    #[derive(Deserialize)]
    struct Held {
        id: Uuid,
    }
    let held: Held = state
        .api
        .get(
            token,
            Service::Hall,
            &format!("/v1/windows/{window}/ticket"),
        )
        .await?;
    let body: Value = match action {
        "transfer" => json!({ "group_id": value(fields, "group_id") }),
        "finish" => {
            let case = case_numbered(state, token, value(fields, "case_number")).await?;
            json!({ "purpose": value(fields, "purpose"), "case_id": case })
        }
        _ => json!({}),
    };
    let path = format!("/v1/tickets/{}/{action}", held.id);
    state
        .api
        .act(token, Method::POST, Service::Hall, &path, Some(&body))
        .await
}

/// The case numbered `number` (the receipt's 受理编号, typed or scanned) among the clerk's
/// hall's cases; none when no number is given, 422 naming the field when no such case is in
/// the clerk's scope.
async fn case_numbered(
    state: &AppState,
    token: &str,
    number: &str,
) -> Result<Option<Uuid>, Failure> {
    let number = number.trim();
    if number.is_empty() {
        return Ok(None);
    }
    let unknown = || {
        Failure::Refused(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "case_number".into(),
            message: format!("no case numbered {number} in this hall"),
            field: Some("case_number".into()),
        })
    };
    if !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(unknown());
    }
    let found: HallCases = match state
        .api
        .get(
            token,
            Service::Acceptance,
            &format!("/v1/cases?limit=1&number={number}"),
        )
        .await
    {
        // A number of the wrong shape: acceptance names the field; the page names the same.
        Err(Failure::Refused(r)) if r.status.as_u16() == 400 => return Err(unknown()),
        found => found?,
    };
    found
        .items
        .first()
        .map(|case| Some(case.id))
        .ok_or_else(unknown)
}

/// The visit the device shows.
#[derive(Deserialize)]
struct ToRate {
    ticket_id: Uuid,
    number: String,
    rating_code: Option<String>,
}

#[derive(Template)]
#[template(path = "rating_device.html")]
struct Device {
    chrome: Chrome,
    t: T,
    window: Uuid,
    /// The visit to rate; none between visits, or once rated.
    visit: Option<ToRate>,
    levels: [&'static str; 5],
    /// The ticket whose visit the device was just rated for (thanked, and not shown again).
    rated: Option<Uuid>,
}

#[derive(Deserialize, Default)]
struct Rated {
    rated: Option<Uuid>,
}

async fn device(
    State(state): State<AppState>,
    staff: Staff,
    Path(window): Path<Uuid>,
    Query(rated): Query<Rated>,
) -> PageResult<Response> {
    let path = format!("/v1/windows/{window}/rating");
    let visit = match state
        .api
        .get::<ToRate>(staff.session.token(), Service::Hall, &path)
        .await
    {
        Ok(visit) => Some(visit),
        // Nothing finished at the window today yet.
        Err(Failure::Refused(r)) if r.status.as_u16() == 404 => None,
        Err(failure) => return Err(not_found(failure)),
    };
    let visit = visit.filter(|v| Some(v.ticket_id) != rated.rated && v.rating_code.is_some());
    html(&Device {
        chrome: Chrome::staff(&staff.session, staff.t, &state, &staff.path, ""),
        t: staff.t,
        window,
        visit,
        levels: LEVELS,
        rated: rated.rated,
    })
}

/// The person's rating, sent as theirs (no account: the device's), once.
async fn rate(
    State(state): State<AppState>,
    // The device is signed in as the window's clerk; the rating itself is the person's.
    _staff: Staff,
    Path(window): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let code = value(&fields, "code");
    let ticket = value(&fields, "ticket");
    let level = value(&fields, "level");
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) || !LEVELS.contains(&level) {
        return Err(tongban_pages::error::PageError::NotFound);
    }
    let path = format!("/v1/ratings/visits/{code}");
    let body = json!({ "level": level });
    match state
        .api
        .public_act(Method::POST, Service::Acceptance, &path, &body)
        .await
    {
        // Rated now, or already (a second press): thanked either way.
        Ok(()) => {}
        Err(Failure::Refused(r)) if r.status.as_u16() == 409 => {}
        Err(failure) => return Err(failure.into()),
    }
    Ok(Redirect::to(&format!("/console/calling/{window}/rating?rated={ticket}")).into_response())
}
