//! Names for the statistics' dimensions: items (the newest version) and departments.

use futures::future::BoxFuture;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::catalogue::v1::{DepartmentRegistered, ItemPublished};

use crate::db::names;

pub struct Names;

impl Handler for Names {
    fn handles(&self, ce_type: &str) -> bool {
        [ItemPublished::TYPE, DepartmentRegistered::TYPE].contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            match event.attributes.ce_type.as_str() {
                ItemPublished::TYPE => {
                    let item: ItemPublished = event.decode()?;
                    names::item(
                        tx,
                        &item.implementation_code,
                        item.version as i32,
                        &item.name,
                        field::optional_uuid("department_id", &item.department_id)?,
                        &item.region_code,
                    )
                    .await?;
                }
                _ => {
                    let department: DepartmentRegistered = event.decode()?;
                    names::department(
                        tx,
                        field::uuid("department_id", &department.department_id)?,
                        &department.name,
                        &department.region_code,
                    )
                    .await?;
                }
            }
            Ok(())
        })
    }
}
