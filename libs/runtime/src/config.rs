//! Settings, layered: defaults here → an optional TOML file → `TONGBAN__SECTION__KEY` variables.
//!
//! Zero configuration runs everything on one machine: the local PostgreSQL and an embedded broker.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The services behind the gateway, in the order `tongban up` starts them.
pub const SERVICES: [&str; 7] = [
    "identity",
    "catalogue",
    "acceptance",
    "approval",
    "notification",
    "crossregion",
    "insight",
];

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub kafka: KafkaSettings,
    pub broker: EmbeddedBrokerSettings,
    pub http: HttpSettings,
    pub telemetry: TelemetrySettings,
    pub outbox: OutboxSettings,
    pub identity: IdentitySettings,
    pub gateway: GatewaySettings,
    pub catalogue: CatalogueSettings,
    pub acceptance: AcceptanceSettings,
    pub approval: ApprovalSettings,
    pub crossregion: CrossregionSettings,
    pub notification: NotificationSettings,
    pub insight: InsightSettings,
    /// The time every service acts on: the system clock, unless a test put an adjustable one
    /// here. Not configurable: production never shifts time.
    #[serde(skip)]
    pub clock: crate::Clock,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// A `postgres://` URL; it may carry a password, so it is kept secret in logs.
    pub url: SecretString,
    /// Connections per service pool (one process running six services holds six pools).
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout_ms: u64,
    /// Create the database named in `url` when it does not exist (one-machine installs).
    pub create_if_missing: bool,
    /// Apply embedded migrations at start (`--no-migrate` turns this off).
    pub migrate: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KafkaSettings {
    /// `host:port[,host:port]`. Empty means: run the embedded broker (one machine).
    pub brokers: String,
    /// Partitions of each topic created at start.
    pub partitions: i32,
    /// Replication factor of each topic created at start (3 on a real cluster).
    pub replication_factor: i32,
    /// Consumer session timeout; short in embedded mode so a restarted member rejoins quickly.
    pub session_timeout_ms: u32,
    /// How long a consumer's fetch may wait at the broker for data. Kafka, and the embedded
    /// broker as patched (vendor/README.md), answer as soon as data arrives, so this only spaces
    /// idle polls (unset: librdkafka's 500 ms).
    #[serde(default)]
    pub fetch_wait_max_ms: Option<u32>,
    /// Events a service's consumer applies in one transaction, at most, when more than one has
    /// already been fetched (a backlog): one commit for them all. 1 applies each on its own.
    pub consumer_batch: usize,
    /// Extra librdkafka properties (`security.protocol`, `sasl.mechanism`, ...).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddedBrokerSettings {
    /// Where the embedded broker listens (loopback only: it has no authentication).
    pub listen: String,
    /// tansu storage URL: `sqlite://relative/path.db` is durable, `memory://tansu/` is not.
    pub storage: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    /// Address every listener binds to.
    pub host: String,
    pub request_timeout_ms: u64,
    pub body_limit_bytes: usize,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace_ms: u64,
    /// After SIGTERM, how long `/readyz` says "shutting down" while requests are still served,
    /// before the listener closes: time for Kubernetes to take the pod out of its Service's
    /// endpoints, so no new request meets a closed port. 0 on one machine.
    pub shutdown_delay_ms: u64,
    /// How long a connection may take to send a request's headers (slow clients are dropped).
    pub header_read_timeout_ms: u64,
    /// Listening port per service (`gateway`, `identity`, ...). 0 picks a free port.
    pub ports: BTreeMap<String, u16>,
    /// Where the gateway finds each service. Defaults to `http://{host}:{port}` of `ports`;
    /// on Kubernetes, the services' DNS names.
    #[serde(default)]
    pub upstreams: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// OTLP/HTTP endpoint (`http://collector:4318/v1/traces`); empty disables export.
    pub otlp_endpoint: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: String,
    /// `tracing` filter directives; `RUST_LOG` wins when set.
    pub log_filter: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    /// Rows the relay publishes per round trip.
    pub batch_size: i64,
    /// Poll interval when no notification arrives (the LISTEN/NOTIFY fallback).
    pub poll_interval_ms: u64,
    /// Sent rows older than this are deleted.
    pub retention_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AcceptanceSettings {
    /// How often the service looks for 容缺 materials and remediations past their deadline
    /// (seconds).
    pub overdue_sweep_secs: u64,
    /// How long after the first rating of a case its applicant may change it (hours).
    pub rating_change_hours: i64,
    /// Working days a bad rating's remediation has where no region above has set its own.
    pub remediation_working_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApprovalSettings {
    /// How often the time-limit timers run: yellow warnings before the due date, red
    /// escalation once it has passed (seconds).
    pub timer_sweep_secs: u64,
    /// A case is warned (yellow) this many working days before its due date.
    pub warning_working_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CrossregionSettings {
    /// Working days (of its service centre) the handling region has to accept or reject a
    /// transfer.
    pub response_working_days: u32,
    /// Working days (of the receiving centre) to deliver a result the handling region sent back.
    pub delivery_working_days: u32,
    /// How often missed hand-over deadlines are looked for and escalated (seconds).
    pub timer_sweep_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InsightSettings {
    /// Events applied per transaction, at most, when a backlog is waiting (a rebuild reads
    /// every topic from the start): one commit for many events.
    pub consumer_batch: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    /// An event older than this makes no message (it still updates what the service keeps):
    /// a first start reading every topic from the beginning does not message anyone about the
    /// past.
    pub max_event_age_hours: u32,
    /// How often senders look for due messages when idle (milliseconds).
    pub sender_poll_ms: u64,
    /// The first retry of a failed send waits this long, each next one twice as long (capped
    /// at an hour) (milliseconds).
    pub retry_base_ms: u64,
    /// Attempts before a message that keeps failing is given up (failed_permanent).
    pub max_attempts: i32,
    /// How long one send (an HTTP call, an SMTP session) may take (milliseconds).
    pub send_timeout_ms: u64,
    /// The notification service's service account, with which it reads recipients' contact
    /// details from identity. `tongban up` makes one when the secret is empty; in a cluster,
    /// `tongban admin create-service` makes it and the secret comes from a secret store
    /// (`TONGBAN__NOTIFICATION__CLIENT_SECRET`).
    pub client_id: String,
    pub client_secret: SecretString,
    /// The HTTP SMS gateway texts are POSTed to; empty: no texts are sent (they wait, queued).
    pub sms_endpoint: String,
    /// The gateway's API key: sent as a bearer token, and the key its delivery receipts are
    /// signed with.
    pub sms_api_key: SecretString,
    /// Where the gateway posts delivery receipts: this platform's
    /// `/api/notification/v1/receipts/sms` as the gateway reaches it.
    pub sms_callback_url: String,
    /// The signature every text starts with (【通办】), as carriers require.
    pub sms_sign: String,
    /// The SMTP server e-mail goes through; empty: no e-mail is sent.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// none (plain, e.g. a relay on the same network), starttls, or tls (implicit TLS).
    pub smtp_tls: String,
    /// Credentials, when the server asks for them (the password from a secret store).
    pub smtp_username: String,
    pub smtp_password: SecretString,
    /// The sender every e-mail comes from, e.g. `通办 <noreply@gov.example.cn>`.
    pub mail_from: String,
    /// Non-urgent texts wait out these hours, China time (from 22 to 8: the night). Equal:
    /// none.
    pub quiet_hours_from: u32,
    pub quiet_hours_until: u32,
    /// Non-urgent texts and e-mails one recipient gets per channel within an hour; more wait.
    pub hourly_limit: u32,
    /// Sends per second on each channel, per sender (each replica of the service runs one):
    /// the carrier's or the relay's limit divided by the replicas. 0: no cap.
    pub sms_per_second: u32,
    pub email_per_second: u32,
    pub webhook_per_second: u32,
    /// Client ids of the service accounts that may have one-time codes texted (identity's).
    pub code_senders: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogueSettings {
    /// Load the shipped administrative divisions when the catalogue starts on an empty region
    /// table (`tongban catalogue import-regions` loads or refreshes them at any time).
    pub import_regions_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GatewaySettings {
    /// Requests per second each client IP may send (sustained), and the burst above it.
    pub rate_limit_ip_per_second: u32,
    pub rate_limit_ip_burst: u32,
    /// Requests per second each authenticated subject may send, and the burst.
    pub rate_limit_subject_per_second: u32,
    pub rate_limit_subject_burst: u32,
    /// Take the client IP from the first `X-Forwarded-For` entry (only behind an ingress that
    /// sets it; otherwise clients could pick their own IP).
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdentitySettings {
    /// `iss` of every token: the public URL of the identity service (OpenID Connect discovery
    /// lives under it). Set it to the gateway's public address in production.
    pub issuer: String,
    /// `aud` of every token.
    pub audience: String,
    /// Where the gateway and the services fetch verification keys. Empty: the identity
    /// upstream's `/.well-known/jwks.json`.
    pub jwks_url: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// A new signing key is made when the active one is this old; the old one keeps verifying
    /// until the tokens it signed have expired.
    pub key_rotation_days: i64,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i32,
    /// The first lock lasts this long; each further lock doubles it, up to `lockout_max_secs`.
    pub lockout_base_secs: i64,
    pub lockout_max_secs: i64,
    /// A first identity administrator created on start when none exists (all three must be
    /// set; the password from a secret, e.g. `TONGBAN__IDENTITY__BOOTSTRAP_ADMIN_PASSWORD`).
    pub bootstrap_admin_username: String,
    pub bootstrap_admin_password: SecretString,
    /// The region the first administrator's powers cover (usually the province).
    pub bootstrap_admin_region: String,
    /// Client ids of the service accounts that may read accounts' contact details (the
    /// notification service's).
    pub contact_readers: Vec<String>,
    /// One-time codes texted for phone verification and sign-in by text: how long one is
    /// valid, how soon another may be asked for the same number, how many a number (or an
    /// account) may be sent within an hour, and how many wrong tries spend one.
    pub code_ttl_secs: i64,
    pub code_resend_secs: i64,
    pub codes_per_hour: i64,
    pub code_attempts: i32,
}

/// The client id of identity's own service account: the one it asks the notification service
/// to text one-time codes with.
pub const IDENTITY_CLIENT_ID: &str = "tongban-identity";

/// Where a `Settings` was read from, for the start-up log.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] config::ConfigError);

impl Settings {
    /// Reads settings: defaults, then `file` if given, then the environment.
    /// `DATABASE_URL` counts as an environment variable too (it beats the file), and
    /// `TONGBAN__DATABASE__URL` beats it.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        for (key, value) in defaults() {
            builder = builder.set_default(key, value)?;
        }
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("TONGBAN")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("TONGBAN__DATABASE__URL") {
            builder = builder.set_override("database.url", url)?;
        }
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.fill_upstreams();
        Ok(settings)
    }

    fn fill_upstreams(&mut self) {
        for service in SERVICES {
            let port = self.http.ports.get(service).copied().unwrap_or_default();
            self.http
                .upstreams
                .entry(service.to_owned())
                .or_insert_with(|| format!("http://{}:{port}", self.http.host));
        }
    }

    /// The port `service` listens on.
    pub fn port(&self, service: &str) -> u16 {
        self.http.ports.get(service).copied().unwrap_or_default()
    }

    /// Where verification keys are published.
    pub fn jwks_url(&self) -> String {
        if self.identity.jwks_url.trim().is_empty() {
            format!("{}/.well-known/jwks.json", self.http.upstream("identity"))
        } else {
            self.identity.jwks_url.trim().to_owned()
        }
    }

    pub fn embedded_broker(&self) -> bool {
        self.kafka.brokers.trim().is_empty()
    }

    pub fn database_url(&self) -> &str {
        self.database.url.expose_secret()
    }
}

impl HttpSettings {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    pub fn shutdown_delay(&self) -> Duration {
        Duration::from_millis(self.shutdown_delay_ms)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    /// Where `service` is found (its base URL, no trailing slash); empty when it is unknown.
    pub fn upstream(&self, service: &str) -> &str {
        self.upstreams
            .get(service)
            .map_or("", |base| base.trim_end_matches('/'))
    }

    /// How long a client of the platform's own servers keeps an idle connection: half the
    /// header timeout, after which a server closes it (a request sent just as it closes would
    /// fail with nothing answered).
    pub fn client_idle_timeout(&self) -> Duration {
        self.header_read_timeout() / 2
    }
}

fn defaults() -> Vec<(&'static str, config::Value)> {
    let mut values: Vec<(&'static str, config::Value)> = vec![
        (
            "database.url",
            "postgres://postgres@127.0.0.1:5432/tongban".into(),
        ),
        ("database.max_connections", 10.into()),
        ("database.acquire_timeout_ms", 5_000.into()),
        ("database.create_if_missing", true.into()),
        ("database.migrate", true.into()),
        ("kafka.brokers", "".into()),
        ("kafka.partitions", 3.into()),
        ("kafka.replication_factor", 1.into()),
        ("kafka.session_timeout_ms", 6_000.into()),
        ("kafka.consumer_batch", 20.into()),
        ("broker.listen", "127.0.0.1:9092".into()),
        ("broker.storage", "sqlite://data/broker.db".into()),
        ("http.host", "127.0.0.1".into()),
        ("http.request_timeout_ms", 30_000.into()),
        ("http.body_limit_bytes", (2 * 1024 * 1024).into()),
        ("http.shutdown_grace_ms", 20_000.into()),
        ("http.shutdown_delay_ms", 0.into()),
        ("http.header_read_timeout_ms", 10_000.into()),
        ("http.ports.gateway", 8080.into()),
        ("telemetry.otlp_endpoint", "".into()),
        ("telemetry.log_format", "text".into()),
        (
            "telemetry.log_filter",
            "info,sqlx=warn,rdkafka=warn,tansu=warn".into(),
        ),
        ("outbox.batch_size", 500.into()),
        ("outbox.poll_interval_ms", 1_000.into()),
        ("outbox.retention_hours", 72.into()),
        ("catalogue.import_regions_on_start", true.into()),
        ("acceptance.overdue_sweep_secs", 60.into()),
        ("acceptance.rating_change_hours", 24.into()),
        ("acceptance.remediation_working_days", 5.into()),
        ("approval.timer_sweep_secs", 60.into()),
        ("approval.warning_working_days", 2.into()),
        ("crossregion.response_working_days", 2.into()),
        ("crossregion.delivery_working_days", 3.into()),
        ("crossregion.timer_sweep_secs", 60.into()),
        ("insight.consumer_batch", 500.into()),
        ("notification.max_event_age_hours", 72.into()),
        ("notification.sender_poll_ms", 500.into()),
        ("notification.retry_base_ms", 5_000.into()),
        ("notification.max_attempts", 8.into()),
        ("notification.send_timeout_ms", 10_000.into()),
        ("notification.client_id", "tongban-notification".into()),
        ("notification.client_secret", "".into()),
        ("notification.sms_endpoint", "".into()),
        ("notification.sms_api_key", "".into()),
        ("notification.sms_callback_url", "".into()),
        ("notification.sms_sign", "通办".into()),
        ("notification.smtp_host", "".into()),
        ("notification.smtp_port", 25.into()),
        ("notification.smtp_tls", "starttls".into()),
        ("notification.smtp_username", "".into()),
        ("notification.smtp_password", "".into()),
        (
            "notification.mail_from",
            "通办 <noreply@tongban.invalid>".into(),
        ),
        ("notification.quiet_hours_from", 22.into()),
        ("notification.quiet_hours_until", 8.into()),
        ("notification.hourly_limit", 5.into()),
        ("notification.sms_per_second", 100.into()),
        ("notification.email_per_second", 50.into()),
        ("notification.webhook_per_second", 0.into()),
        ("gateway.rate_limit_ip_per_second", 100.into()),
        ("gateway.rate_limit_ip_burst", 200.into()),
        ("gateway.rate_limit_subject_per_second", 20.into()),
        ("gateway.rate_limit_subject_burst", 40.into()),
        ("gateway.trust_forwarded_for", false.into()),
        (
            "identity.issuer",
            "http://127.0.0.1:8080/api/identity".into(),
        ),
        ("identity.audience", "tongban".into()),
        ("identity.jwks_url", "".into()),
        ("identity.access_token_ttl_secs", 900.into()),
        ("identity.refresh_token_ttl_secs", (30 * 24 * 3600).into()),
        ("identity.key_rotation_days", 30.into()),
        ("identity.lockout_threshold", 5.into()),
        ("identity.lockout_base_secs", 60.into()),
        ("identity.lockout_max_secs", 3600.into()),
        ("identity.bootstrap_admin_username", "".into()),
        ("identity.bootstrap_admin_password", "".into()),
        ("identity.bootstrap_admin_region", "".into()),
        (
            "identity.contact_readers",
            vec!["tongban-notification"].into(),
        ),
        ("identity.code_ttl_secs", 300.into()),
        ("identity.code_resend_secs", 60.into()),
        ("identity.codes_per_hour", 5.into()),
        ("identity.code_attempts", 5.into()),
        ("notification.code_senders", vec![IDENTITY_CLIENT_ID].into()),
    ];
    const SERVICE_PORTS: [(&str, i64); 7] = [
        ("http.ports.identity", 8081),
        ("http.ports.catalogue", 8082),
        ("http.ports.acceptance", 8083),
        ("http.ports.approval", 8084),
        ("http.ports.notification", 8085),
        ("http.ports.crossregion", 8086),
        ("http.ports.insight", 8087),
    ];
    values.extend(SERVICE_PORTS.map(|(key, port)| (key, port.into())));
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_on_one_machine() {
        let settings = Settings::load(None).unwrap();
        assert_eq!(settings.port("gateway"), 8080);
        assert_eq!(settings.port("crossregion"), 8086);
        assert_eq!(settings.port("insight"), 8087);
        assert_eq!(
            settings.http.upstreams["acceptance"],
            "http://127.0.0.1:8083"
        );
    }

    #[test]
    fn the_example_file_in_deploy_is_valid_and_states_the_defaults() {
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/tongban.example.toml"
        );
        let from_file = Settings::load(Some(Path::new(example))).unwrap();
        let defaults = Settings::load(None).unwrap();
        assert_eq!(format!("{from_file:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn a_toml_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("tongban-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tongban.toml");
        std::fs::write(
            &file,
            "[kafka]\nbrokers = \"kafka-0:9092\"\npartitions = 12\n[http.upstreams]\nidentity = \"http://identity:8081\"\n",
        )
        .unwrap();
        let settings = Settings::load(Some(&file)).unwrap();
        assert_eq!(settings.kafka.brokers, "kafka-0:9092");
        assert_eq!(settings.kafka.partitions, 12);
        assert!(!settings.embedded_broker());
        assert_eq!(settings.http.upstreams["identity"], "http://identity:8081");
        assert_eq!(
            settings.http.upstreams["catalogue"],
            "http://127.0.0.1:8082"
        );
    }
}
