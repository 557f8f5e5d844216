//! Running a site: its pages behind the standard probes (ready when its database answers and
//! it is not draining), served until shutdown, with ended sessions deleted once a minute.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use tongban_runtime::health::{DatabaseCheck, Draining, Readiness};
use tongban_runtime::{CancellationToken, Settings, http};

use crate::guard::PageSite;

/// How often ended sessions are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Serves `pages` (with the `doc` every component publishes) as component `name` on
/// `listener` until `shutdown`; closes the site's database afterwards.
pub async fn serve<S: PageSite>(
    name: &'static str,
    state: S,
    pages: Router,
    doc: utoipa::openapi::OpenApi,
    settings: &Settings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let pool = state.sessions().pool.clone();
    let readiness = Readiness::default()
        .with(DatabaseCheck(pool.clone()))
        .with(Draining(shutdown.clone()));
    let router = http::service(name, pages, doc, readiness, &settings.http);
    let sweeper = tokio::spawn(sweep(state, shutdown.clone()));
    let served = http::serve(name, listener, router, shutdown, &settings.http).await;
    sweeper.abort();
    pool.close().await;
    served
}

/// Deletes ended sessions once a minute.
async fn sweep<S: PageSite>(state: S, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
        let sessions = state.sessions();
        match sessions.sweep().await {
            Ok(0) => {}
            Ok(ended) => {
                tracing::debug!(
                    ended,
                    site = sessions.column.schema,
                    "ended sessions deleted"
                );
            }
            Err(err) => tracing::warn!(error = %err, "cannot delete ended sessions"),
        }
    }
}
