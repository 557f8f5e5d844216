//! The hall's inbox (综合受理): its lists with their counts, one list a page at a time, oldest
//! first. Two calls to acceptance: the counts and the page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Chrome, html, urlencode};
use crate::pages::views::{HallCases, INBOX_LISTS, InboxCounts};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/inbox",
            get(|| async { Redirect::to("/console/inbox/awaiting_review").into_response() }),
        )
        .route("/console/inbox/{list}", get(page))
}

/// A tab of the inbox.
pub struct Tab {
    pub name: &'static str,
    pub count: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    chrome: Chrome,
    t: T,
    tabs: Vec<Tab>,
    list: &'static str,
    cases: HallCases,
    /// How many of the list's cases have a 容缺 material past its deadline.
    deferred_overdue: i64,
    /// The link to the next page, when there is one.
    next: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Path(list): Path<String>,
    Query(query): Query<ListQuery>,
) -> PageResult<Response> {
    let list = INBOX_LISTS
        .into_iter()
        .find(|name| *name == list)
        .ok_or(PageError::NotFound)?;
    let after = query
        .after
        .as_deref()
        .map(|a| format!("&after={}", urlencode(a)))
        .unwrap_or_default();
    let page_path = format!("/v1/inbox/{list}?limit=20{after}");
    let (counts, cases) = tokio::join!(
        state
            .api
            .get::<InboxCounts>(session.token(), Service::Acceptance, "/v1/inbox"),
        state
            .api
            .get::<HallCases>(session.token(), Service::Acceptance, &page_path),
    );
    let (counts, cases) = (counts?, cases?);
    let next = cases
        .next
        .as_deref()
        .map(|n| format!("/console/inbox/{list}?after={}", urlencode(n)));
    html(&Inbox {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/inbox"),
        t,
        tabs: INBOX_LISTS
            .into_iter()
            .map(|name| Tab {
                name,
                count: counts.of(name),
                current: name == list,
            })
            .collect(),
        list,
        deferred_overdue: counts.deferred_overdue,
        cases,
        next,
    })
}
