//! Regions: loading the shipped divisions and reading the tree.

use sqlx::PgPool;

use tongban_kernel::{Error, RegionCode};

use crate::regions::levels;

/// A region as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// province, city, county, town.
    pub level: String,
    pub parent_code: Option<String>,
}

/// Rows written per statement.
const BATCH: usize = 5_000;

/// Loads (or refreshes) every shipped division, parents first; reports each level as it
/// finishes. Running it again changes only what the data changed.
pub async fn import(pool: &PgPool, mut progress: impl FnMut(&str, usize)) -> Result<usize, Error> {
    let levels = levels().map_err(Error::internal)?;
    let mut total = 0;
    for (level, divisions) in levels {
        for batch in divisions.chunks(BATCH) {
            let codes: Vec<&str> = batch.iter().map(|d| d.code.as_str()).collect();
            let names: Vec<&str> = batch.iter().map(|d| d.name.as_str()).collect();
            let levels: Vec<&str> = batch.iter().map(|d| d.level).collect();
            let parents: Vec<Option<&str>> = batch.iter().map(|d| d.parent.as_deref()).collect();
            sqlx::query(
                "insert into regions (code, name, level, parent_code)
                 select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
                 on conflict (code) do update
                 set name = excluded.name, level = excluded.level, parent_code = excluded.parent_code
                 where (regions.name, regions.level, regions.parent_code)
                       is distinct from (excluded.name, excluded.level, excluded.parent_code)",
            )
            .bind(&codes)
            .bind(&names)
            .bind(&levels)
            .bind(&parents)
            .execute(pool)
            .await?;
        }
        total += divisions.len();
        progress(level, divisions.len());
    }
    Ok(total)
}

/// `Ok` when `code` names a known division, else 422 naming `field`.
pub async fn require_known(
    conn: impl sqlx::PgExecutor<'_>,
    code: &RegionCode,
    field: &str,
) -> Result<(), Error> {
    let known: bool = sqlx::query_scalar("select exists (select 1 from regions where code = $1)")
        .bind(code.as_str())
        .fetch_one(conn)
        .await?;
    if known {
        Ok(())
    } else {
        Err(Error::unprocessable(
            field,
            format!("{code} is not a known administrative division (see /v1/regions)"),
        ))
    }
}

pub async fn count(pool: &PgPool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("select count(*) from regions")
        .fetch_one(pool)
        .await?)
}

pub async fn find(pool: &PgPool, code: &RegionCode) -> Result<Option<Region>, Error> {
    Ok(
        sqlx::query_as("select code, name, level, parent_code from regions where code = $1")
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn children(pool: &PgPool, code: &RegionCode) -> Result<Vec<Region>, Error> {
    Ok(sqlx::query_as(
        "select code, name, level, parent_code from regions where parent_code = $1 order by code",
    )
    .bind(code.as_str())
    .fetch_all(pool)
    .await?)
}

/// The region and everything above it, province first.
pub async fn lineage(
    conn: impl sqlx::PgExecutor<'_>,
    code: &RegionCode,
) -> Result<Vec<Region>, Error> {
    Ok(sqlx::query_as(
        "with recursive up as (
             select code, name, level, parent_code, 0 as depth from regions where code = $1
             union all
             select r.code, r.name, r.level, r.parent_code, up.depth + 1
             from regions r join up on r.code = up.parent_code
             -- five levels at most: a bad parent link cannot make this loop
             where up.depth < 5
         )
         select code, name, level, parent_code from up order by depth desc",
    )
    .bind(code.as_str())
    .fetch_all(conn)
    .await?)
}

/// Regions whose name contains `text`, higher levels first.
pub async fn search(pool: &PgPool, text: &str, limit: i64) -> Result<Vec<Region>, Error> {
    let pattern = super::like_pattern(text);
    Ok(sqlx::query_as(
        "select code, name, level, parent_code from regions where name like $1
         order by case level when 'province' then 0 when 'city' then 1 when 'county' then 2 else 3 end, code
         limit $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
