//! What every request handler and background task of the service shares.

use sqlx::PgPool;
use tongban_runtime::Clock;
use tongban_runtime::clock::Now;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The time the service acts on (a test may move it).
    pub clock: Clock,
    /// Working days before a due date of the yellow warning.
    pub warning_days: u32,
    /// Opens the departments' seal keys (sealed under the KEK).
    pub vault: tongban_vault::Vault,
    /// The platform's public base URL (`[approval] public_url`): printed certificates point
    /// their QR code at their status under it.
    pub public_url: String,
}

impl AppState {
    pub fn now(&self) -> Now {
        self.clock.moment()
    }
}
