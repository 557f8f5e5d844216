//! The staff console (综合受理 / 审批 in a browser): the pages window clerks, cross-region desks,
//! approvers, supervisors and administrators do their day's work in, under `/console/`.
//!
//! It owns no case data and bypasses no rule: every page calls the services' public APIs with
//! the signed-in person's token, so what a page shows or does is exactly what that person may
//! see or do through the API. Its only table is `sessions`.
//!
//! Server-rendered HTML from askama templates (checked at compile time, escaped by default)
//! with htmx (vendored in `assets/`, see `assets/README.md`) for partial updates; no Node at
//! build or run time. Words come from the message catalogues in `messages/` (zh-CN, en).
//!
//! What any server-rendered site needs — sessions and their table, the guard (session, CSRF),
//! the services' client, the words' machinery, error answers and security headers — is the
//! page kit's (`tongban_pages`), shared with the online hall; the console brings its pages,
//! its words, its cookies and its error page.
//!
//! # Layout
//! - [`app`]: what every page shares ([`AppState`]), and what the kit's guard needs of it.
//! - [`session`]: the console's cookies and sealed column, whom it serves, the [`session::Staff`]
//!   every working page requires; the kit's guard and sessions, re-exported.
//! - [`pages`]: one file per group of pages, each with its templates in `templates/`; the
//!   frame of every page and the error page (with the security headers) among them.
//! - [`i18n`]: the console's message catalogues.
//! - [`config`]: the `[console]` section.

pub mod app;
pub mod config;
pub mod i18n;
pub mod pages;
pub mod session;

use std::sync::Arc;

use tokio::net::TcpListener;
use utoipa::OpenApi as _;

use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Settings};

pub use app::AppState;
use app::Inner;
use session::Sessions;
use tongban_pages::api::Service;
use tongban_pages::session::SiteSessions;

/// The component's name and schema.
pub const NAME: &str = "console";

/// The services the console's pages call: the staff's work is in these. Its network policies
/// (`k8s/base/networkpolicy.yaml`) let it reach these and no others; the manifest test holds
/// them to this list.
pub const CALLS: [Service; 6] = [
    Service::Identity,
    Service::Catalogue,
    Service::Acceptance,
    Service::Approval,
    Service::Crossregion,
    Service::Hall,
];

#[derive(utoipa::OpenApi)]
#[openapi(info(
    description = "The staff console: HTML pages under `/console/`, not an API. It calls the services' APIs with the signed-in person's token."
))]
struct ApiDoc;

/// Runs the console until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config: config::ConsoleSettings = settings.section()?;
    let sessions = Sessions::open(
        &settings,
        SiteSessions {
            name: NAME,
            max_connections: config.max_connections,
            idle_minutes: config.idle_minutes,
            session_hours: config.session_hours,
            column: &session::SEALED,
            accepts: session::ACCEPTS,
            calls: &CALLS,
        },
        migrator(),
    )
    .await?;
    let state = AppState::new(Inner {
        api: sessions.api.clone(),
        sessions,
        clock: settings.clock.clone(),
        site: session::site(config.secure_cookies),
        config,
        regions: RegionDirectory::new(&settings.http),
    });
    let pages = pages::router(state.clone());
    tongban_pages::serve::serve(
        NAME,
        state,
        pages,
        ApiDoc::openapi(),
        &settings,
        listener,
        shutdown,
    )
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
