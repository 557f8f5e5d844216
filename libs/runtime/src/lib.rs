//! The runtime every Tongban service shares, so that a service crate holds only its domain.
//!
//! # Layout
//! - [`clock`]: the time services act on (the kernel's [`Clock`]: the system's, or one a test
//!   moves), China's dates.
//! - [`config`]: layered settings (defaults in code → optional TOML file → `TONGBAN__SECTION__KEY`).
//! - [`telemetry`]: tracing, OpenTelemetry (OTLP export when configured), W3C trace context.
//! - [`db`]: PostgreSQL pools per service schema, database creation, migrations under a lock.
//! - [`http`]: the middleware stack (request ids, traces, timeouts, body limits, metrics), the
//!   standard routes (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`) and graceful serving.
//! - [`health`]: readiness checks a service registers (database, broker).
//! - [`metrics`]: the process-wide Prometheus recorder.
//! - [`regions`]: whether a region code is a real division, asked of the catalogue.
//! - [`shutdown`]: the SIGTERM/SIGINT listener that cancels everything.

pub mod clock;
pub mod config;
pub mod db;
pub mod health;
pub mod http;
pub mod metrics;
pub mod regions;
pub mod shutdown;
pub mod telemetry;

pub use clock::Clock;
pub use config::Settings;
pub use tokio_util::sync::CancellationToken;
