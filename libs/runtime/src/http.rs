//! The HTTP side of every service: one middleware stack, the standard routes, graceful serving.
//!
//! Every service (and the gateway) answers:
//! - `GET /healthz`: the process is alive (never touches a dependency).
//! - `GET /readyz`: every readiness check passes (database, broker); 503 otherwise.
//! - `GET /metrics`: Prometheus text exposition.
//! - `GET /openapi.json`: the OpenAPI 3.1 document generated from the code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::{ServiceBuilder, ServiceExt as _};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;

use tongban_kernel::Error;

use crate::config::HttpSettings;
use crate::health::{CheckOutcome, Readiness};
use crate::telemetry;

/// Liveness: the process answers (Kubernetes' liveness and startup probes).
pub const HEALTHZ: &str = "/healthz";
/// Readiness: every dependency check passes (Kubernetes' readiness probe); false from SIGTERM on.
pub const READYZ: &str = "/readyz";
/// Prometheus metrics.
pub const METRICS: &str = "/metrics";

/// The header that carries a request's id through every hop and back to the caller.
pub const REQUEST_ID: &str = "x-request-id";
/// The response header naming the request's trace, for a caller to quote to support.
pub const TRACE_ID: &str = "x-trace-id";

struct Probes {
    readiness: Readiness,
    openapi: serde_json::Value,
}

/// Wraps a service's API router (already given its state) into the full service: standard
/// routes, a JSON 404 fallback and the middleware stack.
pub fn service(
    name: &'static str,
    api: Router,
    doc: OpenApiDoc,
    readiness: Readiness,
    settings: &HttpSettings,
) -> Router {
    assemble(name, api, doc, readiness, settings, true)
}

/// [`service`] for the platform's public port: without `/metrics`, which says more about the
/// platform than its users need to know; [`metrics_only`] serves it on a port of its own.
pub fn public_service(
    name: &'static str,
    api: Router,
    doc: OpenApiDoc,
    readiness: Readiness,
    settings: &HttpSettings,
) -> Router {
    assemble(name, api, doc, readiness, settings, false)
}

/// `/metrics` alone, for a port that only monitoring reaches.
pub fn metrics_only() -> Router {
    crate::metrics::handle();
    Router::new()
        .route(METRICS, get(metrics))
        .fallback(not_found)
}

fn assemble(
    name: &'static str,
    api: Router,
    mut doc: OpenApiDoc,
    readiness: Readiness,
    settings: &HttpSettings,
    with_metrics: bool,
) -> Router {
    // Install the recorder before the first request: counts made before it are lost.
    crate::metrics::handle();
    doc.merge(ProbesApi::openapi());
    if !with_metrics {
        doc.paths.paths.remove(METRICS);
    }
    // Operations marked `security(("bearer" = []))` refer to this scheme: an access token from
    // identity's token endpoint.
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            utoipa::openapi::security::SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    doc.info.title = format!("Tongban {name} service");
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let openapi = serde_json::to_value(&doc).unwrap_or_default();
    let mut probes = Router::new()
        .route(HEALTHZ, get(healthz))
        .route(READYZ, get(readyz))
        .route("/openapi.json", get(openapi_json));
    if with_metrics {
        probes = probes.route(METRICS, get(metrics));
    }
    let probes = probes.with_state(Arc::new(Probes { readiness, openapi }));
    let router = api
        .merge(probes)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    with_layers(name, router, settings)
}

/// The middleware stack, outermost first: request id, trace span (continuing the caller's W3C
/// trace), metrics, panic → 500, timeout → 503, body limit → 413.
fn with_layers(name: &'static str, router: Router, settings: &HttpSettings) -> Router {
    let timeout = settings.request_timeout();
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(make_span)
                    .on_response(|res: &Response, latency: Duration, span: &Span| {
                        span.record("http.response.status_code", res.status().as_u16());
                        tracing::debug!(latency_ms = latency.as_millis() as u64, "response");
                    })
                    // A 5xx is logged where it is made, with its cause (`Error`'s response);
                    // tower-http's own ERROR line would repeat it without one, and would call
                    // every readiness probe answered 503 while starting or draining an error.
                    .on_failure(
                        |class: ServerErrorsFailureClass, latency: Duration, _: &Span| {
                            tracing::debug!(%class, latency_ms = latency.as_millis() as u64, "response failed");
                        },
                    ),
            )
            .layer(middleware::from_fn(trace_id_header))
            .layer(middleware::from_fn_with_state(name, record_metrics))
            .layer(CatchPanicLayer::custom(|_| {
                Error::internal("handler panicked").into_response()
            }))
            .layer(middleware::from_fn_with_state(timeout, enforce_timeout))
            .layer(DefaultBodyLimit::max(settings.body_limit_bytes)),
    )
}

fn make_span(req: &Request) -> Span {
    let route = route_of(req);
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{} {route}", req.method()),
        otel.kind = "server",
        http.request.method = %req.method(),
        http.route = %route,
        request_id = %request_id,
        http.response.status_code = tracing::field::Empty,
    );
    telemetry::set_parent_from(&span, header_pairs(req.headers()));
    span
}

/// The route template (`/v1/departments/{id}`), never the raw path: metrics stay bounded.
fn route_of(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned())
}

/// Header pairs with textual values, for the trace propagator.
pub fn header_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
}

/// Tells the caller which trace its request belongs to (the gateway's answer carries the
/// gateway's trace, which every service and consumer continues).
async fn trace_id_header(req: Request, next: Next) -> Response {
    let trace_id = telemetry::current_trace_id();
    let mut response = next.run(req).await;
    if let Ok(value) = http::HeaderValue::from_str(&trace_id) {
        response.headers_mut().entry(TRACE_ID).or_insert(value);
    }
    response
}

async fn record_metrics(State(service): State<&'static str>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = route_of(&req);
    let response = next.run(req).await;
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn enforce_timeout(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => Error::Timeout.into_response(),
    }
}

async fn not_found() -> Error {
    Error::NotFound("route".to_owned())
}

/// A route that exists answers another method: 405 with a JSON body like every error (axum
/// still sets `Allow`).
async fn method_not_allowed(method: axum::http::Method) -> axum::response::Response {
    let body = tongban_kernel::ErrorBody {
        code: "method_not_allowed".into(),
        message: format!("this route does not answer {method}: see Allow for the methods it does"),
        field: None,
    };
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

#[derive(OpenApi)]
#[openapi(
    paths(healthz, readyz, metrics),
    components(schemas(ReadyBody, CheckOutcome))
)]
struct ProbesApi;

/// Liveness: the process answers. Never touches a dependency, so a slow database does not get
/// the pod killed.
#[utoipa::path(get, path = "/healthz", tag = "probes", responses((status = 200, description = "alive")))]
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// What `/readyz` answers.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReadyBody {
    /// `ready` or `not_ready`.
    pub status: String,
    pub checks: Vec<CheckOutcome>,
}

/// Readiness: every dependency answers (database, broker).
#[utoipa::path(get, path = "/readyz", tag = "probes", responses(
    (status = 200, description = "ready", body = ReadyBody),
    (status = 503, description = "a dependency is down", body = ReadyBody),
))]
async fn readyz(State(probes): State<Arc<Probes>>) -> Response {
    let checks = probes.readiness.run().await;
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyBody {
        status: if ready { "ready" } else { "not_ready" }.to_owned(),
        checks,
    };
    (status, axum::Json(body)).into_response()
}

/// Prometheus metrics of the whole process.
#[utoipa::path(get, path = "/metrics", tag = "probes", responses((status = 200, description = "text exposition", content_type = "text/plain")))]
async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

async fn openapi_json(State(probes): State<Arc<Probes>>) -> impl IntoResponse {
    axum::Json(probes.openapi.clone())
}

/// A client for the platform's own servers (the gateway's upstreams, the catalogue's regions,
/// identity's keys): it keeps connections alive, but lets go of one idle for
/// [`HttpSettings::client_idle_timeout`], before the server would close it ([`serve`]).
pub fn client<B>(settings: &HttpSettings) -> Client<HttpConnector, B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    client_builder(settings).build_http()
}

/// [`client`]'s settings, for a caller that adds its own (a load generator's pool size).
pub fn client_builder(settings: &HttpSettings) -> hyper_util::client::legacy::Builder {
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(settings.client_idle_timeout());
    builder
}

/// Binds `host:port` (port 0 picks a free one).
pub async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    Ok(listener)
}

/// Serves `router` until `shutdown` is cancelled, then lets in-flight requests finish for at
/// most `http.shutdown_grace_ms`.
///
/// Each connection gets `http.header_read_timeout_ms` to send its first request's headers, and
/// each later request on a kept-alive connection the same, counted from the answer before it: a
/// client that trickles its headers (slowloris) or opens a connection and says nothing is
/// dropped instead of holding a task and a buffer forever, and so is a kept-alive connection
/// left idle that long ([`client`] lets go of its own sooner). A body is bounded by the request
/// timeout and the body limit ([`service`]).
pub async fn serve(
    name: &str,
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    settings: &HttpSettings,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(service = name, %addr, "listening");
    let (delay, grace) = (settings.shutdown_delay(), settings.shutdown_grace());
    let header_timeout = settings.header_read_timeout();
    let mut connections = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connections = Arc::new(connections);
    // Every connection task holds a receiver; `closing` tells them to finish what they serve
    // and close, and the sender's `closed()` resolves when the last one has.
    let (closing, watching) = tokio::sync::watch::channel(false);

    // Told to stop: `/readyz` fails at once (the Draining check watches `shutdown`) while
    // requests are still served for `delay`; then the listener closes and what is in flight
    // gets `grace` to finish.
    let accepting = async {
        shutdown.cancelled().await;
        if !delay.is_zero() {
            tracing::info!(
                service = name,
                ?delay,
                "not ready; serving until taken out of rotation"
            );
            tokio::time::sleep(delay).await;
        }
    };
    tokio::pin!(accepting);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut accepting => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: the listener is still good.
                    tracing::warn!(service = name, error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::spawn(serve_connection(
            stream,
            remote,
            router.clone(),
            connections.clone(),
            watching.clone(),
            header_timeout,
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    drop(watching);
    tokio::select! {
        () = closing.closed() => {}
        () = tokio::time::sleep(grace) => tracing::warn!(service = name, "shutdown grace period over, dropping requests"),
    }
    tracing::info!(service = name, "stopped serving");
    Ok(())
}

/// Serves one accepted connection until it ends or the server stops (`watching` changes): the
/// request in flight is finished, then the connection closes.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    remote: std::net::SocketAddr,
    router: Router,
    connections: Arc<hyper_util::server::conn::auto::Builder<TokioExecutor>>,
    mut watching: tokio::sync::watch::Receiver<bool>,
    header_timeout: Duration,
) {
    let _ = stream.set_nodelay(true);
    // Connection info lets the gateway rate-limit by client address.
    let service = TowerToHyperService::new(router.map_request(
        move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(remote));
            req
        },
    ));
    // hyper times a request's headers from their first byte: a connection that sends nothing
    // at all gets the same time to start. (One that is still silent when the server stops is
    // closed at once.)
    let mut first = [0u8; 1];
    let spoke = tokio::select! {
        peeked = tokio::time::timeout(header_timeout, stream.peek(&mut first)) => {
            matches!(peeked, Ok(Ok(1..)))
        }
        _ = watching.changed() => false,
    };
    if !spoke {
        return;
    }
    let connection = connections.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        _ = watching.changed() => {
            // Finish the request in flight, then close (idle connections at once).
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = served {
        tracing::trace!(error = %e, "connection ended");
    }
    drop(watching);
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    fn settings(timeout_ms: u64, body_limit_bytes: usize) -> HttpSettings {
        let mut settings = crate::Settings::load(None).unwrap().http;
        settings.request_timeout_ms = timeout_ms;
        settings.body_limit_bytes = body_limit_bytes;
        settings
    }

    async fn panicking() -> &'static str {
        panic!("boom: secret detail")
    }

    fn app() -> Router {
        let api = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "late"
                }),
            )
            .route("/panic", get(panicking))
            .route(
                "/echo",
                post(
                    |tongban_kernel::Json(v): tongban_kernel::Json<serde_json::Value>| async move {
                        tongban_kernel::Json(v)
                    },
                ),
            );
        service(
            "test",
            api,
            OpenApiDoc::default(),
            Readiness::default(),
            &settings(100, 64),
        )
    }

    async fn call(request: Request) -> (StatusCode, HeaderMap, serde_json::Value) {
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn a_slow_handler_is_cut_off_with_a_json_503() {
        let (status, _, body) = call(Request::get("/slow").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "timeout");
    }

    #[tokio::test]
    async fn a_panic_is_an_opaque_json_500() {
        let (status, _, body) = call(Request::get("/panic").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert!(!body.to_string().contains("secret"));
    }

    #[tokio::test]
    async fn an_oversized_body_is_a_json_413() {
        let request = Request::post("/echo")
            .header("content-type", "application/json")
            .body(Body::from(format!("\"{}\"", "x".repeat(100))))
            .unwrap();
        let (status, _, body) = call(request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["field"], "body");
    }

    #[tokio::test]
    async fn unknown_routes_are_json_404s_and_request_ids_are_kept() {
        let request = Request::get("/nowhere")
            .header(REQUEST_ID, "abc-123")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = call(request).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "not_found");
        assert_eq!(headers[REQUEST_ID], "abc-123");
        assert!(headers.contains_key(TRACE_ID));
    }

    #[tokio::test]
    async fn probes_answer_and_the_openapi_document_lists_them() {
        let (status, _, body) = call(Request::get("/healthz").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
        let (status, _, body) = call(Request::get("/readyz").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "no checks means ready");
        assert_eq!(body["status"], "ready");
        let (_, _, doc) = call(Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/metrics"].is_object());
    }

    #[tokio::test]
    async fn the_client_lets_go_of_a_connection_before_the_server_would_close_it() {
        use std::net::SocketAddr;

        use axum::extract::ConnectInfo;
        use http_body_util::{BodyExt, Empty};

        let mut http = settings(5_000, 1 << 10);
        http.header_read_timeout_ms = 800;
        let listener = bind("127.0.0.1", 0).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // Answers with the port the request came from: a new port is a new connection.
        let router = Router::new().route(
            "/port",
            get(
                |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.port().to_string() },
            ),
        );
        let stop = CancellationToken::new();
        let server = tokio::spawn({
            let (stop, http) = (stop.clone(), http.clone());
            async move { serve("test", listener, router, stop, &http).await }
        });
        let client = client::<Empty<axum::body::Bytes>>(&http);
        let port = || async {
            let request = Request::get(format!("{base}/port"))
                .body(Empty::new())
                .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(body.to_vec()).unwrap()
        };

        let first = port().await;
        assert_eq!(port().await, first, "a connection in use is kept alive");
        // Idle past half the server's header timeout but not the whole: the server has not
        // closed the connection yet, and the client no longer trusts it.
        tokio::time::sleep(Duration::from_millis(550)).await;
        let second = port().await;
        assert_ne!(
            second, first,
            "an idle connection is let go before the server's timeout"
        );
        // Past the server's timeout too, a request still gets through.
        tokio::time::sleep(Duration::from_millis(900)).await;
        port().await;
        stop.cancel();
        server.await.unwrap().unwrap();
    }
}
