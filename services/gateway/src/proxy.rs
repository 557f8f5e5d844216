//! Forwarding: `/api/<service>/<rest>?<query>` → `<upstream>/<rest>?<query>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use tongban_kernel::Error;
use tongban_runtime::telemetry;

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1); never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub struct Proxy {
    upstreams: BTreeMap<String, String>,
    client: Client<HttpConnector, Body>,
    body_limit: usize,
}

impl Proxy {
    pub fn new(
        upstreams: &BTreeMap<String, String>,
        http: &tongban_runtime::config::HttpSettings,
    ) -> anyhow::Result<Self> {
        let mut checked = BTreeMap::new();
        for (name, base) in upstreams {
            let uri: Uri = base
                .parse()
                .map_err(|e| anyhow::anyhow!("upstream {name} = {base}: {e}"))?;
            anyhow::ensure!(
                uri.scheme().is_some() && uri.authority().is_some(),
                "upstream {name} = {base} is not an absolute http URL"
            );
            checked.insert(name.clone(), base.trim_end_matches('/').to_owned());
        }
        Ok(Self {
            upstreams: checked,
            client: tongban_runtime::http::client(http),
            body_limit: http.body_limit_bytes,
        })
    }

    pub fn upstreams(&self) -> impl Iterator<Item = (&str, &str)> {
        self.upstreams.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// GETs `url` and expects a 2xx (the readiness check).
    pub async fn probe(&self, url: &str) -> Result<(), String> {
        let uri: Uri = url.parse().map_err(|e| format!("{e}"))?;
        let request = Request::get(uri)
            .body(Body::empty())
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", response.status()))
        }
    }
}

/// The proxy handler for `/api/{service}` and `/api/{service}/{*rest}`.
pub async fn forward(
    State(proxy): State<Arc<Proxy>>,
    Path(params): Path<BTreeMap<String, String>>,
    request: Request,
) -> Response {
    match forward_inner(&proxy, &params, request).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn forward_inner(
    proxy: &Proxy,
    params: &BTreeMap<String, String>,
    request: Request,
) -> Result<Response, Error> {
    let service = params
        .get("service")
        .map(String::as_str)
        .unwrap_or_default();
    let base = proxy
        .upstreams
        .get(service)
        .ok_or_else(|| Error::NotFound(format!("service {service}")))?;
    let rest = params.get("rest").map(String::as_str).unwrap_or_default();
    // A service's metrics are for monitoring inside the cluster, not for anyone with a token;
    // identity's sign-in cut-offs are for the token verifiers inside it.
    if rest.trim_matches('/') == "metrics"
        || (service == "identity" && rest.trim_matches('/') == ".well-known/revocations.json")
    {
        return Err(Error::NotFound(format!(
            "/api/{service}/{}",
            rest.trim_matches('/')
        )));
    }
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let target: Uri = format!("{base}/{rest}{query}")
        .parse()
        .map_err(|_| Error::bad_request("path", "not a valid path"))?;
    relay(proxy, service, target, &format!("/api/{service}"), request).await
}

/// The people's pages, forwarded whole to the component that serves them under the same path
/// (their links and cookie paths need no prefix taken off): `/console/…` to the staff console,
/// every other path outside `/api/` to the online hall.
pub async fn forward_page(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let page = async {
        let path = request.uri().path();
        let upstream = pages_upstream(path).ok_or_else(|| Error::NotFound(path.to_owned()))?;
        let base = proxy
            .upstreams
            .get(upstream)
            .ok_or_else(|| Error::NotFound(format!("the {upstream} pages")))?;
        let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let target: Uri = format!("{base}{path_and_query}")
            .parse()
            .map_err(|_| Error::bad_request("path", "not a valid path"))?;
        relay(&proxy, upstream, target, "", request).await
    };
    page.await.unwrap_or_else(IntoResponse::into_response)
}

/// The upstream that serves the page at `path`; none for a component's own metrics, which
/// only monitoring reaches, on the component's port (a page component answers `/metrics` at
/// its root, where the online hall's pages are too).
pub fn pages_upstream(path: &str) -> Option<&'static str> {
    if path == "/metrics" || path.starts_with("/metrics/") {
        None
    } else if path == "/console" || path.starts_with("/console/") {
        Some(CONSOLE_UPSTREAM)
    } else {
        Some(PORTAL_UPSTREAM)
    }
}

/// The upstream that serves `/console/`.
pub const CONSOLE_UPSTREAM: &str = "console";
/// The upstream that serves the online hall (`/`).
pub const PORTAL_UPSTREAM: &str = "portal";

/// Sends `request` to `target` and its answer back: hop-by-hop headers dropped, the body
/// limited, the trace continued from the gateway's span, `prefix` (what the gateway took off
/// the path) in `X-Forwarded-Prefix`.
async fn relay(
    proxy: &Proxy,
    service: &str,
    target: Uri,
    prefix: &str,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > proxy.body_limit) {
        return Err(Error::PayloadTooLarge(proxy.body_limit));
    }
    parts.uri = target;
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    if !prefix.is_empty()
        && let Ok(prefix) = HeaderValue::from_str(prefix)
    {
        parts.headers.insert("x-forwarded-prefix", prefix);
    }
    // Continue the trace from the gateway's own span, not the caller's.
    parts.headers.remove("traceparent");
    parts.headers.remove("tracestate");
    for (key, value) in telemetry::current_trace_headers() {
        if let (Ok(key), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            parts.headers.insert(key, value);
        }
    }
    // A body without a declared length is cut off at the limit.
    let body = Body::new(Limited::new(body, proxy.body_limit));
    let upstream = proxy
        .client
        .request(Request::from_parts(parts, body))
        .await
        .map_err(|err| {
            if cut_off(&err) {
                return Error::PayloadTooLarge(proxy.body_limit);
            }
            tracing::warn!(service, error = %err, "upstream unreachable");
            Error::BadGateway(err.to_string())
        })?;
    let (mut parts, body) = upstream.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, Body::new(body)))
}

fn strip_hop_by_hop(headers: &mut axum::http::HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Whether forwarding failed because the client's body (sent without a length) went over the
/// limit: the caller's fault (413), not the upstream's (502).
fn cut_off(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_serves_its_own_path_and_the_hall_the_rest() {
        for console in ["/console", "/console/", "/console/inbox"] {
            assert_eq!(pages_upstream(console), Some(CONSOLE_UPSTREAM), "{console}");
        }
        for hall in ["/", "/search", "/consoles", "/items/x", "/metricsx"] {
            assert_eq!(pages_upstream(hall), Some(PORTAL_UPSTREAM), "{hall}");
        }
        for metrics in ["/metrics", "/metrics/", "/metrics/x"] {
            assert_eq!(pages_upstream(metrics), None, "{metrics}");
        }
    }
}
