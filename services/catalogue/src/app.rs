//! The state every handler shares.

use sqlx::PgPool;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The service clock: a search by region finds the agreements in force on its date.
    pub clock: tongban_runtime::Clock,
}
