//! What every HTTP handler shares: kept apart from `lib.rs` so that the routes depend on it
//! and the crate root depends on the routes, never in a circle.

use std::sync::Arc;

use sqlx::PgPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The SMS gateway's key: its delivery receipts are signed with it.
    pub sms_api_key: secrecy::SecretString,
    /// Service accounts (client ids) that may have one-time codes texted.
    pub code_senders: Arc<Vec<String>>,
    /// Wakes the sender for a one-time code.
    pub wake: Arc<tokio::sync::Notify>,
    /// The service's time (adjustable in tests).
    pub clock: tongban_runtime::Clock,
    /// Where webhooks may point.
    pub outbound: crate::outbound::Outbound,
    /// Seals webhook secrets under the KEK.
    pub vault: tongban_vault::Vault,
}
