//! The embedded broker: a Kafka-compatible broker (tansu) inside the `tongban` process, for
//! one-machine installs and tests. Services still talk to it through rdkafka over the real
//! Kafka protocol, so there is one code path whatever the broker.
//!
//! The broker runs on a thread and runtime of its own. Stopping it shuts that runtime down, which
//! drops the listener and every client connection, as a process exit would; starting it again
//! on the same address and storage is a real broker restart (tests rely on that).
//!
//! Storage: `sqlite://relative/path.db` (relative to the working directory) or
//! `sqlite:///absolute/path.db` keep events across restarts; `memory://tansu/` does not.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use tokio::sync::oneshot;
use url::Url;

/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct EmbeddedBroker {
    address: SocketAddr,
    storage: Url,
    running: Option<Running>,
}

/// The broker's thread and the signal that stops it.
struct Running {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl EmbeddedBroker {
    /// Starts a broker listening on `listen` (port 0 picks a free port) with `storage`, and
    /// returns once it accepts connections.
    pub async fn start(listen: &str, storage: &str) -> anyhow::Result<Self> {
        let mut address: SocketAddr = listen
            .parse()
            .with_context(|| format!("broker listen address {listen}"))?;
        if address.port() == 0 {
            // tansu advertises the port it was given, so choose one now.
            address = StdListener::bind(address)?.local_addr()?;
        }
        let storage = storage_url(storage)?;
        let mut broker = Self {
            address,
            storage,
            running: None,
        };
        broker.start_again().await?;
        Ok(broker)
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Starts a stopped broker on the same address and storage.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.running.is_some() {
            return Ok(());
        }
        let (stop, stopped) = oneshot::channel();
        let (failed_tx, mut failed) = oneshot::channel::<String>();
        let address = self.address;
        let storage = self.storage.clone();
        let thread = std::thread::Builder::new()
            .name("tansu-broker".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("tansu")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = failed_tx.send(err.to_string());
                        return;
                    }
                };
                runtime.block_on(async move {
                    match build(address, storage).await {
                        Ok(mut broker) => {
                            tokio::spawn(async move {
                                if let Err(err) = broker.serve(tokio::time::Instant::now()).await {
                                    tracing::error!(error = %err, "embedded broker stopped");
                                }
                            });
                            let _ = stopped.await;
                        }
                        Err(err) => {
                            let _ = failed_tx.send(format!("{err:#}"));
                        }
                    }
                });
                // Dropping every task closes the listener and all client connections at once.
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        self.running = Some(Running { stop, thread });

        let started = Instant::now();
        loop {
            if let Ok(reason) = failed.try_recv() {
                self.stop().await;
                anyhow::bail!("embedded broker did not start: {reason}");
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                tracing::info!(address = %self.address, storage = %self.storage, "embedded broker ready");
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop().await;
                anyhow::bail!("embedded broker did not listen on {} in time", self.address);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the broker: its listener and every connection close.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
            let _ = tokio::task::spawn_blocking(move || running.thread.join()).await;
            tracing::info!(address = %self.address, "embedded broker stopped");
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
        }
    }
}

async fn build(
    address: SocketAddr,
    storage: Url,
) -> anyhow::Result<Broker<Controller<StorageContainer>, StorageContainer>> {
    let listener = Url::parse(&format!("tcp://{address}"))?;
    let broker = Broker::<Controller<StorageContainer>, StorageContainer>::builder()
        .node_id(111)
        .cluster_id("tongban")
        .incarnation_id(uuid::Uuid::new_v4())
        .advertised_listener(listener.clone())
        .storage(storage)
        .listener(listener)
        .silent(true)
        .build()
        .await?;
    Ok(broker)
}

/// Normalises a storage URL and creates the directory of an SQLite file.
///
/// tansu joins an SQLite URL's host and path to the working directory, so `sqlite:///a/b.db`
/// would land in `./a/b.db`; a path that starts with `//` survives the join as absolute.
fn storage_url(storage: &str) -> anyhow::Result<Url> {
    let (url, file) = if let Some(absolute) = storage.strip_prefix("sqlite:///") {
        let path = PathBuf::from(format!("/{}", absolute.trim_start_matches('/')));
        (format!("sqlite:///{}", path.display()), Some(path))
    } else if let Some(relative) = storage.strip_prefix("sqlite://") {
        (
            storage.to_owned(),
            Some(std::env::current_dir()?.join(relative)),
        )
    } else {
        (storage.to_owned(), None)
    };
    if let Some(dir) = file.as_deref().and_then(std::path::Path::parent) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(Url::parse(&url)?)
}

/// A `sqlite:` storage URL for a file anywhere on disk.
pub fn sqlite_storage(path: &std::path::Path) -> String {
    format!("sqlite:///{}", path.display())
}
