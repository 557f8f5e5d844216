//! The gateway: the one public port. `/api/<service>/…` is proxied to that service with the
//! prefix stripped, the request id kept and the W3C trace continued; `/console/…` to the staff
//! console whole, and every other path to the public online hall.
//!
//! # Layout
//! - [`guard`]: rate limits and token verification in front of the proxy.
//! - [`proxy`]: forwarding a request to a service and its answer back.
//! - [`app`] and [`run`]: the router (proxy + the standard probes) and its life.
//!
//! The gateway's token check is a first filter; every service verifies again and enforces
//! jurisdiction itself.

pub mod config;
pub mod guard;
pub mod proxy;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use futures::future::BoxFuture;
use tokio::net::TcpListener;
use utoipa::OpenApi;

use tongban_runtime::health::{Readiness, ReadinessCheck};
use tongban_runtime::{CancellationToken, Settings, http};

use guard::Guard;
use proxy::Proxy;
use tongban_auth::Verifier;

pub const NAME: &str = "gateway";

#[derive(OpenApi)]
#[openapi(info(
    description = "The public entry point. Each service's API is under `/api/<service>/v1/…`, its OpenAPI document at `/api/<service>/openapi.json`, its readiness at `/api/<service>/readyz`."
))]
struct ApiDoc;

/// The gateway's router, proxying to `upstreams` (service name → base URL) behind `guard`.
pub fn app(
    upstreams: &BTreeMap<String, String>,
    settings: &Settings,
    guard: Arc<Guard>,
    shutdown: CancellationToken,
) -> anyhow::Result<Router> {
    let proxy = Arc::new(Proxy::new(upstreams, &settings.http)?);
    let readiness = proxy.upstreams().fold(
        Readiness::default().with(tongban_runtime::health::Draining(shutdown)),
        |ready, (name, base)| {
            ready.with(UpstreamCheck {
                name: name.to_owned(),
                proxy: proxy.clone(),
                base: base.to_owned(),
            })
        },
    );
    let api = Router::new()
        .route("/api/{service}", any(proxy::forward))
        .route("/api/{service}/{*rest}", any(proxy::forward))
        // The staff console under `/console/`, the public online hall everywhere else.
        .route("/console", any(proxy::forward_page))
        .route("/console/", any(proxy::forward_page))
        .route("/console/{*rest}", any(proxy::forward_page))
        .route("/", any(proxy::forward_page))
        .route("/{*rest}", any(proxy::forward_page))
        .with_state(proxy)
        .route_layer(axum::middleware::from_fn_with_state(guard, guard::guard));
    Ok(http::public_service(
        NAME,
        api,
        ApiDoc::openapi(),
        readiness,
        &settings.http,
    ))
}

/// Serves the gateway until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    upstreams: BTreeMap<String, String>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let verifier = Arc::new(Verifier::for_platform(&settings));
    let config: config::GatewaySettings = settings.section()?;
    let guard = Arc::new(Guard::new(verifier, &config));
    let router = app(&upstreams, &settings, guard.clone(), shutdown.clone())?;
    // Limiter state for clients gone quiet is dropped once a minute.
    let sweeper = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(60)) => guard.forget_idle(),
                    () = shutdown.cancelled() => return,
                }
            }
        })
    };
    let metrics = match config.metrics_port {
        0 => None,
        port => {
            let listener = TcpListener::bind((settings.http.host.as_str(), port)).await?;
            let (shutdown, http_settings) = (shutdown.clone(), settings.http.clone());
            Some(tokio::spawn(async move {
                http::serve(
                    "gateway-metrics",
                    listener,
                    http::metrics_only(),
                    shutdown,
                    &http_settings,
                )
                .await
            }))
        }
    };
    let served = http::serve(NAME, listener, router, shutdown, &settings.http).await;
    sweeper.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    served
}

/// The gateway is ready when every service behind it is alive.
struct UpstreamCheck {
    name: String,
    proxy: Arc<Proxy>,
    base: String,
}

impl ReadinessCheck for UpstreamCheck {
    fn name(&self) -> &str {
        &self.name
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.proxy
                .probe(&format!("{}{}", self.base, http::HEALTHZ))
                .await
        })
    }
}
