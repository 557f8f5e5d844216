//! The hall's front page: one search box, the life events (一件事), and the ways to follow a
//! case or say how it went.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use tongban_pages::answer::html;
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::Bundle;
use crate::pages::frame::Chrome;

/// Life events shown on the front page at most (the rest are a click away).
const EVENTS: usize = 6;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    t: T,
    events: Vec<Bundle>,
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    // The front page shows without its life events rather than not at all.
    let events = match state
        .api
        .public_get::<Vec<Bundle>>(Service::Catalogue, &format!("/v1/bundles?limit={EVENTS}"))
        .await
    {
        Ok(events) => events,
        Err(failure) => {
            tracing::warn!(?failure, "the front page shows no life events");
            Vec::new()
        }
    };
    html(&Home {
        chrome: Chrome::new(&ctx, "/"),
        t: ctx.t,
        events,
    })
}
