//! What every request handler shares.

use std::sync::Arc;

use sqlx::PgPool;
use tongban_runtime::Clock;
use tongban_runtime::regions::RegionDirectory;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The catalogue's division tree: a centre is a real region's.
    pub regions: Arc<RegionDirectory>,
    /// The service clock (tests move it): tickets are stamped and days counted on it.
    pub clock: Clock,
}
