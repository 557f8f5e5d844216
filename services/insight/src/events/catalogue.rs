//! Names for the statistics' dimensions: items (the newest version) and departments.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::{DepartmentRegistered, ItemPublished};

use crate::db::names;

pub struct Names;

impl On<ItemPublished> for Names {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemPublished,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        names::item(
            tx,
            &item.implementation_code,
            item.version as i32,
            &item.name,
            field::optional_uuid("department_id", &item.department_id)?,
            &item.region_code,
        )
        .await?;
        Ok(())
    }
}

impl On<DepartmentRegistered> for Names {
    async fn on(
        &self,
        tx: &mut PgConnection,
        department: DepartmentRegistered,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        names::department(
            tx,
            field::uuid("department_id", &department.department_id)?,
            &department.name,
            &department.region_code,
        )
        .await?;
        Ok(())
    }
}
