//! A service's life, the same for all six: connect and migrate, run the outbox relay and the
//! consumers, serve HTTP, and on shutdown stop in the order that loses nothing.

use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Router};
use rdkafka::producer::{FutureProducer, Producer};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::OpenApi;

use tongban_auth::Verifier;
use tongban_runtime::health::{DatabaseCheck, Readiness};
use tongban_runtime::{Settings, db, http};

use crate::consumer::{Consumer, ConsumerSpec};
use crate::kafka::{self, BrokerCheck};
use crate::relay::Relay;

/// What every service is given: its name (also its schema), settings, pool, producer, and the
/// token verifier (keys from identity's JWKS) its handlers find in the request extensions.
#[derive(Clone)]
pub struct Host {
    pub name: &'static str,
    pub settings: Arc<Settings>,
    pub pool: PgPool,
    pub producer: FutureProducer,
    pub verifier: Arc<Verifier>,
}

impl Host {
    /// Opens the service's pool, applies the bus's and the service's migrations (unless
    /// disabled), and creates the producer.
    pub async fn connect(
        name: &'static str,
        settings: Arc<Settings>,
        migrations: Migrator,
    ) -> anyhow::Result<Self> {
        let pool = db::connect(&settings.database, name).await?;
        if settings.database.migrate {
            db::migrate(&pool, name, vec![crate::migrator(), migrations]).await?;
        }
        let producer = kafka::producer(&settings.kafka)?;
        let verifier = Arc::new(Verifier::for_platform(&settings));
        Ok(Self {
            name,
            settings,
            pool,
            producer,
            verifier,
        })
    }

    /// The whole life of service `name`: connect and migrate, let `build` make its API and
    /// consumers from the connected host, then [`Host::serve`] until `shutdown`.
    pub async fn run(
        name: &'static str,
        settings: Arc<Settings>,
        migrations: Migrator,
        listener: TcpListener,
        shutdown: CancellationToken,
        build: impl FnOnce(&Host) -> (Router, OpenApi, Vec<ConsumerSpec>),
    ) -> anyhow::Result<()> {
        let host = Self::connect(name, settings, migrations).await?;
        let (api, doc, consumers) = build(&host);
        host.serve(listener, api, doc, consumers, shutdown).await
    }

    pub fn readiness(&self) -> Readiness {
        Readiness::default()
            .with(DatabaseCheck(self.pool.clone()))
            .with(BrokerCheck(self.producer.clone()))
    }

    /// Runs the service until `shutdown`. Shutdown order: stop accepting and drain in-flight
    /// HTTP requests; stop consuming and commit offsets; publish every outbox row the last
    /// requests committed; flush the producer; close the pool.
    pub async fn serve(
        self,
        listener: TcpListener,
        api: Router,
        doc: OpenApi,
        consumers: Vec<ConsumerSpec>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        // A verifier the service set on its own router (identity's, from its key table) is
        // closer to the handlers and wins over this one.
        let api = api.layer(Extension(self.verifier.clone()));
        let readiness = self
            .readiness()
            .with(tongban_runtime::health::Draining(shutdown.clone()));
        let router = http::service(self.name, api, doc, readiness, &self.settings.http);
        // Create the consumer before spawning anything, so a bad configuration leaves no task
        // behind. One group for all of the service's handlers (see `consumer`).
        let consumer = (!consumers.is_empty())
            .then(|| {
                Consumer::new(
                    self.name,
                    consumers,
                    self.pool.clone(),
                    &self.settings.kafka,
                    self.producer.clone(),
                )
            })
            .transpose()?;
        let background = CancellationToken::new();
        let relay = Relay::new(
            self.pool.clone(),
            self.name,
            self.producer.clone(),
            self.settings.outbox.clone(),
        );
        let relay = tokio::spawn(relay.run(background.clone()));
        let workers: Vec<_> = consumer
            .into_iter()
            .map(|c| tokio::spawn(c.run(background.clone())))
            .collect();

        let served = http::serve(self.name, listener, router, shutdown, &self.settings.http).await;

        background.cancel();
        for worker in workers {
            let _ = worker.await;
        }
        let _ = relay.await;
        let producer = self.producer.clone();
        let _ = tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(5))).await;
        self.pool.close().await;
        tracing::info!(service = self.name, "stopped");
        served
    }
}
