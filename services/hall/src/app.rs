//! What every request handler shares.

use std::sync::Arc;

use sqlx::PgPool;
use tongban_runtime::Clock;
use tongban_runtime::regions::RegionDirectory;

use crate::booking::person::PersonKey;
use crate::queue::feed::Feed;
use crate::queue::visit::Visits;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The catalogue's division tree: a centre is a real region's.
    pub regions: Arc<RegionDirectory>,
    /// The service clock (tests move it): tickets are stamped and days counted on it.
    pub clock: Clock,
    /// The key of the persons' digests (bookings: who comes).
    pub persons: Arc<PersonKey>,
    /// Acceptance's visits: a finished ticket's visit is recorded there.
    pub visits: Arc<Visits>,
    /// The boards drawn on every ticket event, for the screens' live feed.
    pub feed: Feed,
}
