//! Keeps `items` from the catalogue's events: an agreement may only list items in force, and it
//! needs the region that handles each; a transfer names the item and its department. Keeps the
//! working-day calendar too: hand-over deadlines are in working days.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::{CalendarChanged, ItemPublished, ItemWithdrawn};

pub struct CatalogueItems;

impl On<ItemPublished> for CatalogueItems {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemPublished,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("item_id", &item.item_id)?;
        // A version in force only moves forward: a replayed older one changes nothing.
        sqlx::query(
            "insert into items (implementation_code, item_id, name, region_code,
                 department_credit_code, version, in_force, department_id)
             values ($1, $2, $3, $4, $5, $6, true, $7)
             on conflict (implementation_code) do update
             set name = excluded.name, region_code = excluded.region_code,
                 department_credit_code = excluded.department_credit_code,
                 version = excluded.version, in_force = true,
                 department_id = excluded.department_id
             where items.version < excluded.version",
        )
        .bind(&item.implementation_code)
        .bind(id)
        .bind(&item.name)
        .bind(&item.region_code)
        .bind(&item.department_credit_code)
        .bind(item.version as i32)
        .bind(uuid::Uuid::parse_str(&item.department_id).ok())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl On<ItemWithdrawn> for CatalogueItems {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemWithdrawn,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        sqlx::query(
            "update items set in_force = false
             where implementation_code = $1 and version <= $2",
        )
        .bind(&item.implementation_code)
        .bind(item.version as i32)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl On<CalendarChanged> for CatalogueItems {
    async fn on(
        &self,
        tx: &mut PgConnection,
        change: CalendarChanged,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        tongban_calendar::apply(tx, change).await
    }
}
