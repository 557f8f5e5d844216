//! 一件事 bundles and their versions. Publishing pins each member item's version in force and
//! freezes the combined material list with it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::catalogue::v1 as events;
use tongban_kernel::{CreditCode, Error, ImplementationCode, RegionCode};

use crate::actor::Actor;
use crate::domain::bundle::{BundleSpec, CombinedMaterial, combine};
use crate::domain::item::ItemSpec;
use crate::domain::search;
use crate::domain::status::{Status, VersionStatus};

use super::items::wire;

/// A member item as the bundle pins it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub implementation_code: ImplementationCode,
    pub version: i32,
    pub name: String,
    pub department_credit_code: CreditCode,
    pub region_code: RegionCode,
}

/// One version of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bundle {
    pub id: Uuid,
    /// The region whose halls offer it.
    pub region_code: RegionCode,
    pub status: Status,
    pub current_version: Option<i32>,
    pub version: i32,
    pub version_status: VersionStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub spec: BundleSpec,
    /// Pinned at publish; for a draft, what publishing now would pin.
    pub members: Vec<Member>,
    /// The combined material list: each shared material once.
    pub materials: Vec<CombinedMaterial>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    region_code: String,
    status: Status,
    current_version: Option<i32>,
    version: i32,
    version_status: VersionStatus,
    published_at: Option<DateTime<Utc>>,
    withdrawn_reason: Option<String>,
    spec: Jsonb<BundleSpec>,
    members: Option<Jsonb<Vec<Member>>>,
    materials: Option<Jsonb<Vec<CombinedMaterial>>>,
}

const SELECT: &str = "select b.id, b.region_code, b.status, b.current_version, v.version,
        v.status as version_status, v.published_at, v.withdrawn_reason, v.spec, v.members, v.materials
    from bundles b join bundle_versions v on v.bundle_id = b.id";

/// The member items' versions in force and their specs; 422 naming the item that is not.
async fn resolve(
    conn: &mut PgConnection,
    spec: &BundleSpec,
) -> Result<(Vec<Member>, Vec<CombinedMaterial>), Error> {
    let mut members = Vec::new();
    let mut specs: Vec<(ImplementationCode, ItemSpec)> = Vec::new();
    for (n, code) in spec.items.iter().enumerate() {
        let row: Option<(i32, String, String, Jsonb<ItemSpec>)> = sqlx::query_as(
            "select v.version, v.name, i.region_code, v.spec from items i
             join item_versions v on v.item_id = i.id and v.version = i.current_version
             where i.code = $1 and i.status = $2",
        )
        .bind(code.as_str())
        .bind(Status::Published)
        .fetch_optional(&mut *conn)
        .await?;
        let (version, name, region, item_spec) = row.ok_or_else(|| {
            Error::unprocessable(
                format!("spec.items[{n}]"),
                format!("{code} has no version in force"),
            )
        })?;
        members.push(Member {
            implementation_code: code.clone(),
            version,
            name,
            department_credit_code: code.credit_code(),
            region_code: region.parse().map_err(Error::internal)?,
        });
        specs.push((code.clone(), item_spec.0));
    }
    Ok((members, combine(&specs)))
}

async fn to_bundle(conn: &mut PgConnection, row: Row) -> Result<Bundle, Error> {
    let (members, materials) = match (row.members, row.materials) {
        (Some(members), Some(materials)) => (members.0, materials.0),
        // A draft: preview what publishing would pin, if it can be published at all.
        _ => resolve(conn, &row.spec.0).await.unwrap_or_default(),
    };
    Ok(Bundle {
        id: row.id,
        region_code: row.region_code.parse().map_err(Error::internal)?,
        status: row.status,
        current_version: row.current_version,
        version: row.version,
        version_status: row.version_status,
        published_at: row.published_at,
        withdrawn_reason: row.withdrawn_reason,
        spec: row.spec.0,
        members,
        materials,
    })
}

/// Checks the spec and that every member item exists.
async fn prepare(
    conn: &mut PgConnection,
    spec: &BundleSpec,
) -> Result<(Vec<String>, String), Error> {
    spec.check()?;
    for (n, code) in spec.items.iter().enumerate() {
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from items where code = $1)")
                .bind(code.as_str())
                .fetch_one(&mut *conn)
                .await?;
        if !exists {
            return Err(Error::unprocessable(
                format!("spec.items[{n}]"),
                format!("no item {code}"),
            ));
        }
    }
    let texts = std::iter::once(spec.name.as_str()).chain(spec.aliases.iter().map(String::as_str));
    Ok((search::index_terms(texts), spec.name.trim().to_owned()))
}

/// Creates a bundle offered in `region` with its first draft.
pub async fn create(
    pool: &PgPool,
    actor: Actor<'_>,
    region: &RegionCode,
    spec: &BundleSpec,
) -> Result<Uuid, Error> {
    actor.may_edit(region, None)?;
    let mut tx = pool.begin().await?;
    super::regions::require_known(&mut *tx, region, "region_code").await?;
    let (terms, name) = prepare(&mut tx, spec).await?;
    let id = Uuid::now_v7();
    sqlx::query("insert into bundles (id, region_code) values ($1, $2)")
        .bind(id)
        .bind(region.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into bundle_versions (bundle_id, version, status, spec, name, search_terms, created_by)
         values ($1, 1, $6, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(Jsonb(spec))
    .bind(name)
    .bind(&terms)
    .bind(actor.account())
    .bind(VersionStatus::Draft)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// (region, status, current version) of a bundle, locked.
async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<(RegionCode, Status, Option<i32>), Error> {
    let row: Option<(String, Status, Option<i32>)> = sqlx::query_as(
        "select region_code, status, current_version from bundles where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (region, status, current) = row.ok_or_else(|| Error::NotFound(format!("bundle {id}")))?;
    Ok((region.parse().map_err(Error::internal)?, status, current))
}

/// Replaces (or opens) the draft; returns its version.
pub async fn save_draft(
    pool: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    spec: &BundleSpec,
) -> Result<i32, Error> {
    let mut tx = pool.begin().await?;
    let (region, _, _) = lock(&mut tx, id).await?;
    actor.may_edit(&region, None)?;
    let (terms, name) = prepare(&mut tx, spec).await?;
    let version: i32 = sqlx::query_scalar(
        "with updated as (
             update bundle_versions set spec = $2, name = $3, search_terms = $4, created_by = $5, created_at = now()
             where bundle_id = $1 and status = $6 returning version
         ), inserted as (
             insert into bundle_versions (bundle_id, version, status, spec, name, search_terms, created_by)
             select $1, coalesce(max(version), 0) + 1, $6, $2, $3, $4, $5 from bundle_versions
             where bundle_id = $1
             -- an aggregate always yields a row: only insert when nothing was updated
             having not exists (select 1 from updated)
             returning version
         )
         select version from updated union all select version from inserted",
    )
    .bind(id)
    .bind(Jsonb(spec))
    .bind(name)
    .bind(&terms)
    .bind(actor.account())
    .bind(VersionStatus::Draft)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Puts the draft `version` in force, pinning the members' versions in force and the combined
/// material list; `BundlePublished` goes out.
pub async fn publish(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    id: Uuid,
    version: i32,
) -> Result<(), Error> {
    let (region, _, _) = lock(tx, id).await?;
    actor.may_edit(&region, None)?;
    let row: Option<(VersionStatus, Jsonb<BundleSpec>)> = sqlx::query_as(
        "select status, spec from bundle_versions where bundle_id = $1 and version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *tx)
    .await?;
    let (status, spec) =
        row.ok_or_else(|| Error::NotFound(format!("version {version} of bundle {id}")))?;
    if status != VersionStatus::Draft {
        return Err(Error::Conflict {
            code: "not_a_draft",
            message: format!("version {version} is {status}; only the draft can be published"),
        });
    }
    let (members, materials) = resolve(tx, &spec.0).await?;
    sqlx::query("update bundle_versions set status = $2 where bundle_id = $1 and status = $3")
        .bind(id)
        .bind(VersionStatus::Superseded)
        .bind(VersionStatus::Published)
        .execute(&mut *tx)
        .await?;
    let published_at: DateTime<Utc> = sqlx::query_scalar(
        "update bundle_versions set status = $6, members = $3, materials = $4,
                published_by = $5, published_at = now()
         where bundle_id = $1 and version = $2 returning published_at",
    )
    .bind(id)
    .bind(version)
    .bind(Jsonb(&members))
    .bind(Jsonb(&materials))
    .bind(actor.account())
    .bind(VersionStatus::Published)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update bundles set status = $3, current_version = $2 where id = $1")
        .bind(id)
        .bind(version)
        .bind(Status::Published)
        .execute(&mut *tx)
        .await?;
    let published = Published {
        id,
        version,
        spec: &spec.0,
        region: &region,
        members: &members,
        materials: &materials,
        at: published_at,
    };
    announce(tx, &published).await
}

/// A version just put in force, as its event tells it.
struct Published<'a> {
    id: Uuid,
    version: i32,
    spec: &'a BundleSpec,
    region: &'a RegionCode,
    members: &'a [Member],
    materials: &'a [CombinedMaterial],
    at: DateTime<Utc>,
}

/// Puts `BundlePublished` in the outbox, for the bundle's region and its members' regions.
async fn announce(tx: &mut PgConnection, published: &Published<'_>) -> Result<(), Error> {
    let Published {
        id,
        version,
        spec,
        region,
        members,
        materials,
        at,
    } = published;
    let event = events::BundlePublished {
        bundle_id: id.to_string(),
        version: *version as u32,
        name: spec.name.clone(),
        region_code: region.to_string(),
        lead_department_credit_code: spec.lead_department_credit_code.to_string(),
        members: members
            .iter()
            .map(|m| events::BundleMember {
                implementation_code: m.implementation_code.to_string(),
                version: m.version as u32,
                department_credit_code: m.department_credit_code.to_string(),
                region_code: m.region_code.to_string(),
            })
            .collect(),
        materials: materials
            .iter()
            .map(|m| events::CombinedMaterial {
                name: m.name.clone(),
                kind: wire(&m.kind),
                source: wire(&m.source),
                necessity: wire(&m.necessity),
                originals: u32::from(m.originals),
                copies: u32::from(m.copies),
                certificate_type: m.certificate_type.clone().unwrap_or_default(),
                used_by: m.used_by.iter().map(|c| c.to_string()).collect(),
            })
            .collect(),
        published_at: Some(tongban_events::timestamp(*at)),
    };
    let key = id.to_string();
    let mut regions = vec![region.to_string()];
    regions.extend(
        members
            .iter()
            .map(|m| m.region_code.to_string())
            .filter(|r| *r != region.to_string()),
    );
    regions.sort();
    regions.dedup();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// Takes the bundle out of service; `BundleWithdrawn` goes out.
pub async fn withdraw(
    pool: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    reason: &str,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let (region, status, current) = lock(&mut tx, id).await?;
    actor.may_edit(&region, None)?;
    let Some(version) = current.filter(|_| status == Status::Published) else {
        return Err(Error::Conflict {
            code: "not_published",
            message: format!("bundle {id} has no version in force"),
        });
    };
    let withdrawn_at: DateTime<Utc> = sqlx::query_scalar(
        "update bundle_versions set status = $4, withdrawn_at = now(), withdrawn_reason = $3
         where bundle_id = $1 and version = $2 returning withdrawn_at",
    )
    .bind(id)
    .bind(version)
    .bind(reason)
    .bind(VersionStatus::Withdrawn)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update bundles set status = $2, current_version = null where id = $1")
        .bind(id)
        .bind(Status::Withdrawn)
        .execute(&mut *tx)
        .await?;
    let key = id.to_string();
    let event = events::BundleWithdrawn {
        bundle_id: key.clone(),
        version: version as u32,
        region_code: region.to_string(),
        reason: reason.to_owned(),
        withdrawn_at: Some(tongban_events::timestamp(withdrawn_at)),
    };
    outbox::enqueue(
        &mut tx,
        &Subject {
            key: &key,
            subject: None,
            regions: vec![region.to_string()],
        },
        &event,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reads one version (drafts only for those who may edit them).
pub async fn get(
    pool: &PgPool,
    actor: Actor<'_>,
    id: Uuid,
    which: super::items::Which,
) -> Result<Bundle, Error> {
    use super::items::Which;
    let mut conn = pool.acquire().await?;
    let query = match which {
        Which::Current => format!(
            "{SELECT} where b.id = $1 and v.version = b.current_version and $2::int is null"
        ),
        Which::Draft => {
            format!("{SELECT} where b.id = $1 and v.status = $3 and $2::int is null")
        }
        Which::Number(_) => format!("{SELECT} where b.id = $1 and v.version = $2"),
    };
    let number = match which {
        Which::Number(n) => Some(n),
        _ => None,
    };
    let row: Option<Row> = sqlx::query_as(&query)
        .bind(id)
        .bind(number)
        .bind(VersionStatus::Draft)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => {
            let bundle = to_bundle(&mut conn, row).await?;
            if bundle.version_status == VersionStatus::Draft
                && !actor.sees_drafts(&bundle.region_code)
            {
                return Err(Error::NotFound(format!("bundle {id}")));
            }
            Ok(bundle)
        }
        None => Err(Error::NotFound(format!("bundle {id} ({which:?})"))),
    }
}

/// The bundle of `region` that has (or had) this name in any version.
pub async fn find_by_name(
    pool: &PgPool,
    region: &RegionCode,
    name: &str,
) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar(
        "select b.id from bundles b join bundle_versions v on v.bundle_id = b.id
         where b.region_code = $1 and v.name = $2 limit 1",
    )
    .bind(region.as_str())
    .bind(name.trim())
    .fetch_optional(pool)
    .await?)
}

/// Bundles in force offered in `region` or above it, whose name or aliases contain `text`.
pub async fn list(
    pool: &PgPool,
    region: Option<&RegionCode>,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<Bundle>, Error> {
    let lineage: Option<Vec<String>> = match region {
        Some(region) => Some(
            super::regions::lineage(pool, region)
                .await?
                .into_iter()
                .map(|r| r.code)
                .collect(),
        ),
        None => None,
    };
    let terms = text.map(search::query_terms).filter(|t| !t.is_empty());
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} where v.version = b.current_version and v.status = $4
           and ($1::text[] is null or b.region_code = any ($1))
           and ($2::text[] is null or v.search_terms @> $2)
         order by v.name limit $3"
    ))
    .bind(lineage)
    .bind(terms)
    .bind(limit)
    .bind(VersionStatus::Published)
    .fetch_all(&mut *conn)
    .await?;
    let mut bundles = Vec::with_capacity(rows.len());
    for row in rows {
        bundles.push(to_bundle(&mut conn, row).await?);
    }
    Ok(bundles)
}
