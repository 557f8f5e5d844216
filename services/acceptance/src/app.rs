//! What every request handler of the service is given.

use std::sync::Arc;

use sqlx::PgPool;
use tongban_runtime::regions::RegionDirectory;

use crate::db;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The hall's lists and the staff search read through this one ([`db::reads`]).
    pub reads: PgPool,
    /// Hands out case numbers outside the submitting transaction.
    pub numbers: db::numbers::CaseNumbers,
    /// The catalogue's division tree: where a window case is received, and what lies above it.
    pub regions: Arc<RegionDirectory>,
    /// The time acceptance acts on (a test may move it).
    pub clock: tongban_runtime::Clock,
    pub settings: Arc<crate::config::AcceptanceSettings>,
    /// Hashes and checks query passwords (its key sealed under the KEK).
    pub passwords: Arc<crate::case::password::QueryPasswords>,
    /// Applicants' identities from identity; their documents indexed and sealed.
    pub identities: Arc<crate::case::applicant::Identities>,
}
