//! The hall's own screens, no account needed: the kiosk (取号机, `/halls/{region}/kiosk`) —
//! take a ticket for a window group, with the identity card for the green channel from age
//! 65, or check a booking in by its QR code or the card — the ticket it prints
//! (`/halls/{region}/tickets/{id}`), and the display board (叫号屏, `/halls/{region}/board`),
//! drawn by the server and kept live by the hall's server-sent events (`board.js`; without
//! the script the page still shows the board as it was when loaded).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::answer::{html, html_refused, not_found};
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::hall::Group;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::booking::{centre, refused};
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/halls/{region}/kiosk", get(kiosk))
        .route("/halls/{region}/kiosk/ticket", post(take))
        .route("/halls/{region}/kiosk/check-in", post(check_in))
        .route("/halls/{region}/tickets/{id}", get(ticket))
        .route("/halls/{region}/board", get(board))
}

#[derive(Template)]
#[template(path = "kiosk.html")]
struct Kiosk {
    chrome: Chrome,
    t: T,
    region: String,
    centre: String,
    groups: Vec<Group>,
    error: Option<String>,
}

async fn kiosk_page(
    state: &AppState,
    ctx: &Ctx,
    region: &str,
    error: Option<String>,
) -> PageResult<Response> {
    let centre = centre(state, region).await?;
    let refused = error.is_some();
    let page = Kiosk {
        chrome: Chrome::new(ctx, ""),
        t: ctx.t,
        region: region.to_owned(),
        centre: centre.name,
        groups: centre.groups.into_iter().filter(|g| g.active).collect(),
        error,
    };
    html_refused(&page, refused)
}

async fn kiosk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
) -> PageResult<Response> {
    kiosk_page(&state, &ctx, &region, None).await
}

#[derive(Deserialize)]
struct Taken {
    group_id: Uuid,
    #[serde(default)]
    id_number: String,
}

#[derive(Deserialize)]
struct Issued {
    id: Uuid,
}

/// The ticket page of what the hall issued, or the kiosk again with its refusal.
async fn issued(
    state: &AppState,
    ctx: &Ctx,
    region: &str,
    path: &str,
    body: &Value,
) -> PageResult<Response> {
    match state
        .api
        .public_send::<_, Issued>(Method::POST, Service::Hall, path, body)
        .await
    {
        Ok(ticket) => {
            Ok(Redirect::to(&format!("/halls/{region}/tickets/{}", ticket.id)).into_response())
        }
        Err(Failure::Refused(refusal)) => {
            let words = refused(ctx.t, &refusal);
            kiosk_page(state, ctx, region, Some(words)).await
        }
        Err(failure) => Err(failure.into()),
    }
}

async fn take(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
    Form(form): Form<Taken>,
) -> PageResult<Response> {
    let mut body = json!({ "group_id": form.group_id });
    let card = form.id_number.trim();
    if !card.is_empty() {
        body["id_number"] = json!(card);
    }
    let path = format!("/v1/centres/{region}/tickets");
    issued(&state, &ctx, &region, &path, &body).await
}

#[derive(Deserialize)]
struct Scanned {
    #[serde(default)]
    code: String,
}

/// A booking's QR code carries its id; anything else read is taken for the card's number.
async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
    Form(form): Form<Scanned>,
) -> PageResult<Response> {
    let code = form.code.trim();
    let body = match Uuid::parse_str(code) {
        Ok(id) => json!({ "appointment_id": id }),
        Err(_) => json!({ "id_number": code }),
    };
    let path = format!("/v1/centres/{region}/check-in");
    issued(&state, &ctx, &region, &path, &body).await
}

/// A ticket as its holder sees it.
#[derive(Deserialize)]
struct Ticket {
    number: String,
    group_name: String,
    priority: String,
    status: String,
    ahead: i64,
    arrived_at: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    chrome: Chrome,
    t: T,
    region: String,
    centre: String,
    ticket: Ticket,
}

async fn ticket(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((region, id)): Path<(String, Uuid)>,
) -> PageResult<Response> {
    let ticket: Ticket = state
        .api
        .public_get(Service::Hall, &format!("/v1/tickets/{id}"))
        .await
        .map_err(not_found)?;
    let centre = centre(&state, &region).await?;
    html(&TicketPage {
        chrome: Chrome::new(&ctx, ""),
        t: ctx.t,
        region,
        centre: centre.name,
        ticket,
    })
}

/// The board as the hall service draws it.
#[derive(Deserialize)]
struct Board {
    centre: String,
    windows: Vec<WindowNow>,
    recent: Vec<Call>,
    waiting: Vec<GroupWaiting>,
}

#[derive(Deserialize)]
struct WindowNow {
    name: String,
    group: String,
    number: Option<String>,
}

#[derive(Deserialize)]
struct Call {
    number: String,
    window: String,
}

#[derive(Deserialize)]
struct GroupWaiting {
    letter: String,
    name: String,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    t: T,
    region: String,
    board: Board,
}

async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
) -> PageResult<Response> {
    let board: Board = state
        .api
        .public_get(Service::Hall, &format!("/v1/centres/{region}/board"))
        .await
        .map_err(not_found)?;
    html(&BoardPage {
        chrome: Chrome::new(&ctx, ""),
        t: ctx.t,
        region,
        board,
    })
}

/// "请 A012 号到 3号窗口": the newest call, as the board announces it.
fn calling(t: &T, call: &Call) -> String {
    t.f("board.calling", &[&call.number, &call.window])
}
