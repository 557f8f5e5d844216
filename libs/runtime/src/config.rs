//! Settings, layered: defaults here → an optional TOML file → `TONGBAN__SECTION__KEY` variables.
//!
//! Zero configuration runs everything on one machine: the local PostgreSQL and an embedded broker.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The services behind the gateway, in the order `tongban up` starts them.
pub const SERVICES: [&str; 8] = [
    "identity",
    "catalogue",
    "acceptance",
    "approval",
    "notification",
    "crossregion",
    "insight",
    "hall",
];

/// The people's pages, served under the gateway's own paths (the staff console at `/console/`,
/// the online hall at `/`): components with no API of their own behind `/api/`, no outbox and
/// no topic.
pub const PAGES: [&str; 2] = ["console", "portal"];

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub kafka: KafkaSettings,
    pub broker: EmbeddedBrokerSettings,
    pub http: HttpSettings,
    pub telemetry: TelemetrySettings,
    pub outbox: OutboxSettings,
    /// How tokens are verified (three keys of the `identity` section).
    #[serde(rename = "identity")]
    pub tokens: TokenSettings,
    /// The key-encryption key that seals the secrets kept in the database.
    pub secrets: SecretsSettings,
    /// The time every service acts on: the system clock, unless a test put an adjustable one
    /// here. Not configurable: production never shifts time.
    #[serde(skip)]
    pub clock: crate::Clock,
    /// Each service's own section, read with [`Settings::section`].
    #[serde(skip)]
    sections: Sections,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// A `postgres://` URL; it may carry a password, so it is kept secret in logs.
    pub url: SecretString,
    /// Connections per service pool (one process running every service holds a pool of each;
    /// `tongban::connections` counts what else a component opens beside it).
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

/// The key-encryption key (KEK) of the secrets at rest (`tongban_vault`): signing keys, seal
/// keys and webhook secrets are stored sealed under it. From the secret store; never in the
/// database or a file that is backed up with it.
#[derive(Clone, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 16 random bytes (`TONGBAN__SECRETS__KEK`). Empty: services that keep secrets
    /// do not start (`tongban up` keeps one in `data/kek`).
    pub kek: SecretString,
    /// Earlier KEKs, comma-separated, kept while `tongban admin rotate-kek` re-wraps the
    /// secrets under the new one.
    pub previous_keks: SecretString,
}

impl std::fmt::Debug for SecretsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsSettings")
            .field("kek", &"[REDACTED]")
            .finish()
    }
}

impl SecretsSettings {
    /// The vault these keys open.
    pub fn vault(&self) -> Result<tongban_vault::Vault, tongban_vault::VaultError> {
        tongban_vault::Vault::from_base64(
            self.kek.expose_secret(),
            self.previous_keks.expose_secret(),
        )
    }
}

/// What every token verifier of the platform needs (the gateway's, each service's): the
/// `identity` section's `issuer`, `audience` and `jwks_url`. The identity service issues tokens
/// with the same values (its section includes these three keys).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    /// `iss` of every token: the public URL of the identity service (OpenID Connect discovery
    /// lives under it). Set it to the gateway's public address in production.
    pub issuer: String,
    /// `aud` of every token.
    pub audience: String,
    /// Where the gateway and the services fetch verification keys. Empty: the identity
    /// upstream's `/.well-known/jwks.json`.
    pub jwks_url: String,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080/api/identity".to_owned(),
            audience: "tongban".to_owned(),
            jwks_url: String::new(),
        }
    }
}

/// A service's own settings: one section of the configuration (`[acceptance]`), defined and
/// defaulted in the service's crate (`#[serde(default)]` with a `Default` that states every
/// default), read with [`Settings::section`]. Adding a setting to a service touches only that
/// service's `config.rs`.
pub trait Section:
    serde::de::DeserializeOwned + Default + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The section's name: its TOML table, and `<SECTION>` in `TONGBAN__<SECTION>__<KEY>`.
    const NAME: &'static str;
}

/// The sections as loaded (defaults in the services' code, then the file, then the
/// environment), and those a caller changed after loading (a test, a benchmark).
#[derive(Clone, Default)]
pub struct Sections {
    layered: Option<Arc<config::Config>>,
    changed: BTreeMap<&'static str, Box<dyn Changed>>,
}

/// A section changed in memory, kept by its name.
trait Changed: Any + Send + Sync + std::fmt::Debug {
    fn boxed(&self) -> Box<dyn Changed>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<S: Section> Changed for S {
    fn boxed(&self) -> Box<dyn Changed> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Clone for Box<dyn Changed> {
    fn clone(&self) -> Self {
        self.boxed()
    }
}

impl std::fmt::Debug for Sections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.changed.iter()).finish()
    }
}

impl Sections {
    fn read<S: Section>(&self) -> Result<S, ConfigError> {
        if let Some(changed) = self.changed.get(S::NAME) {
            return changed
                .as_any()
                .downcast_ref::<S>()
                .cloned()
                .ok_or(ConfigError::SectionType(S::NAME));
        }
        let Some(layered) = &self.layered else {
            return Ok(S::default());
        };
        let value = match layered.get::<config::Value>(S::NAME) {
            Ok(value) => value,
            Err(config::ConfigError::NotFound(_)) => return Ok(S::default()),
            Err(err) => return Err(err.into()),
        };
        // The path of the key that does not fit goes into the error (`acceptance.sweep_secs`).
        serde_path_to_error::deserialize(value).map_err(|err| ConfigError::Key {
            key: format!("{}.{}", S::NAME, err.path()),
            message: err.into_inner().to_string(),
        })
    }
}

/// The client id of identity's own service account: the one it asks the notification service
/// to text one-time codes with.
pub const IDENTITY_CLIENT_ID: &str = "tongban-identity";

/// Settings that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("invalid configuration: {key}: {message}")]
    Key { key: String, message: String },
    /// Two section types claim one name (a programming error, caught by the tests).
    #[error("the configuration section {0} was changed as another type")]
    SectionType(&'static str),
}

impl Settings {
    /// Reads settings: defaults, then `file` if given, then the environment.
    /// `DATABASE_URL` counts as an environment variable too (it beats the file), and
    /// `TONGBAN__DATABASE__URL` beats it.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, std::env::vars().collect())
    }

    /// [`Settings::load`] with `environment` in place of the process's: what a process started
    /// with those variables would read (the manifest test reads each Kubernetes container's
    /// settings from its rendered ConfigMap and env this way).
    pub fn load_with(
        file: Option<&Path>,
        environment: HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        for (key, value) in defaults() {
            builder = builder.set_default(key, value)?;
        }
        if let Some(url) = environment.get("DATABASE_URL") {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        let url = environment.get("TONGBAN__DATABASE__URL").cloned();
        builder = builder.add_source(
            config::Environment::with_prefix("TONGBAN")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(environment.into_iter().collect())),
        );
        if let Some(url) = url {
            builder = builder.set_override("database.url", url)?;
        }
        let layered = builder.build()?;
        let mut settings: Settings = layered.clone().try_deserialize()?;
        settings.sections.layered = Some(Arc::new(layered));
        settings.fill_upstreams();
        Ok(settings)
    }

    /// A service's section `S`, from the layered configuration (its defaults where the file and
    /// the environment say nothing), or as changed with [`Settings::section_mut`]. An error
    /// names the key that does not fit.
    pub fn section<S: Section>(&self) -> Result<S, ConfigError> {
        self.sections.read()
    }

    /// Section `S` to change in memory (a test or a benchmark tuning a service before starting
    /// it); what it changes is what [`Settings::section`] answers from then on.
    pub fn section_mut<S: Section>(&mut self) -> Result<&mut S, ConfigError> {
        if !self.sections.changed.contains_key(S::NAME) {
            let loaded: S = self.sections.read()?;
            self.sections.changed.insert(S::NAME, Box::new(loaded));
        }
        self.sections
            .changed
            .get_mut(S::NAME)
            .and_then(|changed| changed.as_any_mut().downcast_mut::<S>())
            .ok_or(ConfigError::SectionType(S::NAME))
    }

    fn fill_upstreams(&mut self) {
        for service in SERVICES.into_iter().chain(PAGES) {
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
        if self.tokens.jwks_url.trim().is_empty() {
            format!("{}/.well-known/jwks.json", self.http.upstream("identity"))
        } else {
            self.tokens.jwks_url.trim().to_owned()
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
        ("secrets.kek", "".into()),
        ("secrets.previous_keks", "".into()),
        ("outbox.batch_size", 500.into()),
        ("outbox.poll_interval_ms", 1_000.into()),
        ("outbox.retention_hours", 72.into()),
    ];
    const SERVICE_PORTS: [(&str, i64); 10] = [
        ("http.ports.identity", 8081),
        ("http.ports.catalogue", 8082),
        ("http.ports.acceptance", 8083),
        ("http.ports.approval", 8084),
        ("http.ports.notification", 8085),
        ("http.ports.crossregion", 8086),
        ("http.ports.insight", 8087),
        ("http.ports.hall", 8088),
        ("http.ports.console", 8089),
        ("http.ports.portal", 8090),
    ];
    values.extend(SERVICE_PORTS.map(|(key, port)| (key, port.into())));
    let tokens = TokenSettings::default();
    values.extend([
        ("identity.issuer", tokens.issuer.into()),
        ("identity.audience", tokens.audience.into()),
        ("identity.jwks_url", tokens.jwks_url.into()),
    ]);
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
        assert_eq!(settings.port("console"), 8089);
        assert_eq!(settings.http.upstreams["console"], "http://127.0.0.1:8089");
        assert_eq!(settings.http.upstreams["portal"], "http://127.0.0.1:8090");
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

    /// A service's section as the tests below define one.
    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(default)]
    struct Sample {
        sweep_secs: u64,
        name: String,
    }

    impl Default for Sample {
        fn default() -> Self {
            Self {
                sweep_secs: 60,
                name: "sample".to_owned(),
            }
        }
    }

    impl Section for Sample {
        const NAME: &'static str = "sample";
    }

    #[test]
    fn a_section_is_its_defaults_then_the_file_then_what_a_test_changes() {
        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.section::<Sample>().unwrap(), Sample::default());

        let dir = std::env::temp_dir().join(format!("tongban-section-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tongban.toml");
        std::fs::write(&file, "[sample]\nsweep_secs = 5\n").unwrap();
        let mut settings = Settings::load(Some(&file)).unwrap();
        let sample: Sample = settings.section().unwrap();
        assert_eq!((sample.sweep_secs, sample.name.as_str()), (5, "sample"));

        settings.section_mut::<Sample>().unwrap().name = "changed".to_owned();
        let changed: Sample = settings.clone().section().unwrap();
        assert_eq!((changed.sweep_secs, changed.name.as_str()), (5, "changed"));
    }

    #[test]
    fn a_section_value_of_the_wrong_type_is_refused_naming_the_key() {
        let dir = std::env::temp_dir().join(format!("tongban-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tongban.toml");
        std::fs::write(&file, "[sample]\nsweep_secs = \"often\"\n").unwrap();
        let settings = Settings::load(Some(&file)).unwrap();
        let err = settings.section::<Sample>().unwrap_err().to_string();
        assert!(err.contains("sample.sweep_secs"), "{err}");
    }
}
