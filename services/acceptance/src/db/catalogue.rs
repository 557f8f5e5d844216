//! Reads of the catalogue projection the `events::catalogue` consumer keeps.

use sqlx::PgConnection;
use sqlx::types::Json as Jsonb;

use tongban_kernel::{Calendar, Error, TimeLimit};

use crate::domain::{ListedMaterial, real_name_level};

/// An item version as a case needs it.
#[derive(Debug, Clone)]
pub struct ItemVersion {
    pub code: String,
    pub version: i32,
    pub name: String,
    pub region_code: String,
    /// immediate or promised.
    pub kind: String,
    pub promised: TimeLimit,
    pub materials: Vec<ListedMaterial>,
    /// Where it may be applied for.
    pub reach: Vec<Reach>,
    /// The real-name level its applicants need (1-3).
    pub real_name_level: u8,
}

/// One root of the regions an item may be applied in.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Reach {
    pub root_code: String,
    /// That region only, not the regions below it.
    pub exact: bool,
}

impl ItemVersion {
    /// Whether a case may be received in the region whose lineage (province first, itself
    /// last) is `lineage`.
    pub fn served_in(&self, lineage: &[String]) -> bool {
        let Some(region) = lineage.last() else {
            return false;
        };
        self.reach
            .iter()
            .any(|r| r.root_code == *region || (!r.exact && lineage.contains(&r.root_code)))
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    implementation_code: String,
    version: i32,
    name: String,
    region_code: String,
    kind: String,
    promised_value: i32,
    promised_unit: String,
    materials: Jsonb<Vec<ListedMaterial>>,
    reach: Jsonb<Vec<Reach>>,
    real_name_level: i16,
}

impl From<Row> for ItemVersion {
    fn from(row: Row) -> Self {
        ItemVersion {
            code: row.implementation_code,
            version: row.version,
            name: row.name,
            region_code: row.region_code,
            kind: row.kind,
            promised: TimeLimit::stored(row.promised_value, &row.promised_unit),
            materials: row.materials.0,
            reach: row.reach.0,
            real_name_level: real_name_level(row.real_name_level),
        }
    }
}

const COLUMNS: &str = "v.implementation_code, v.version, v.name, v.region_code, v.kind, v.promised_value, \
                       v.promised_unit, v.materials, v.reach, v.real_name_level";

/// The version in force of `code`, if the item is offered.
pub async fn offered(conn: &mut PgConnection, code: &str) -> Result<Option<ItemVersion>, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from offered_items o
         join item_versions v on v.implementation_code = o.implementation_code and v.version = o.version
         where o.implementation_code = $1"
    ))
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(ItemVersion::from))
}

/// A pinned version (it stays readable after the item is withdrawn or changed).
pub async fn version(
    conn: &mut PgConnection,
    code: &str,
    version: i32,
) -> Result<ItemVersion, Error> {
    let row: Row = sqlx::query_as(&format!(
        "select {COLUMNS} from item_versions v where v.implementation_code = $1 and v.version = $2"
    ))
    .bind(code)
    .bind(version)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.into())
}

/// The working-day calendar of the service centre of `region`.
pub async fn calendar(conn: &mut PgConnection, region: &str) -> Result<Calendar, Error> {
    Ok(tongban_calendar::load(conn, region).await?)
}

/// A member item of a bundle, pinned by the bundle's version.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Member {
    pub implementation_code: String,
    pub version: i32,
    pub department_credit_code: String,
    pub region_code: String,
}

/// One entry of a bundle's combined material list.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CombinedEntry {
    pub name: String,
    pub source: String,
    pub necessity: String,
    #[serde(default)]
    pub certificate_type: String,
    /// The members' material codes the entry stands for; the first names the entry.
    pub used_by: Vec<String>,
}

/// A 一件事 bundle version as a bundle application needs it.
#[derive(Debug, Clone)]
pub struct BundleVersion {
    pub id: uuid::Uuid,
    pub version: i32,
    pub name: String,
    pub region_code: String,
    pub lead_department_credit_code: String,
    pub members: Vec<Member>,
    pub materials: Vec<CombinedEntry>,
    /// The highest real-name level any member item needs: what the application needs.
    pub real_name_level: u8,
}

impl BundleVersion {
    /// The combined list as materials of the bundle case, each named by its first code.
    pub fn listed(&self) -> Vec<ListedMaterial> {
        self.materials
            .iter()
            .filter_map(|entry| {
                Some(ListedMaterial {
                    code: entry.used_by.first()?.clone(),
                    name: entry.name.clone(),
                    necessity: entry.necessity.clone(),
                    source: entry.source.clone(),
                    certificate_type: entry.certificate_type.clone(),
                })
            })
            .collect()
    }

    /// The entry code standing for any member's material code.
    pub fn entry_of(&self, code: &str) -> Option<&str> {
        self.materials
            .iter()
            .find(|e| e.used_by.iter().any(|c| c == code))
            .and_then(|e| e.used_by.first().map(String::as_str))
    }

    /// The member implemented by the lead department (the first, should there be two).
    pub fn lead(&self) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.department_credit_code == self.lead_department_credit_code)
    }
}

#[derive(sqlx::FromRow)]
struct BundleRow {
    bundle_id: uuid::Uuid,
    version: i32,
    name: String,
    region_code: String,
    lead_department_credit_code: String,
    members: Jsonb<Vec<Member>>,
    materials: Jsonb<Vec<CombinedEntry>>,
    real_name_level: i16,
}

impl From<BundleRow> for BundleVersion {
    fn from(row: BundleRow) -> Self {
        BundleVersion {
            id: row.bundle_id,
            version: row.version,
            name: row.name,
            region_code: row.region_code,
            lead_department_credit_code: row.lead_department_credit_code,
            members: row.members.0,
            materials: row.materials.0,
            real_name_level: real_name_level(row.real_name_level),
        }
    }
}

const BUNDLE_COLUMNS: &str = "b.bundle_id, b.version, b.name, b.region_code, b.lead_department_credit_code, b.members, b.materials, \
    (select coalesce(max(v.real_name_level), 1)::smallint
     from jsonb_to_recordset(b.members) as m (implementation_code text, version int)
     join item_versions v on v.implementation_code = m.implementation_code and v.version = m.version) as real_name_level";

/// The version in force of bundle `id`, if it is offered.
pub async fn offered_bundle(
    conn: &mut PgConnection,
    id: uuid::Uuid,
) -> Result<Option<BundleVersion>, Error> {
    let row: Option<BundleRow> = sqlx::query_as(&format!(
        "select {BUNDLE_COLUMNS} from offered_bundles o
         join bundle_versions b on b.bundle_id = o.bundle_id and b.version = o.version
         where o.bundle_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(BundleVersion::from))
}

/// A pinned bundle version.
pub async fn bundle_version(
    conn: &mut PgConnection,
    id: uuid::Uuid,
    version: i32,
) -> Result<BundleVersion, Error> {
    let row: BundleRow = sqlx::query_as(&format!(
        "select {BUNDLE_COLUMNS} from bundle_versions b where b.bundle_id = $1 and b.version = $2"
    ))
    .bind(id)
    .bind(version)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.into())
}
