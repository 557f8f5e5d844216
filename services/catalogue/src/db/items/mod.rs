//! Implementation items and their versions: drafts, publishing, withdrawal, search, import and
//! export. Every change and its event commit in one transaction.
//!
//! - this module: what an item version looks like when read, and reading it;
//! - [`draft`]: creating items and writing their drafts;
//! - [`publish`]: putting a draft in force and withdrawing it, with their events;
//! - [`search`]: keyword search and export;
//! - [`import`]: many rows in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{
    Error, ImplementationCode, ImplementingLevel, MaterialCode, RegionCode, TimeLimit,
};

use crate::actor::Actor;
use crate::domain::availability::AvailableAs;
use crate::domain::basic::BasicItem;
use crate::domain::item::ItemSpec;
use crate::domain::status::{Status, VersionStatus};

mod draft;
mod drafts;
mod import;
mod publish;
mod search;

pub use draft::{create, save_draft};
pub use drafts::{DraftSummary, drafts};
pub use import::{ImportReport, Rejected, import};
pub use publish::{publish, withdraw};
pub use search::{Search, export, search};

/// The implementing department, as an item shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub name: String,
    pub credit_code: tongban_kernel::CreditCode,
}

/// One version of an implementation item, with the basic catalogue's common elements.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: Uuid,
    pub code: ImplementationCode,
    pub name: String,
    pub basic: BasicItem,
    pub department: DepartmentRef,
    pub region_code: RegionCode,
    pub level: ImplementingLevel,
    /// The item's state: draft (never published), published or withdrawn.
    pub status: Status,
    /// The version in force, if any.
    pub current_version: Option<i32>,
    /// This version and its state: draft, published, superseded or withdrawn.
    pub version: i32,
    pub version_status: VersionStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub spec: ItemSpec,
    /// The 34-character code of each of `spec.materials`, in the same order.
    pub material_codes: Vec<MaterialCode>,
}

/// What a search result shows of an item: enough to choose, not the whole version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemSummary {
    pub code: ImplementationCode,
    pub name: String,
    pub item_type: String,
    pub department: DepartmentRef,
    pub region_code: RegionCode,
    pub level: ImplementingLevel,
    pub version: i32,
    pub kind: crate::domain::item::ItemKind,
    pub promised_time_limit: TimeLimit,
    pub visits_required: u8,
    pub online_depth: String,
    pub tongban_scope: String,
    /// The real-name level an applicant needs (1-3).
    pub real_name_level: u8,
    /// With `region_code`: how a hall of that region may take the item in (its own, by the
    /// item's 通办 scope, or under an agreement); null otherwise.
    pub available_as: Option<AvailableAs>,
    /// With `available_as` `agreement`: the agreement's mode, `collect_elsewhere` (异地代收代办:
    /// the hall collects, the item's region handles); null otherwise.
    pub agreement_mode: Option<String>,
}

/// A version's history entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct VersionInfo {
    pub version: i32,
    pub status: VersionStatus,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    code: String,
    region_code: String,
    status: Status,
    current_version: Option<i32>,
    version: i32,
    version_status: VersionStatus,
    name: String,
    basic: Jsonb<BasicItem>,
    spec: Jsonb<ItemSpec>,
    published_at: Option<DateTime<Utc>>,
    withdrawn_reason: Option<String>,
    department_id: Uuid,
    department_name: String,
    department_credit_code: String,
}

const SELECT: &str = "select i.id, i.code, i.region_code, i.status, i.current_version,
        v.version, v.status as version_status, v.name, v.basic, v.spec, v.published_at, v.withdrawn_reason,
        d.id as department_id, d.name as department_name, d.credit_code as department_credit_code
    from items i
    join item_versions v on v.item_id = i.id
    join departments d on d.id = i.department_id";

impl TryFrom<Row> for Item {
    type Error = Error;
    fn try_from(row: Row) -> Result<Self, Error> {
        let code: ImplementationCode = row.code.parse().map_err(Error::internal)?;
        let spec = row.spec.0;
        let material_codes = spec.material_codes(&code).map(|(c, _)| c).collect();
        Ok(Item {
            id: row.id,
            level: code.level(),
            name: row.name,
            basic: row.basic.0,
            department: DepartmentRef {
                id: row.department_id,
                name: row.department_name,
                credit_code: row
                    .department_credit_code
                    .parse()
                    .map_err(Error::internal)?,
            },
            region_code: row.region_code.parse().map_err(Error::internal)?,
            status: row.status,
            current_version: row.current_version,
            version: row.version,
            version_status: row.version_status,
            published_at: row.published_at,
            withdrawn_reason: row.withdrawn_reason,
            spec,
            material_codes,
            code,
        })
    }
}

/// Which version to read.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// The version in force.
    Current,
    /// The draft being edited.
    Draft,
    Number(i32),
}

/// Reads one version; drafts only for those who may edit them (404 for everyone else, so
/// unpublished work does not leak).
pub async fn get(
    pool: &PgPool,
    actor: Actor<'_>,
    code: &ImplementationCode,
    which: Which,
) -> Result<Item, Error> {
    let row: Option<Row> = match which {
        Which::Current => {
            sqlx::query_as(&format!(
                "{SELECT} where i.code = $1 and v.version = i.current_version"
            ))
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?
        }
        Which::Draft => {
            sqlx::query_as(&format!("{SELECT} where i.code = $1 and v.status = $2"))
                .bind(code.as_str())
                .bind(VersionStatus::Draft)
                .fetch_optional(pool)
                .await?
        }
        Which::Number(n) => {
            sqlx::query_as(&format!("{SELECT} where i.code = $1 and v.version = $2"))
                .bind(code.as_str())
                .bind(n)
                .fetch_optional(pool)
                .await?
        }
    };
    let item = row.map(Item::try_from).transpose()?;
    match item {
        Some(item)
            if item.version_status != VersionStatus::Draft
                || actor.sees_drafts(&item.region_code) =>
        {
            Ok(item)
        }
        _ => Err(Error::NotFound(format!("item {code} ({which:?})"))),
    }
}

/// Every version of an item, newest first (drafts only for those who may edit them).
pub async fn versions(
    pool: &PgPool,
    actor: Actor<'_>,
    code: &ImplementationCode,
) -> Result<Vec<VersionInfo>, Error> {
    let region: Option<String> =
        sqlx::query_scalar("select region_code from items where code = $1")
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?;
    let region: RegionCode = region
        .ok_or_else(|| Error::NotFound(format!("item {code}")))?
        .parse()
        .map_err(Error::internal)?;
    let drafts = actor.sees_drafts(&region);
    Ok(sqlx::query_as(
        "select v.version, v.status, v.created_at, v.published_at, v.withdrawn_at, v.withdrawn_reason
         from item_versions v join items i on i.id = v.item_id
         where i.code = $1 and ($2 or v.status <> $3)
         order by v.version desc",
    )
    .bind(code.as_str())
    .bind(drafts)
    .bind(VersionStatus::Draft)
    .fetch_all(pool)
    .await?)
}

/// The item row an edit works on, locked for the transaction.
struct Locked {
    id: Uuid,
    region: RegionCode,
    department: Uuid,
    status: Status,
    current_version: Option<i32>,
    highest_material: i32,
}

async fn lock(tx: &mut PgConnection, code: &ImplementationCode) -> Result<Locked, Error> {
    let row: Option<(Uuid, String, Uuid, Status, Option<i32>, i32)> = sqlx::query_as(
        "select id, region_code, department_id, status, current_version, highest_material
         from items where code = $1 for update",
    )
    .bind(code.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let (id, region, department, status, current_version, highest_material) =
        row.ok_or_else(|| Error::NotFound(format!("item {code}")))?;
    Ok(Locked {
        id,
        region: region.parse().map_err(Error::internal)?,
        department,
        status,
        current_version,
        highest_material,
    })
}

/// An enum value as it appears on the wire (its serde name).
pub(crate) fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
