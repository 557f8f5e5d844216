//! What the services log about failed requests, through the platform's own log setup: a 5xx
//! once, where it was made, with its cause; a readiness probe answered 503 not as an error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use futures::future::BoxFuture;
use tower::ServiceExt as _;
use utoipa::openapi::OpenApi as OpenApiDoc;

use tongban_runtime::health::{Readiness, ReadinessCheck};
use tongban_runtime::http::{READYZ, service};
use tongban_runtime::{Settings, telemetry};

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A database that does not answer.
struct Down;

impl ReadinessCheck for Down {
    fn name(&self) -> &str {
        "database"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Err("connection refused".to_owned()) })
    }
}

async fn panicking() -> &'static str {
    panic!("handler bug")
}

#[tokio::test]
async fn a_not_ready_probe_is_no_error_in_the_log_and_a_failed_request_is_one() {
    // Arrange: the platform's log setup at info, written to memory.
    let mut settings = Settings::load(None).unwrap();
    settings.telemetry.log_filter = "info".to_owned();
    let captured = Captured::default();
    let writer = captured.clone();
    telemetry::init_with_writer(&settings.telemetry, "tongban-test", move || writer.clone())
        .unwrap();
    let app = service(
        "test",
        Router::new().route("/panic", get(panicking)),
        OpenApiDoc::default(),
        Readiness::default().with(Down),
        &settings.http,
    );

    // Act: the probe while the database is down.
    let ready = app
        .clone()
        .oneshot(Request::get(READYZ).body(Body::empty()).unwrap())
        .await
        .unwrap();

    // Assert
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !captured.text().contains("ERROR"),
        "a probe answered 503 is not an error: {}",
        captured.text()
    );

    // Act: a request whose handler fails.
    let failed = app
        .oneshot(Request::get("/panic").body(Body::empty()).unwrap())
        .await
        .unwrap();

    // Assert
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let log = captured.text();
    assert_eq!(
        log.matches("ERROR").count(),
        1,
        "a 500 is logged once, where it was made, with its cause: {log}"
    );
    assert!(log.contains("request failed"), "{log}");
}
