//! Department rows and the events their changes raise.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::catalogue::v1::DepartmentRegistered;
use tongban_kernel::{CreditCode, Error, RegionCode};

use crate::domain::department::Department;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    region_code: String,
    name: String,
    credit_code: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Department {
    type Error = Error;
    fn try_from(row: Row) -> Result<Self, Error> {
        Ok(Department {
            id: row.id,
            region_code: row.region_code.parse().map_err(Error::internal)?,
            name: row.name,
            credit_code: row.credit_code.parse().map_err(Error::internal)?,
            created_at: row.created_at,
        })
    }
}

/// Inserts the department and its `DepartmentRegistered` event in one transaction. The region
/// must be a known division (422 naming `region_code` otherwise).
pub async fn register(
    pool: &PgPool,
    region: RegionCode,
    name: &str,
    credit_code: &CreditCode,
) -> Result<Department, Error> {
    let mut tx = pool.begin().await?;
    super::regions::require_known(&mut *tx, &region, "region_code").await?;
    let row: Row = sqlx::query_as(
        "insert into departments (id, region_code, name, credit_code)
         values ($1, $2, $3, $4)
         returning id, region_code, name, credit_code, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(region.as_str())
    .bind(name)
    .bind(credit_code.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict)?;
    let department = Department::try_from(row)?;
    let id = department.id.to_string();
    let event = DepartmentRegistered {
        department_id: id.clone(),
        region_code: region.to_string(),
        name: department.name.clone(),
        credit_code: credit_code.to_string(),
        registered_at: Some(tongban_events::timestamp(department.created_at)),
    };
    let about = Subject {
        key: &id,
        subject: None,
        regions: vec![region.to_string()],
    };
    outbox::enqueue(&mut tx, &about, &event).await?;
    tx.commit().await?;
    Ok(department)
}

/// The department with this credit code.
pub async fn find_by_credit_code(
    conn: impl sqlx::PgExecutor<'_>,
    credit_code: &CreditCode,
) -> Result<Option<Department>, Error> {
    let row: Option<Row> = sqlx::query_as(
        "select id, region_code, name, credit_code, created_at from departments where credit_code = $1",
    )
    .bind(credit_code.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(Department::try_from).transpose()
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<Department>, Error> {
    let row: Option<Row> = sqlx::query_as(
        "select id, region_code, name, credit_code, created_at from departments where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(Department::try_from).transpose()
}

pub async fn list(
    pool: &PgPool,
    region: Option<RegionCode>,
    limit: i64,
) -> Result<Vec<Department>, Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "select id, region_code, name, credit_code, created_at from departments
         where $1::text is null or region_code = $1
         order by region_code, name limit $2",
    )
    .bind(region.as_ref().map(RegionCode::as_str))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Department::try_from).collect()
}

/// Unique violations become 409s that say which value is taken.
fn conflict(err: sqlx::Error) -> Error {
    Error::conflict_on(
        err,
        &[
            (
                "departments_credit_code_key",
                "duplicate_credit_code",
                "a department with this credit code is already registered",
            ),
            (
                "departments_region_name_key",
                "duplicate_name",
                "a department with this name is already registered in the region",
            ),
        ],
    )
}
