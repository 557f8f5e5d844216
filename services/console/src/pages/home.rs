//! The home page: each of the person's roles with its work and counts. At most three calls,
//! made at once: the inbox's counts (window clerks, supervisors), the person's claimed steps
//! and the region's open work (approvers), the overdue work (supervisors).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use tongban_kernel::Role;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Chrome, html};
use crate::pages::inbox::Tab;
use crate::pages::views::{INBOX_LISTS, InboxCounts, Queue};
use crate::session::{Session, Staff};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    t: T,
    name: String,
    /// The person's roles, as words with their regions.
    roles: Vec<String>,
    /// The inbox's lists and counts (window clerks and supervisors).
    inbox: Option<Vec<Tab>>,
    deferred_overdue: i64,
    /// The steps the person has claimed (approvers).
    mine: Option<Queue>,
    /// The open work soonest due (approvers).
    queue: Option<Queue>,
    /// Overdue work in the region (supervisors).
    overdue: Option<Queue>,
}

async fn when<T>(
    wanted: bool,
    call: impl Future<Output = Result<T, Failure>>,
) -> Result<Option<T>, Failure> {
    if wanted {
        call.await.map(Some)
    } else {
        Ok(None)
    }
}

fn queue_path(filter: &str) -> String {
    format!("/v1/work-items?limit=5{filter}")
}

pub async fn page(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
) -> PageResult<Response> {
    let front = session.has(Role::WindowClerk) || session.has(Role::Supervisor);
    let approver = session.has(Role::Approver);
    let supervisor = session.has(Role::Supervisor);
    let token = session.token();
    let api = &state.api;
    let (mine_path, queue_path, overdue_path) = (
        queue_path("&mine=true"),
        queue_path(""),
        queue_path("&overdue=true"),
    );
    let (counts, mine, queue, overdue) = tokio::join!(
        when(
            front,
            api.get::<InboxCounts>(token, Service::Acceptance, "/v1/inbox")
        ),
        when(
            approver,
            api.get::<Queue>(token, Service::Approval, &mine_path)
        ),
        when(
            approver,
            api.get::<Queue>(token, Service::Approval, &queue_path)
        ),
        when(
            supervisor,
            api.get::<Queue>(token, Service::Approval, &overdue_path)
        ),
    );
    let counts = counts?;
    html(&Home {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/"),
        t,
        name: session.name.clone(),
        roles: roles(&state, &session, t).await,
        deferred_overdue: counts.as_ref().map_or(0, |c| c.deferred_overdue),
        inbox: counts.map(|c| {
            INBOX_LISTS
                .into_iter()
                .map(|name| Tab {
                    name,
                    count: c.of(name),
                    current: false,
                })
                .collect()
        }),
        mine: mine?,
        queue: queue?,
        overdue: overdue?,
    })
}

/// "窗口受理 · 赫山区" for each binding (region names are remembered after the first ask).
async fn roles(state: &AppState, session: &Session, t: T) -> Vec<String> {
    let mut words = Vec::new();
    for binding in &session.roles {
        let role = serde_json::to_value(binding.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let region = state.region_name(&binding.region).await;
        words.push(format!("{} · {region}", t.code("role", &role)));
    }
    words
}
