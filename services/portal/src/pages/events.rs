//! Life events (一件事一次办, `/life-events`): the bundles in force, and each bundle's guide —
//! what it does in one application, the items of the departments it joins (each with its own
//! guide), and the materials asked for once for all of them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use uuid::Uuid;

use tongban_pages::answer::{html, not_found};
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::Bundle;
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/life-events", get(list))
        .route("/life-events/{id}", get(one))
}

/// A bundle with the name of the region whose halls offer it.
struct Offered {
    bundle: Bundle,
    region_name: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct Events {
    chrome: Chrome,
    t: T,
    events: Vec<Offered>,
}

#[derive(Template)]
#[template(path = "event.html")]
struct Event {
    chrome: Chrome,
    t: T,
    event: Offered,
}

async fn offered(state: &AppState, bundle: Bundle) -> Offered {
    Offered {
        region_name: state.region_named(&bundle.region_code).await,
        bundle,
    }
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let bundles: Vec<Bundle> = state
        .api
        .public_get(Service::Catalogue, "/v1/bundles?limit=100")
        .await?;
    let mut events = Vec::with_capacity(bundles.len());
    for bundle in bundles {
        events.push(offered(&state, bundle).await);
    }
    html(&Events {
        chrome: Chrome::new(&ctx, "/life-events"),
        t: ctx.t,
        events,
    })
}

async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let bundle: Bundle = state
        .api
        .public_get(Service::Catalogue, &format!("/v1/bundles/{id}"))
        .await
        .map_err(not_found)?;
    html(&Event {
        chrome: Chrome::new(&ctx, "/life-events"),
        t: ctx.t,
        event: offered(&state, bundle).await,
    })
}
