//! A clerk records a visit: counted on the case and kept for its rating.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use super::view::{Case, get};
use super::visit::count_visit;

/// Counts a visit of the applicant to a hall for this case (最多跑一次 made measurable). For a
/// clerk whose scope covers the receiving region.
pub async fn record_visit(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let mut tx = pool.begin().await?;
    let visited = count_visit(&mut tx, principal, id, purpose, now).await?;
    crate::rating::visit::insert_visit(
        &mut tx,
        Uuid::now_v7(),
        principal,
        Some(id),
        &visited.receiving_region,
        purpose,
        now,
    )
    .await?;
    tx.commit().await?;
    get(pool, principal, id).await
}
