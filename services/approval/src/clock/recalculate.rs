//! A change of the working-day calendar moves the due dates it touches.

use serde_json::json;
use sqlx::PgConnection;

use tongban_events::approval::v1 as events;
use tongban_kernel::Error;

use super::store::reckon;
use crate::work_item::state::WorkItemState;
use crate::work_item::store::{COLUMNS, Entry, Now, Row, record};

/// Recomputes the due dates a change of the calendar of `region` ('' for the nation) in `year`
/// can move: the open work items handled there (anywhere, for the nation) accepted by the end
/// of that year and due in it or later, or resting on unpublished years. Each date that moved
/// is recorded and published, so the applicant's case follows. Returns how many moved.
pub async fn recalculate(
    tx: &mut PgConnection,
    region: &str,
    year: i32,
    now: Now,
    warning_days: u32,
) -> Result<usize, Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w
         where w.state = any($3) and ($1 = '' or w.handling_region = $1)
           and w.accepted_on <= make_date($2, 12, 31)
           and (w.due_provisional or w.due_date >= make_date($2, 1, 1))
         for update"
    ))
    .bind(region)
    .bind(year)
    .bind(&WorkItemState::OPEN[..])
    .fetch_all(&mut *tx)
    .await?;
    let mut calendars = tongban_calendar::Calendars::default();
    let mut moved = 0;
    for row in rows {
        let calendar = calendars.of(tx, &row.handling_region).await?;
        let due = reckon(tx, &row, calendar, now.today, warning_days).await?;
        if Some(due.date) == row.due_date && due.provisional == row.due_provisional {
            continue;
        }
        moved += 1;
        let previous = row.due_date.map(|d| d.to_string()).unwrap_or_default();
        let entry = Entry {
            at: now.at,
            actor: None,
            action: "due_date_recalculated",
            step: Some(row.current_step),
            detail: json!({ "previous_due_date": previous, "due_date": due.date, "provisional": due.provisional }),
        };
        let event = events::DueDateRecalculated {
            work: Some(row.work_ref()),
            previous_due_date: previous,
            due_date: due.date.to_string(),
            due_date_provisional: due.provisional,
            recalculated_at: Some(tongban_events::timestamp(now.at)),
        };
        record(tx, &row, entry, Some(&event)).await?;
    }
    Ok(moved)
}
