//! My applications (我的办件, `/my`): the signed-in person's cases, newest first (each case's
//! own page is [`super::case`]).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::{Countdown, html, urlencode};
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::case::countdown;
use crate::pages::frame::{Chrome, signed_in};

pub fn router() -> Router<AppState> {
    Router::new().route("/my", get(list))
}

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
    pub handling_region: String,
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
    /// Each application with its countdown while the time limit runs.
    items: Vec<(Application, Option<Countdown>)>,
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
    let mut items = Vec::with_capacity(found.items.len());
    for a in found.items {
        let clock = countdown(&state, ctx.t, &a.status, a.due_date, &a.handling_region).await;
        items.push((a, clock));
    }
    html(&Mine {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        items,
        next: found.next.map(|n| format!("/my?after={}", urlencode(&n))),
    })
}
