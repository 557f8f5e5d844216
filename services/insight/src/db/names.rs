//! Item and department names, from the catalogue's events (the newest version's name wins).

use sqlx::PgConnection;
use uuid::Uuid;

pub async fn item(
    conn: &mut PgConnection,
    implementation_code: &str,
    version: i32,
    name: &str,
    department_id: Option<Uuid>,
    region_code: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into items as i (implementation_code, version, name, department_id, region_code)
         values ($1, $2, $3, $4, $5)
         on conflict (implementation_code) do update
             set version = excluded.version, name = excluded.name,
                 department_id = coalesce(excluded.department_id, i.department_id),
                 region_code = excluded.region_code
             where excluded.version >= i.version",
    )
    .bind(implementation_code)
    .bind(version)
    .bind(name)
    .bind(department_id)
    .bind(region_code)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn department(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    region_code: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into departments (id, name, region_code) values ($1, $2, $3)
         on conflict (id) do update set name = excluded.name, region_code = excluded.region_code",
    )
    .bind(id)
    .bind(name)
    .bind(region_code)
    .execute(conn)
    .await?;
    Ok(())
}
