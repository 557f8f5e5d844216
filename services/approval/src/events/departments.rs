//! Keeps `department_directory` and `region_department_counts` from the catalogue's events.

use futures::future::BoxFuture;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::catalogue::v1::DepartmentRegistered;

pub struct DepartmentDirectory;

impl Handler for DepartmentDirectory {
    fn handles(&self, ce_type: &str) -> bool {
        ce_type == DepartmentRegistered::TYPE
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let registered: DepartmentRegistered = event.decode()?;
            let id = field::uuid("department_id", &registered.department_id)?;
            if registered.region_code.len() != 12 {
                return Err(HandleError::Permanent(format!(
                    "region_code {} is not 12 digits",
                    registered.region_code
                )));
            }
            let registered_at = event.instant(registered.registered_at);
            sqlx::query(
                "insert into department_directory (department_id, region_code, name, credit_code, registered_at)
                 values ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&registered.region_code)
            .bind(&registered.name)
            .bind(&registered.credit_code)
            .bind(registered_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "insert into region_department_counts (region_code, departments) values ($1, 1)
                 on conflict (region_code) do update
                 set departments = region_department_counts.departments + 1",
            )
            .bind(&registered.region_code)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }
}
