//! What every HTTP handler shares: kept apart from `lib.rs` so that the routes depend on it
//! and the crate root depends on the routes, never in a circle.

use sqlx::PgPool;
use tongban_runtime::Clock;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The service's time (adjustable in tests): what "today" and a period's end are.
    pub clock: Clock,
}
