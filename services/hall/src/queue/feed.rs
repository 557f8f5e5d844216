//! The board's live feed (server-sent events): every change of a ticket notifies the hall's
//! channel in PostgreSQL with its region (a trigger's `pg_notify` in the change's transaction,
//! so only a committed change is told, and every replica of the service hears it). One listener per
//! replica turns a region's notifications into one fresh board, sent to every screen of that
//! hall; each message is the whole board, so a screen that reconnects misses nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use tongban_kernel::{Clock, RegionCode};
use tongban_runtime::CancellationToken;

use super::board;
use super::store::BOARD_CHANNEL;

/// Notifications arriving within this long are drawn as one board per region.
const GATHER: Duration = Duration::from_millis(50);

/// Connections the feed keeps out of the service's pool: its `LISTEN`, one per replica, taken
/// from the pool for as long as the replica runs (the connection budget counts it).
pub const CONNECTIONS_HELD_FROM_POOL: u32 = 1;

/// A region's board, as JSON.
#[derive(Debug, Clone)]
pub struct Update {
    pub region: String,
    pub board: Arc<str>,
}

/// The boards drawn, for every screen to pick its hall's.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Update>,
}

impl Default for Feed {
    fn default() -> Self {
        // A screen that falls this far behind skips to the latest board.
        let (sender, _) = broadcast::channel(64);
        Self { sender }
    }
}

impl Feed {
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.sender.subscribe()
    }
}

/// Listens until `shutdown`, reconnecting after a lost connection.
pub async fn listen(pool: PgPool, feed: Feed, clock: Clock, shutdown: CancellationToken) {
    loop {
        let result = tokio::select! {
            () = shutdown.cancelled() => return,
            result = relay(&pool, &feed, &clock) => result,
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, "the board feed lost its listener; it reconnects");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn relay(pool: &PgPool, feed: &Feed, clock: &Clock) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(BOARD_CHANNEL).await?;
    loop {
        let first = listener.recv().await?;
        let mut regions = BTreeSet::from([first.payload().to_owned()]);
        // Gather what follows at once (eight windows calling together draw one board).
        let deadline = tokio::time::Instant::now() + GATHER;
        while let Ok(next) = tokio::time::timeout_at(deadline, listener.recv()).await {
            regions.insert(next?.payload().to_owned());
        }
        if feed.sender.receiver_count() == 0 {
            continue;
        }
        for region in regions {
            let Ok(code) = region.parse::<RegionCode>() else {
                continue;
            };
            match board::board(pool, &code, clock.moment()).await {
                Ok(drawn) => {
                    let json = serde_json::to_string(&drawn).unwrap_or_default();
                    // No screen listening is no failure.
                    let _ = feed.sender.send(Update {
                        region,
                        board: json.into(),
                    });
                }
                Err(err) => tracing::warn!(error = %err, region, "a board could not be drawn"),
            }
        }
    }
}
