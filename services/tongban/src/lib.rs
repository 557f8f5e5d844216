//! The all-in-one Tongban process: any subset of the services, the gateway and, when no Kafka is
//! configured, the embedded broker — in one process on a laptop (`tongban up`), one service per
//! pod on Kubernetes (`tongban serve acceptance`).
//!
//! # Layout
//! - [`Platform`]: starts a selection of components and stops them in order.
//! - [`connections`]: how many PostgreSQL connections one process of a component holds at
//!   most (the Kubernetes manifests' connection budget is summed from it).
//! - [`database`]: the one connect-and-migrate, [`migrate_all`] (`tongban migrate`, the
//!   Kubernetes Job) and the operator tools' probe connection.
//! - [`demo`]: the demo data set of `tongban up --demo`.
//! - [`bench`]: `tongban bench`, measurements on a throwaway database.
//! - [`ops`]: `tongban doctor`, `tongban outbox replay`, `tongban admin rotate-keys`.
//! - `main.rs` and `cli/`: the operator CLI, one file per command group.

pub mod bench;
pub mod connections;
pub mod database;
pub mod demo;
pub mod ops;

pub use database::{migrate_all, migrators};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use tokio::task::JoinHandle;

use secrecy::ExposeSecret;
use tongban_broker::EmbeddedBroker;
use tongban_notification::config::NotificationSettings;
use tongban_runtime::{CancellationToken, Settings, db, http};

/// Every component `serve` accepts: the eight services, the staff console, the online hall and
/// the gateway.
pub const COMPONENTS: [&str; 11] = [
    "gateway",
    "identity",
    "catalogue",
    "acceptance",
    "approval",
    "notification",
    "crossregion",
    "insight",
    "hall",
    "console",
    "portal",
];

/// A running selection of components.
pub struct Platform {
    /// Where each component listens (the gateway under "gateway").
    pub addresses: BTreeMap<&'static str, SocketAddr>,
    /// The embedded broker, when this process runs one.
    pub broker: Option<EmbeddedBroker>,
    /// The settings the components run with (brokers filled in for the embedded broker).
    pub settings: Arc<Settings>,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<anyhow::Result<()>>)>,
}

impl Platform {
    /// Starts `components` (names from [`COMPONENTS`]). Returns once every listener is bound;
    /// each service connects, migrates and becomes ready on its own (see `/readyz`).
    pub async fn start(mut settings: Settings, components: &[&str]) -> anyhow::Result<Self> {
        for name in components {
            anyhow::ensure!(
                COMPONENTS.contains(name),
                "unknown component {name}; expected one of {}",
                COMPONENTS.join(", ")
            );
        }
        db::ensure_database(&settings.database)
            .await
            .context("reaching PostgreSQL")?;
        let mut broker = None;
        if settings.embedded_broker() {
            let embedded = EmbeddedBroker::start(&settings.broker.listen, &settings.broker.storage)
                .await
                .context("starting the embedded broker")?;
            settings.kafka.brokers = embedded.address();
            broker = Some(embedded);
        }
        if components.contains(&"identity")
            && components.contains(&"notification")
            && settings
                .section::<NotificationSettings>()?
                .client_secret
                .expose_secret()
                .is_empty()
        {
            provision_notification(&mut settings)
                .await
                .context("provisioning the notification service's account")?;
        }
        tongban_bus::kafka::ensure_topics(&settings.kafka, &tongban_events::topics::ALL)
            .await
            .context("creating topics")?;

        let mut listeners = Vec::new();
        let mut addresses = BTreeMap::new();
        for name in COMPONENTS.into_iter().filter(|c| components.contains(c)) {
            let listener = http::bind(&settings.http.host, settings.port(name)).await?;
            addresses.insert(name, listener.local_addr()?);
            listeners.push((name, listener));
        }
        // The gateway proxies to the services of this process where they actually listen.
        for (name, address) in &addresses {
            if *name != "gateway" {
                settings
                    .http
                    .upstreams
                    .insert((*name).to_owned(), format!("http://{address}"));
            }
        }
        let settings = Arc::new(settings);
        let shutdown = CancellationToken::new();
        let tasks = listeners
            .into_iter()
            .map(|(name, listener)| {
                let run = component(name, settings.clone(), listener, shutdown.clone());
                (name, tokio::spawn(run))
            })
            .collect();
        Ok(Self {
            addresses,
            broker,
            settings,
            shutdown,
            tasks,
        })
    }

    /// The gateway's base URL, `http://host:port`.
    pub fn gateway_url(&self) -> Option<String> {
        self.addresses.get("gateway").map(|a| format!("http://{a}"))
    }

    /// A token whose cancellation stops every component (wire it to SIGTERM).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Runs until shutdown or until a component fails; a failure stops the others too.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        let mut failure = None;
        while !self.tasks.is_empty() {
            let (done, index, _) =
                futures::future::select_all(self.tasks.iter_mut().map(|(_, task)| task)).await;
            let (name, _) = self.tasks.remove(index);
            let outcome = done.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(err) = outcome {
                tracing::error!(component = name, error = %format!("{err:#}"), "component failed");
                failure.get_or_insert(err.context(format!("{name} failed")));
            }
            // One component ending means the process is going down: stop the rest in order.
            self.shutdown.cancel();
        }
        if let Some(broker) = self.broker.as_mut() {
            broker.stop().await;
        }
        failure.map_or(Ok(()), Err)
    }

    /// Stops every component (in-flight requests drain, consumers commit, the outbox relays
    /// what is committed) and then the embedded broker.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }
}

fn component(
    name: &'static str,
    settings: Arc<Settings>,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> BoxFuture<'static, anyhow::Result<()>> {
    match name {
        "gateway" => {
            let upstreams = settings.http.upstreams.clone();
            Box::pin(tongban_gateway::run(
                settings, upstreams, listener, shutdown,
            ))
        }
        "identity" => Box::pin(tongban_identity::run(settings, listener, shutdown)),
        "catalogue" => Box::pin(tongban_catalogue::run(settings, listener, shutdown)),
        "acceptance" => Box::pin(tongban_acceptance::run(settings, listener, shutdown)),
        "approval" => Box::pin(tongban_approval::run(settings, listener, shutdown)),
        "notification" => Box::pin(tongban_notification::run(settings, listener, shutdown)),
        "crossregion" => Box::pin(tongban_crossregion::run(settings, listener, shutdown)),
        "insight" => Box::pin(tongban_insight::run(settings, listener, shutdown)),
        "hall" => Box::pin(tongban_hall::run(settings, listener, shutdown)),
        "console" => Box::pin(tongban_console::run(settings, listener, shutdown)),
        "portal" => Box::pin(tongban_portal::run(settings, listener, shutdown)),
        other => Box::pin(async move { anyhow::bail!("unknown component {other}") }),
    }
}

/// Gives the notification service its service account (made, or given a new secret) when it
/// runs in this process with identity and no secret is configured: it reads recipients' contact
/// details with it.
async fn provision_notification(settings: &mut Settings) -> anyhow::Result<()> {
    let pool = database::migrated(
        settings,
        tongban_identity::NAME,
        tongban_identity::migrator(),
    )
    .await?;
    let secret = tongban_identity::provision_service(
        &pool,
        &settings.section::<NotificationSettings>()?.client_id,
        "通办通知服务",
        None,
    )
    .await
    .context("provisioning the notification service's account")?;
    pool.close().await;
    settings
        .section_mut::<NotificationSettings>()?
        .client_secret = secret.into();
    Ok(())
}

/// A database URL fit for a terminal: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_runtime::config::{PAGES, SERVICES};

    #[test]
    fn passwords_never_reach_the_terminal() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/tongban"),
            "postgres://app:***@db:5432/tongban"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/tongban"),
            "postgres://postgres@127.0.0.1/tongban"
        );
    }

    #[test]
    fn every_service_has_migrations_and_a_component() {
        let names: Vec<_> = migrators().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, SERVICES);
        let pages: Vec<_> = database::page_migrators()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(pages, PAGES);
        for component in SERVICES.into_iter().chain(PAGES) {
            assert!(COMPONENTS.contains(&component));
        }
    }
}
