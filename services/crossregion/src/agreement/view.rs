//! What anyone sees of an agreement (通办 agreements are public, like the catalogue): the schema
//! types and the read queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, RegionCode};

use super::state::{Mode, Scope, Status};
use super::store::{COLUMNS, Row};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Item {
    pub implementation_code: String,
    /// Where the item is handled.
    pub region_code: String,
    pub name: String,
}

/// One region's signature (empty while it is awaited).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Signature {
    pub region_code: String,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SignatureRow {
    agreement_id: Uuid,
    region_code: String,
    signed_by: Option<Uuid>,
    signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    pub id: Uuid,
    pub title: String,
    pub mode: Mode,
    /// county, city, province or cross_province: the widest reach between its regions.
    pub scope: Scope,
    pub items: Vec<Item>,
    pub collecting_regions: Vec<String>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    /// proposed (awaiting signatures), in_force (from `effective_from`) or terminated.
    pub status: Status,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// When the last region signed.
    pub concluded_at: Option<DateTime<Utc>>,
    pub signatures: Vec<Signature>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub termination_reason: Option<String>,
}

async fn with_items(conn: &mut PgConnection, rows: Vec<Row>) -> Result<Vec<Agreement>, Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let items: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "select agreement_id, implementation_code, region_code, name from agreement_items
         where agreement_id = any($1) order by implementation_code",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let signatures: Vec<(Uuid, Signature)> = sqlx::query_as::<_, SignatureRow>(
        "select agreement_id, region_code, signed_by, signed_at from agreement_signatures
         where agreement_id = any($1) order by region_code",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.agreement_id,
            Signature {
                region_code: row.region_code,
                signed_by: row.signed_by,
                signed_at: row.signed_at,
            },
        )
    })
    .collect();
    Ok(rows
        .into_iter()
        .map(|row| Agreement {
            signatures: signatures
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, signature)| signature.clone())
                .collect(),
            status: Status::of(row.concluded_at.is_some(), row.terminated_at.is_some()),
            items: items
                .iter()
                .filter(|(id, ..)| *id == row.id)
                .map(|(_, code, region, name)| Item {
                    implementation_code: code.clone(),
                    region_code: region.clone(),
                    name: name.clone(),
                })
                .collect(),
            id: row.id,
            title: row.title,
            mode: row.mode,
            scope: row.scope,
            collecting_regions: row.collecting_regions,
            effective_from: row.effective_from,
            effective_until: row.effective_until,
            proposed_by: row.proposed_by,
            proposed_at: row.proposed_at,
            concluded_at: row.concluded_at,
            terminated_at: row.terminated_at,
            termination_reason: row.termination_reason,
        })
        .collect())
}

pub async fn get_in(conn: &mut PgConnection, id: Uuid) -> Result<Agreement, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a where a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| Error::NotFound(format!("agreement {id}")))?;
    Ok(with_items(conn, vec![row]).await?.remove(0))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Agreement, Error> {
    let mut conn = pool.acquire().await?;
    get_in(&mut conn, id).await
}

/// Agreements involving a region (collecting in it, above it or below it, or handling in
/// it), or an item; those in force on `on` when given. `region` comes with its lineage.
pub async fn list(
    pool: &PgPool,
    region: Option<(&RegionCode, &[String])>,
    item: Option<&str>,
    on: Option<NaiveDate>,
) -> Result<Vec<Agreement>, Error> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a
         where ($1::text is null
                or a.collecting_regions && $4
                or exists (select 1 from unnest(a.collecting_regions) r where r like $1 || '%')
                or exists (select 1 from agreement_items i where i.agreement_id = a.id and i.region_code like $1 || '%'))
           and ($2::text is null or exists (select 1 from agreement_items i where i.agreement_id = a.id and i.implementation_code = $2))
           and ($3::date is null or (a.effective_from <= $3 and (a.effective_until is null or a.effective_until >= $3)))
         order by a.concluded_at desc
         limit 500"
    ))
    .bind(region.map(|(r, _)| r.prefix().to_owned()))
    .bind(item)
    .bind(on)
    .bind(region.map(|(_, lineage)| lineage.to_vec()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    with_items(&mut conn, rows).await
}

/// The agreements in force on `on` that let a case of `item` be collected in the region whose
/// lineage (province first, itself last) is `lineage`.
pub async fn covering(
    pool: &PgPool,
    item: &str,
    lineage: &[String],
    on: NaiveDate,
) -> Result<Vec<Agreement>, Error> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a
         join agreement_items i on i.agreement_id = a.id and i.implementation_code = $1
         where a.collecting_regions && $2 and a.concluded_at is not null
           and a.effective_from <= $3 and (a.effective_until is null or a.effective_until >= $3)
         order by a.concluded_at"
    ))
    .bind(item)
    .bind(lineage)
    .bind(on)
    .fetch_all(&mut *conn)
    .await?;
    with_items(&mut conn, rows).await
}

/// The region that handles `item`, while it is in force.
pub async fn home_region(pool: &PgPool, item: &str) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar(
        "select region_code from items where implementation_code = $1 and in_force",
    )
    .bind(item)
    .fetch_optional(pool)
    .await?)
}
