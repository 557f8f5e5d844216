//! Keeps `department_directory` and `region_department_counts` from the catalogue's events.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::DepartmentRegistered;

pub struct DepartmentDirectory;

impl On<DepartmentRegistered> for DepartmentDirectory {
    async fn on(
        &self,
        tx: &mut PgConnection,
        registered: DepartmentRegistered,
        event: &Delivered,
    ) -> Result<(), HandleError> {
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
    }
}
