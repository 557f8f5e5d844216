//! What the ratings and remediations read of a case; the case itself lives in
//! [`crate::case`].

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

pub use crate::case::local_today;
pub use crate::case::rated::Rated;
pub(crate) use crate::case::rated::{rated, rated_by_system};
pub use crate::case::visit::VISIT_PURPOSES;

/// [`crate::case::visit::count_visit`] stamped with the transaction's time, for a caller that
/// does not pass the service clock's now yet (pass it to `case::visit::count_visit` instead).
pub(crate) async fn count_visit(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    purpose: &str,
) -> Result<Rated, Error> {
    let now: DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&mut *conn)
        .await?;
    crate::case::visit::count_visit(conn, principal, id, purpose, now).await
}
