//! What every request handler and timer of the service shares.

use std::sync::Arc;

use sqlx::PgPool;
use tongban_runtime::Clock;
use tongban_runtime::regions::RegionDirectory;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The catalogue's division tree: agreements name real regions, and coverage follows the
    /// stored parents.
    pub regions: Arc<RegionDirectory>,
    /// The service clock (tests move it): every action is stamped with its time.
    pub clock: Clock,
}
