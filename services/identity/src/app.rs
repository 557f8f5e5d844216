//! The state every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::config::IdentitySettings;
use crate::{keys, texts};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub identity: Arc<IdentitySettings>,
    pub signer: Arc<keys::Signer>,
    /// The catalogue's division tree: staff regions and role bindings must name real regions.
    pub regions: Arc<tongban_runtime::regions::RegionDirectory>,
    /// Texts one-time codes through the notification service.
    pub texts: Arc<texts::Texts>,
    /// The service's time (adjustable in tests).
    pub clock: tongban_runtime::Clock,
    /// The national identity check behind online real-name verification; none configured:
    /// verification answers 503.
    pub real_name: Option<Arc<dyn crate::real_name::RealNameVerifier>>,
}

impl AppState {
    /// How long a retired key stays published: until every token it signed has expired.
    pub fn jwks_grace_secs(&self) -> i64 {
        grace_secs(&self.identity)
    }
}

pub(crate) fn grace_secs(identity: &IdentitySettings) -> i64 {
    identity.access_token_ttl_secs + keys::RECHECK.as_secs() as i64 + tongban_auth::jwt::LEEWAY_SECS
}
