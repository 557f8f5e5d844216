//! Keeps the item versions cases are pinned to (their steps, promised limit and results) and
//! the working-day calendar, from the catalogue's events. An item version that arrives after
//! its cases opens the work items waiting for it; a calendar change moves the due dates it
//! touches.

use serde_json::{Value, json};
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::{CalendarChanged, ItemPublished};

use tongban_runtime::Clock;

use crate::work_item::open;

pub struct CatalogueProjection {
    /// Working days before the due date of the yellow warning (for work items opened here).
    pub warning_days: u32,
    /// The time work items open and due dates move at (the service clock).
    pub clock: Clock,
}

impl On<ItemPublished> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemPublished,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        item_published(tx, &item, event).await?;
        open::open_awaiting(
            tx,
            &item.implementation_code,
            item.version as i32,
            self.warning_days,
            self.clock.moment(),
        )
        .await?;
        Ok(())
    }
}

impl On<CalendarChanged> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        change: CalendarChanged,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let (region, year) = (change.region_code.clone(), change.year);
        tongban_calendar::apply(tx, change).await?;
        let now = self.clock.moment();
        let moved =
            crate::clock::recalculate::recalculate(tx, &region, year, now, self.warning_days)
                .await?;
        if moved > 0 {
            tracing::info!(region, year, moved, "due dates moved by a calendar change");
        }
        Ok(())
    }
}

async fn item_published(
    tx: &mut PgConnection,
    item: &ItemPublished,
    event: &Delivered,
) -> Result<(), HandleError> {
    let department = field::uuid("department_id", &item.department_id)?;
    if item.implementation_code.len() != 31 {
        return Err(field::malformed(
            "implementation_code",
            &item.implementation_code,
        ));
    }
    let promised = item.promised_time_limit.clone().unwrap_or_default();
    let steps: Vec<Value> = item
        .steps
        .iter()
        .map(|s| {
            json!({ "name": s.name, "role": s.role,
                "time_limit": s.time_limit.as_ref().map(|l| json!({ "value": l.value, "unit": l.unit })) })
        })
        .collect();
    let results: Vec<Value> = item
        .results
        .iter()
        .map(|r| json!({ "name": r.name, "kind": r.kind, "e_certificate": r.e_certificate }))
        .collect();
    let published_at = event.instant(item.published_at);
    sqlx::query(
        "insert into item_versions (implementation_code, version, name, department_id,
             department_credit_code, region_code, kind, promised_value, promised_unit, steps,
             results, published_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (implementation_code, version) do nothing",
    )
    .bind(&item.implementation_code)
    .bind(item.version as i32)
    .bind(&item.name)
    .bind(department)
    .bind(&item.department_credit_code)
    .bind(&item.region_code)
    .bind(&item.kind)
    .bind(promised.value as i32)
    .bind(&promised.unit)
    .bind(Value::Array(steps))
    .bind(Value::Array(results))
    .bind(published_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
