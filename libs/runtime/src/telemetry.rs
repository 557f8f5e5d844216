//! Tracing with OpenTelemetry.
//!
//! Every span gets a W3C trace context, exported over OTLP/HTTP when an endpoint is configured.
//! Without one, trace ids still exist: they are propagated over HTTP and Kafka and appear in
//! logs, so a request can be followed across services from the logs alone.

use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::TelemetrySettings;

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber, tracer provider and W3C propagator, logging to stdout. Later
/// calls in the same process (tests start several platforms) are no-ops.
pub fn init(settings: &TelemetrySettings, service_name: &str) -> anyhow::Result<()> {
    init_with_writer(settings, service_name, std::io::stdout)
}

/// [`init`], with log lines going to `writer`: standard error for an operator's command, whose
/// standard output is its answer; a buffer for a test that reads what was logged.
pub fn init_with_writer<W>(
    settings: &TelemetrySettings,
    service_name: &str,
    writer: W,
) -> anyhow::Result<()>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if PROVIDER.get().is_some() {
        return Ok(());
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let mut builder = SdkTracerProvider::builder().with_resource(
        opentelemetry_sdk::Resource::builder()
            .with_service_name(service_name.to_owned())
            .build(),
    );
    if !settings.otlp_endpoint.trim().is_empty() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(settings.otlp_endpoint.trim())
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer("tongban");
    if PROVIDER.set(provider.clone()).is_err() {
        return Ok(());
    }
    opentelemetry::global::set_tracer_provider(provider);

    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Spans feed traces whatever the log level: quieter logs must not cut a trace in two, so
    // the log filter applies to the log layer only.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let registry = tracing_subscriber::registry().with(otel);
    let result = if settings.log_format == "json" {
        let logs = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(writer);
        registry.with(logs.with_filter(filter)).try_init()
    } else {
        // Plain text, one event per line whatever a request put in a field (JSON escapes on
        // its own): no terminal colours, every control character escaped.
        let logs = tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(false)
            .with_writer(OneLine(writer));
        registry.with(logs.with_filter(filter)).try_init()
    };
    // A subscriber set by someone else (a test harness) is fine: keep theirs.
    if let Err(err) = result {
        eprintln!("telemetry: keeping the existing subscriber: {err}");
    }
    Ok(())
}

/// Flushes spans not yet exported. Call once, at the very end of `main`.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(err) = provider.shutdown()
    {
        eprintln!("telemetry shutdown: {err}");
    }
}

/// The W3C `traceparent` (and `tracestate`) of the current span, for a message header.
pub fn current_trace_headers() -> Vec<(String, String)> {
    let context = tracing::Span::current().context();
    let mut carrier = Carrier::default();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    carrier.0
}

/// Makes `span` a child of the trace in `headers` (W3C `traceparent`), if there is one.
pub fn set_parent_from<'a>(
    span: &tracing::Span,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let carrier = Carrier(
        headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// The trace id of the current span as 32 hex digits (all zeros when there is none).
pub fn current_trace_id() -> String {
    tracing::Span::current()
        .context()
        .span()
        .span_context()
        .trace_id()
        .to_string()
}

/// Key/value pairs the W3C propagator reads and writes.
#[derive(Default)]
struct Carrier(Vec<(String, String)>);

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

impl Extractor for Carrier {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// A log writer that keeps each event on its line: a newline, carriage return or other control
/// character inside it (a forged `kid`, a header someone typed) is written escaped (`\n`,
/// `\x1b`), so nobody outside can start a line of their own or move a terminal's cursor. Only
/// the event's final newline is written as one.
struct OneLine<M>(M);

impl<'a, M: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for OneLine<M>
{
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter(self.0.make_writer())
    }
}

struct OneLineWriter<W>(W);

impl<W: std::io::Write> std::io::Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&one_line(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `event` (one formatted log event) with its control characters escaped but the last newline.
fn one_line(event: &[u8]) -> Vec<u8> {
    let (body, end) = match event.strip_suffix(b"\n") {
        Some(body) => (body, &b"\n"[..]),
        None => (event, &b""[..]),
    };
    let mut out = Vec::with_capacity(event.len() + 8);
    for &byte in body {
        match byte {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.push(byte),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.extend_from_slice(end);
    out
}

#[cfg(test)]
mod one_line_tests {
    use super::one_line;

    #[test]
    fn a_smuggled_newline_cannot_start_a_line() {
        let forged = "INFO token refused reason=no key abc\n2026-12-04T00:00:00Z WARN forged\n";
        let written = String::from_utf8(one_line(forged.as_bytes())).unwrap();
        assert_eq!(
            written,
            "INFO token refused reason=no key abc\\n2026-12-04T00:00:00Z WARN forged\n"
        );
        assert_eq!(written.lines().count(), 1);
        let escape = String::from_utf8(one_line("a\r\x1b[2Kb\tc 通办".as_bytes())).unwrap();
        assert_eq!(escape, "a\\r\\x1b[2Kb\tc 通办");
    }
}
