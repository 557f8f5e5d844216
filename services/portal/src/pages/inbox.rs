//! The person's messages (站内信, `/my/inbox`): what notification sent them about their cases
//! — a correction notice to answer, an acceptance, a result — newest first, the ones to act on
//! marked; opening the page reads them, and each links to its case.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::html;
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;

pub fn router() -> Router<AppState> {
    Router::new().route("/my/inbox", get(page))
}

#[derive(Deserialize)]
pub struct Message {
    pub case_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Inbox {
    messages: Vec<Message>,
    unread: i64,
    next: Option<Uuid>,
}

#[derive(Deserialize)]
struct Before {
    before: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    t: T,
    messages: Vec<Message>,
    unread: i64,
    next: Option<String>,
}

/// A page of messages, newest first; those unread until now are marked as new on it, and read
/// from then on.
async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(before): Query<Before>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let mut path = "/v1/inbox?limit=20".to_owned();
    if let Some(before) = before.before {
        path.push_str(&format!("&before={before}"));
    }
    let inbox: Inbox = state
        .api
        .get(session.token(), Service::Notification, &path)
        .await?;
    if inbox.unread > 0 {
        // Seen now: the next visit shows them as read. A failure only leaves them unread.
        let marked = state
            .api
            .act::<()>(
                session.token(),
                Method::POST,
                Service::Notification,
                "/v1/inbox/read",
                None,
            )
            .await;
        if let Err(failure) = marked {
            tracing::warn!(?failure, "cannot mark the inbox read");
        }
    }
    html(&InboxPage {
        chrome: Chrome::new(&ctx, "/my/inbox"),
        t: ctx.t,
        messages: inbox.messages,
        unread: inbox.unread,
        next: inbox.next.map(|n| format!("/my/inbox?before={n}")),
    })
}
