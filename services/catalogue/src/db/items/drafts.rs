//! The drafts awaiting publication in a region: what its catalogue administrators put in force.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use tongban_kernel::{Error, RegionCode};

use crate::domain::status::VersionStatus;

/// A draft, as a list of work to publish shows it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DraftSummary {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub department_name: String,
    /// The draft's version number: what `POST /v1/items/{code}/publish` takes.
    pub version: i32,
    /// The version in force it would replace; none for an item never published.
    pub current_version: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// The drafts of items implemented in `region` and below it, newest first.
pub async fn drafts(
    pool: &PgPool,
    region: &RegionCode,
    limit: i64,
) -> Result<Vec<DraftSummary>, Error> {
    Ok(sqlx::query_as(
        "select i.code, v.name, i.region_code, d.name as department_name, v.version,
             i.current_version, v.created_at
         from items i
         join item_versions v on v.item_id = i.id and v.status = $2
         join departments d on d.id = i.department_id
         where i.region_code like $1
         order by v.created_at desc, i.code
         limit $3",
    )
    .bind(format!("{}%", region.prefix()))
    .bind(VersionStatus::Draft)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
