//! The pool the hall's lists and the staff search read through: the service's server and
//! schema, its statements keeping one generic plan (`plan_cache_mode = force_generic_plan`).
//! Their plans do not depend on the values bound — a county, a status, a time, a keyed hash, a
//! name's range: the SQL says what an index can follow — and planning each statement anew (a
//! union of branches over `cases` and its indexes) cost more than running it: 0.4–1.6 ms
//! against 0.2–0.3 ms with a province's cases (docs/performance.md).

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// Connections of the pool, opened beside the service's (the connection budget,
/// `tongban::connections`, counts them): short reads, one statement each.
pub const CONNECTIONS: u32 = 4;

/// The reads' pool beside the service's `pool`: same server, schema and acquire timeout; its
/// connections are opened when first needed and closed after a minute idle.
pub fn beside(pool: &PgPool) -> PgPool {
    let options = (*pool.connect_options())
        .clone()
        .options([("plan_cache_mode", "force_generic_plan")]);
    PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        .min_connections(0)
        .idle_timeout(Duration::from_secs(60))
        .acquire_timeout(pool.options().get_acquire_timeout())
        .connect_lazy_with(options)
}
