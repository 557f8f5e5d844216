//! Counting a visit of the applicant to a hall (最多跑一次 made measurable).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use super::rated::{Rated, rated_from};
use super::store::{load, note, publish, require_clerk, require_not_part};

/// Why the applicant came to the hall.
pub const VISIT_PURPOSES: [&str; 4] = ["intake", "supply", "pickup", "other"];

/// Counts a visit for the case in the caller's transaction, with its history entry and event;
/// the case as a rating of the visit needs it.
pub(crate) async fn count_visit(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Rated, Error> {
    if !VISIT_PURPOSES.contains(&purpose) {
        return Err(Error::bad_request(
            "purpose",
            format!("one of {}", VISIT_PURPOSES.join(", ")),
        ));
    }
    let row = load(conn, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let visits: i32 =
        sqlx::query_scalar("update cases set visits = visits + 1 where id = $1 returning visits")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let detail = json!({ "purpose": purpose, "visits": visits });
    note(
        conn,
        &row,
        Entry::new(now, Some(principal.account), "visit", detail),
    )
    .await?;
    let mut case = row.reference();
    case.visits = visits as u32;
    let event = events::VisitRecorded {
        case: Some(case),
        purpose: purpose.to_owned(),
        visits: visits as u32,
        recorded_by: principal.account.to_string(),
        recorded_at: Some(tongban_events::timestamp(now)),
    };
    publish(conn, &row, &event).await?;
    rated_from(conn, row).await
}
