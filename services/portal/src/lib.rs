//! The online hall (网上办事大厅): the public pages under `/` where citizens and enterprises
//! find a service, read its guide (办事指南), follow a case by its number and rate a visit —
//! on a phone first, with an elders' mode (长辈版) after the MIIT ageing-friendly rules.
//!
//! Like the staff console it owns no case data and bypasses no rule: every page calls the
//! services' public APIs (with the signed-in person's token where one is needed), so what a
//! page shows is what the service answers. Its only table is `sessions`. Server-rendered
//! HTML from askama templates, one small script of its own, no third-party files; the
//! machinery of sessions, CSRF and words is shared with the console (`tongban-pages`).
//!
//! # Layout
//! - [`app`]: what every page shares.
//! - [`session`]: the hall's cookies and the pre-session value public forms repeat.
//! - [`catalogue`]: the catalogue's answers as the pages read them, and its code lists' words.
//! - [`regions`]: the region picker's lineages and divisions, kept.
//! - [`pages`]: one file per group of pages, each with its templates in `templates/`.
//! - [`i18n`]: the message catalogues.
//! - [`config`]: the `[portal]` section.

pub mod app;
pub mod catalogue;
pub mod config;
pub mod i18n;
pub mod pages;
pub mod regions;
pub mod session;

use std::sync::Arc;

use tokio::net::TcpListener;
use utoipa::OpenApi as _;

use tongban_kernel::AccountKind;
use tongban_pages::api::Service;
use tongban_pages::session::{Sessions, SiteSessions};
use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Settings};
use tongban_vault::store::Column;

pub use app::AppState;
use app::Inner;

/// The component's name and schema.
pub const NAME: &str = "portal";

/// The services the online hall's pages call: the catalogue's items and guides, the
/// applicant's cases, certificates, messages and bookings. Its network policies
/// (`k8s/base/networkpolicy.yaml`) let it reach these and no others; the manifest test holds
/// them to this list.
pub const CALLS: [Service; 6] = [
    Service::Identity,
    Service::Catalogue,
    Service::Acceptance,
    Service::Approval,
    Service::Notification,
    Service::Hall,
];

/// Where the sessions' tokens are kept, sealed under the KEK (`tongban admin rotate-kek`
/// re-wraps them).
pub const SEALED: Column = Column {
    schema: "portal",
    table: "sessions",
    key: "id_hash",
    column: "sealed_tokens",
};

/// The accounts the hall serves: people and enterprises, never staff or services.
const ACCEPTS: [AccountKind; 2] = [AccountKind::Citizen, AccountKind::Enterprise];

#[derive(utoipa::OpenApi)]
#[openapi(info(
    description = "The online hall: HTML pages under `/`, not an API. It calls the services' public APIs."
))]
struct ApiDoc;

/// Runs the online hall until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config: config::PortalSettings = settings.section()?;
    let sessions = Sessions::open(
        &settings,
        SiteSessions {
            name: NAME,
            max_connections: config.max_connections,
            idle_minutes: config.idle_minutes,
            session_hours: config.session_hours,
            column: &SEALED,
            accepts: &ACCEPTS,
            calls: &CALLS,
        },
        migrator(),
    )
    .await?;
    let state = AppState::new(Inner {
        site: session::site(config.secure_cookies),
        api: sessions.api.clone(),
        sessions,
        clock: settings.clock.clone(),
        names: RegionDirectory::new(&settings.http),
        regions: regions::Regions::default(),
        lists: catalogue::Lists::default(),
        upload_limit: settings.http.body_limit_bytes,
        config,
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
