//! Spans leave the process over OTLP/HTTP when an endpoint is configured. The collector here is
//! a real HTTP server on loopback that records what it receives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use tongban_runtime::config::TelemetrySettings;
use tongban_runtime::telemetry;

/// One export request as the collector saw it: content type and body.
type Export = (String, Vec<u8>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_when_an_endpoint_is_set() {
    // Arrange: a collector that keeps every request's content type and body.
    let received: Arc<Mutex<Vec<Export>>> = Arc::default();
    let sink = received.clone();
    let collector = Router::new().route(
        "/v1/traces",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((content_type, body.to_vec()));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, collector).await });
    let settings = TelemetrySettings {
        otlp_endpoint: format!("http://{address}/v1/traces"),
        log_format: "text".to_owned(),
        log_filter: "warn".to_owned(),
    };

    // Act
    telemetry::init(&settings, "otlp-test").unwrap();
    let trace_id = {
        let span = tracing::info_span!("exported_span_for_the_test");
        let _entered = span.enter();
        telemetry::current_trace_id()
    };
    // Shutting the provider down flushes the batch (blocking; off the async workers).
    tokio::task::spawn_blocking(telemetry::shutdown)
        .await
        .unwrap();

    // Assert
    assert_ne!(trace_id, "00000000000000000000000000000000");
    let received = received.lock().unwrap();
    assert!(!received.is_empty(), "the collector received nothing");
    let (content_type, body) = &received[0];
    assert_eq!(content_type, "application/x-protobuf");
    let name = b"exported_span_for_the_test";
    assert!(
        body.windows(name.len()).any(|w| w == name),
        "the span is in the export"
    );
}
