//! Implementation items and their versions: drafts, publishing, withdrawal, search, import and
//! export. Every change and its event commit in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::catalogue::v1 as events;
use tongban_kernel::{
    Error, ImplementationCode, ImplementingLevel, MaterialCode, RegionCode, TimeLimit,
};

use super::regions::{self, Region};
use crate::actor::Actor;
use crate::domain::basic::BasicItem;
use crate::domain::item::{CodeLists, ItemRow, ItemSpec};
use crate::domain::search;

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
    pub status: String,
    /// The version in force, if any.
    pub current_version: Option<i32>,
    /// This version and its state: draft, published, superseded or withdrawn.
    pub version: i32,
    pub version_status: String,
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
}

impl From<Item> for ItemSummary {
    fn from(item: Item) -> Self {
        ItemSummary {
            code: item.code,
            name: item.name,
            item_type: item.basic.item_type,
            department: item.department,
            region_code: item.region_code,
            level: item.level,
            version: item.version,
            kind: item.spec.kind,
            promised_time_limit: item.spec.promised_time_limit,
            visits_required: item.spec.visits_required,
            online_depth: item.spec.online_depth,
            tongban_scope: item.spec.tongban.scope,
        }
    }
}

/// A version's history entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct VersionInfo {
    pub version: i32,
    pub status: String,
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
    status: String,
    current_version: Option<i32>,
    version: i32,
    version_status: String,
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
            sqlx::query_as(&format!(
                "{SELECT} where i.code = $1 and v.status = 'draft'"
            ))
            .bind(code.as_str())
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
        Some(item) if item.version_status != "draft" || actor.sees_drafts(&item.region_code) => {
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
         where i.code = $1 and ($2 or v.status <> 'draft')
         order by v.version desc",
    )
    .bind(code.as_str())
    .bind(drafts)
    .fetch_all(pool)
    .await?)
}

/// The item row an edit works on, locked for the transaction.
struct Locked {
    id: Uuid,
    region: RegionCode,
    department: Uuid,
    status: String,
    current_version: Option<i32>,
    highest_material: i32,
}

async fn lock(tx: &mut PgConnection, code: &ImplementationCode) -> Result<Locked, Error> {
    let row: Option<(Uuid, String, Uuid, String, Option<i32>, i32)> = sqlx::query_as(
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

/// Checks a spec against the code lists and the region tree, and numbers its new materials.
async fn prepare(
    tx: &mut PgConnection,
    lists: &CodeLists,
    spec: &mut ItemSpec,
    highest_material: i32,
) -> Result<(), Error> {
    spec.check("spec", lists)?;
    for (n, region) in spec.tongban.covered_regions.iter().enumerate() {
        regions::require_known(
            &mut *tx,
            region,
            &format!("spec.tongban.covered_regions[{n}]"),
        )
        .await?;
    }
    spec.number_materials(u16::try_from(highest_material).unwrap_or(999))
}

fn search_fields(basic: &BasicItem, spec: &ItemSpec, department: &str) -> (Vec<String>, String) {
    let texts: Vec<&str> = [basic.name.as_str(), department]
        .into_iter()
        .chain(basic.aliases.iter().map(String::as_str))
        .chain(spec.aliases.iter().map(String::as_str))
        .collect();
    (
        search::index_terms(texts.iter().copied()),
        texts.join(" ").to_lowercase(),
    )
}

/// Writes the draft of `item` (a new version, or over the existing draft).
async fn write_draft(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    item: Uuid,
    basic: &BasicItem,
    department: &str,
    spec: &ItemSpec,
) -> Result<i32, Error> {
    let (terms, text) = search_fields(basic, spec, department);
    let highest = spec
        .materials
        .iter()
        .filter_map(|m| m.number)
        .max()
        .unwrap_or(0);
    sqlx::query("update items set highest_material = greatest(highest_material, $2) where id = $1")
        .bind(item)
        .bind(i32::from(highest))
        .execute(&mut *tx)
        .await?;
    // The draft is rewritten in place, or opened as the next version when there is none.
    Ok(sqlx::query_scalar(
        "with updated as (
             update item_versions set spec = $2, basic = $3, name = $4, search_terms = $5,
                    search_text = $6, created_by = $7, created_at = now()
             where item_id = $1 and status = 'draft' returning version
         ), inserted as (
             insert into item_versions (item_id, version, status, spec, basic, name, search_terms, search_text, created_by)
             select $1, coalesce(max(version), 0) + 1, 'draft', $2, $3, $4, $5, $6, $7
             from item_versions where item_id = $1
             -- an aggregate always yields a row: only insert when nothing was updated
             having not exists (select 1 from updated)
             returning version
         )
         select version from updated union all select version from inserted",
    )
    .bind(item)
    .bind(Jsonb(spec))
    .bind(Jsonb(basic))
    .bind(&basic.name)
    .bind(&terms)
    .bind(&text)
    .bind(actor.account())
    .fetch_one(&mut *tx)
    .await?)
}

/// Creates an item with its first draft, or — when `upsert` and the item exists — replaces its
/// draft. Returns the code and the draft's version.
pub async fn create(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    lists: &CodeLists,
    mut row: ItemRow,
    upsert: bool,
) -> Result<(ImplementationCode, i32), Error> {
    let basic = super::basic_items::find(&mut *tx, &row.basic_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable("basic_code", format!("no basic item {}", row.basic_code))
        })?;
    let department = super::departments::find_by_credit_code(&mut *tx, &row.department_credit_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable(
                "department_credit_code",
                format!(
                    "no department with credit code {}",
                    row.department_credit_code
                ),
            )
        })?;
    actor.may_edit(&department.region_code, Some(department.id))?;
    let lineage = regions::lineage(&mut *tx, &department.region_code).await?;
    if lineage.first().map(|p| p.code.as_str()) != Some(basic.province_code.as_str()) {
        return Err(Error::unprocessable(
            "basic_code",
            format!(
                "{} belongs to the catalogue of another province",
                basic.code
            ),
        ));
    }
    let level = ImplementingLevel::of_region(department.region_code.level());
    let code = ImplementationCode::new(&department.credit_code, level, &basic.code);
    if row.code.as_ref().is_some_and(|given| *given != code) {
        return Err(Error::unprocessable(
            "code",
            format!("the department's credit code, level and basic code make {code}"),
        ));
    }
    let existing: Option<i32> =
        sqlx::query_scalar("select highest_material from items where code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let item = match existing {
        Some(_) if !upsert => {
            return Err(Error::Conflict {
                code: "duplicate_item",
                message: format!("item {code} exists: edit its draft instead"),
            });
        }
        Some(_) => {
            let locked = lock(tx, &code).await?;
            prepare(tx, lists, &mut row.spec, locked.highest_material).await?;
            locked.id
        }
        None => {
            prepare(tx, lists, &mut row.spec, 0).await?;
            let id = Uuid::now_v7();
            sqlx::query(
                "insert into items (id, code, basic_code, department_id, region_code) values ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(code.as_str())
            .bind(basic.code.as_str())
            .bind(department.id)
            .bind(department.region_code.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|err| {
                Error::conflict_on(err, &[("items_code_key", "duplicate_item", "the item exists")])
            })?;
            id
        }
    };
    let version = write_draft(tx, actor, item, &basic, &department.name, &row.spec).await?;
    Ok((code, version))
}

/// Replaces (or opens) the draft of an existing item.
pub async fn save_draft(
    pool: &PgPool,
    actor: Actor<'_>,
    lists: &CodeLists,
    code: &ImplementationCode,
    mut spec: ItemSpec,
) -> Result<i32, Error> {
    let mut tx = pool.begin().await?;
    let locked = lock(&mut tx, code).await?;
    actor.may_edit(&locked.region, Some(locked.department))?;
    prepare(&mut tx, lists, &mut spec, locked.highest_material).await?;
    let (basic, department) = basic_and_department(&mut tx, code).await?;
    let version = write_draft(&mut tx, actor, locked.id, &basic, &department, &spec).await?;
    tx.commit().await?;
    Ok(version)
}

async fn basic_and_department(
    tx: &mut PgConnection,
    code: &ImplementationCode,
) -> Result<(BasicItem, String), Error> {
    let basic = super::basic_items::find(&mut *tx, &code.basic_code())
        .await?
        .ok_or_else(|| Error::internal(format!("basic item of {code} is gone")))?;
    let department: String = sqlx::query_scalar(
        "select d.name from items i join departments d on d.id = i.department_id where i.code = $1",
    )
    .bind(code.as_str())
    .fetch_one(&mut *tx)
    .await?;
    Ok((basic, department))
}

/// Puts the draft `version` in force: the previous version is superseded, the basic
/// catalogue's elements are frozen into it, where it may be applied for is recomputed, and
/// `ItemPublished` goes out. 409 when `version` is not the draft.
pub async fn publish(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    lists: &CodeLists,
    code: &ImplementationCode,
    version: i32,
) -> Result<(), Error> {
    let locked = lock(tx, code).await?;
    actor.may_edit(&locked.region, Some(locked.department))?;
    let status: Option<String> =
        sqlx::query_scalar("select status from item_versions where item_id = $1 and version = $2")
            .bind(locked.id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(Error::NotFound(format!("version {version} of item {code}"))),
        Some("draft") => {}
        Some(other) => {
            return Err(Error::Conflict {
                code: "not_a_draft",
                message: format!("version {version} is {other}; only the draft can be published"),
            });
        }
    }
    // The basic catalogue may have changed since the draft was saved: freeze it as it is now.
    let (basic, _) = basic_and_department(tx, code).await?;
    sqlx::query(
        "update item_versions set status = 'superseded' where item_id = $1 and status = 'published'",
    )
    .bind(locked.id)
    .execute(&mut *tx)
    .await?;
    let spec: Jsonb<ItemSpec> = sqlx::query_scalar(
        "update item_versions set basic = $3, name = $4, status = 'published', published_by = $5, published_at = now()
         where item_id = $1 and version = $2 returning spec",
    )
    .bind(locked.id)
    .bind(version)
    .bind(Jsonb(&basic))
    .bind(&basic.name)
    .bind(actor.account())
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update items set status = 'published', current_version = $2 where id = $1")
        .bind(locked.id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    let lineage = regions::lineage(&mut *tx, &locked.region).await?;
    let roots = reach_roots(lists, &spec.0, &locked.region, &lineage);
    sqlx::query("delete from item_reach where item_id = $1")
        .bind(locked.id)
        .execute(&mut *tx)
        .await?;
    for (root, exact) in &roots {
        sqlx::query(
            "insert into item_reach (item_id, root_code, exact) values ($1, $2, $3)
             on conflict (item_id, root_code) do update set exact = item_reach.exact and excluded.exact",
        )
        .bind(locked.id)
        .bind(root)
        .bind(exact)
        .execute(&mut *tx)
        .await?;
    }
    let item: Item = {
        let row: Row = sqlx::query_as(&format!("{SELECT} where i.id = $1 and v.version = $2"))
            .bind(locked.id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
        row.try_into()?
    };
    let event = published_event(&item, &roots);
    let key = item.id.to_string();
    let mut regions: Vec<String> = vec![item.region_code.to_string()];
    regions.extend(
        item.spec
            .tongban
            .covered_regions
            .iter()
            .map(|r| r.to_string()),
    );
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: Some(code.as_str()),
            regions,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// Takes the item out of service: its version in force becomes withdrawn and `ItemWithdrawn`
/// goes out. Cases accepted under it keep their version.
pub async fn withdraw(
    pool: &PgPool,
    actor: Actor<'_>,
    code: &ImplementationCode,
    reason: &str,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let locked = lock(&mut tx, code).await?;
    actor.may_edit(&locked.region, Some(locked.department))?;
    let Some(version) = locked
        .current_version
        .filter(|_| locked.status == "published")
    else {
        return Err(Error::Conflict {
            code: "not_published",
            message: format!("item {code} has no version in force"),
        });
    };
    let withdrawn_at: DateTime<Utc> = sqlx::query_scalar(
        "update item_versions set status = 'withdrawn', withdrawn_at = now(), withdrawn_reason = $3
         where item_id = $1 and version = $2 returning withdrawn_at",
    )
    .bind(locked.id)
    .bind(version)
    .bind(reason)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update items set status = 'withdrawn', current_version = null where id = $1")
        .bind(locked.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from item_reach where item_id = $1")
        .bind(locked.id)
        .execute(&mut *tx)
        .await?;
    let key = locked.id.to_string();
    let event = events::ItemWithdrawn {
        item_id: key.clone(),
        implementation_code: code.to_string(),
        version: version as u32,
        region_code: locked.region.to_string(),
        reason: reason.to_owned(),
        withdrawn_at: Some(tongban_events::timestamp(withdrawn_at)),
    };
    let about = Subject {
        key: &key,
        subject: Some(code.as_str()),
        regions: vec![locked.region.to_string()],
    };
    outbox::enqueue(&mut tx, &about, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a published item may be applied for, as (root region, exactly that region only):
/// its 通办 scope reaches up from the item's region to a county, city or province (or stays at
/// the region itself), and every covered region adds its subtree.
fn reach_roots(
    lists: &CodeLists,
    spec: &ItemSpec,
    region: &RegionCode,
    lineage: &[Region],
) -> Vec<(String, bool)> {
    let at_level = |level: &str| {
        lineage
            .iter()
            .find(|r| r.level == level)
            .map(|r| r.code.clone())
            // An item above that level (a city item with a county-wide scope) keeps its region.
            .unwrap_or_else(|| region.to_string())
    };
    let mut roots = vec![match lists.reach(&spec.tongban.scope) {
        Some("county") => (at_level("county"), false),
        Some("city") => (at_level("city"), false),
        Some("province") => (at_level("province"), false),
        // `self`, `listed`: the implementing hall itself, plus the listed regions below.
        _ => (region.to_string(), true),
    }];
    roots.extend(
        spec.tongban
            .covered_regions
            .iter()
            .map(|r| (r.to_string(), false)),
    );
    roots
}

/// An enum value as it appears on the wire (its serde name).
pub(crate) fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn limit(limit: TimeLimit) -> events::TimeLimit {
    events::TimeLimit {
        value: limit.value,
        unit: wire(&limit.unit),
    }
}

/// The event of a version put in force, with where it may be applied for.
fn published_event(item: &Item, reach: &[(String, bool)]) -> events::ItemPublished {
    let spec = &item.spec;
    events::ItemPublished {
        item_id: item.id.to_string(),
        implementation_code: item.code.to_string(),
        version: item.version as u32,
        basic_code: item.basic.code.to_string(),
        name: item.name.clone(),
        item_type: item.basic.item_type.clone(),
        legal_basis: item.basic.legal_basis.clone(),
        supervising_department: item.basic.supervising_department.clone(),
        department_id: item.department.id.to_string(),
        department_credit_code: item.department.credit_code.to_string(),
        region_code: item.region_code.to_string(),
        kind: wire(&spec.kind),
        legal_time_limit: Some(limit(spec.legal_time_limit)),
        promised_time_limit: Some(limit(spec.promised_time_limit)),
        visits_required: u32::from(spec.visits_required),
        online_depth: spec.online_depth.clone(),
        post_results: spec.postal.results,
        post_materials: spec.postal.materials,
        tongban_scope: spec.tongban.scope.clone(),
        covered_regions: spec
            .tongban
            .covered_regions
            .iter()
            .map(|r| r.to_string())
            .collect(),
        steps: spec
            .steps
            .iter()
            .map(|s| events::Step {
                name: s.name.clone(),
                role: s.role.as_str().to_owned(),
                time_limit: Some(limit(s.time_limit)),
            })
            .collect(),
        results: spec
            .results
            .iter()
            .map(|r| events::Result {
                name: r.name.clone(),
                kind: wire(&r.kind),
                e_certificate: r.e_certificate,
            })
            .collect(),
        materials: spec
            .material_codes(&item.code)
            .map(|(code, m)| events::Material {
                code: code.to_string(),
                name: m.name.clone(),
                kind: wire(&m.kind),
                source: wire(&m.source),
                necessity: wire(&m.necessity),
                originals: u32::from(m.originals),
                copies: u32::from(m.copies),
                certificate_type: m.certificate_type.clone().unwrap_or_default(),
            })
            .collect(),
        fee_fen: spec.fee.amount_fen.unwrap_or(0),
        published_at: item.published_at.map(tongban_events::timestamp),
        aliases: spec.aliases.clone(),
        reach: reach
            .iter()
            .map(|(root_code, exact)| events::Reach {
                root_code: root_code.clone(),
                exact: *exact,
            })
            .collect(),
    }
}

/// What a search asks for.
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// Keywords; every whitespace-separated part must appear in the name, aliases or department.
    pub text: Option<&'a str>,
    /// Only items that may be applied for in this region.
    pub region: Option<&'a RegionCode>,
    pub department: Option<Uuid>,
    pub limit: i64,
}

/// Published items matching `query`, names that contain the keywords first.
pub async fn search(pool: &PgPool, query: &Search<'_>) -> Result<Vec<ItemSummary>, Error> {
    let terms = query
        .text
        .map(search::query_terms)
        .filter(|t| !t.is_empty());
    let patterns: Option<Vec<String>> = query.text.map(|t| {
        t.split_whitespace()
            .map(|w| super::like_pattern(&w.to_lowercase()))
            .collect()
    });
    let lineage: Vec<String> = match query.region {
        Some(region) => regions::lineage(pool, region)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect(),
        None => Vec::new(),
    };
    // Only the conditions asked for are written, so the planner can use the term index; the
    // matches are ranked and cut on narrow rows before the wide ones are read.
    let mut sql =
        sqlx::QueryBuilder::<sqlx::Postgres>::new("with hits as (select v.item_id, v.version, ");
    match &patterns {
        Some(patterns) => {
            sql.push("lower(v.name) like all (")
                .push_bind(patterns.clone())
                .push(")");
        }
        None => {
            sql.push("false");
        }
    }
    sql.push(
        " as named, length(v.name) as length, i.code
         from items i join item_versions v on v.item_id = i.id and v.version = i.current_version
         where v.status = 'published'",
    );
    if let Some(terms) = terms {
        sql.push(" and v.search_terms @> ").push_bind(terms);
    }
    if let Some(patterns) = patterns {
        sql.push(" and v.search_text like all (")
            .push_bind(patterns)
            .push(")");
    }
    if let Some(region) = query.region {
        sql.push(
            " and exists (select 1 from item_reach r where r.item_id = i.id and (r.root_code = ",
        )
        .push_bind(region.as_str())
        .push(" or (not r.exact and r.root_code = any (")
        .push_bind(lineage)
        .push("))))");
    }
    if let Some(department) = query.department {
        sql.push(" and i.department_id = ").push_bind(department);
    }
    sql.push(" order by named desc, length, i.code limit ")
        .push_bind(query.limit)
        .push(format!(
            ") {SELECT} join hits h on h.item_id = i.id and h.version = v.version
             order by h.named desc, h.length, h.code"
        ));
    let rows: Vec<Row> = sql.build_query_as().fetch_all(pool).await?;
    rows.into_iter()
        .map(|row| Item::try_from(row).map(ItemSummary::from))
        .collect()
}

/// The items in force implemented in `region` (and below it when `subtree`), as import rows.
pub async fn export(pool: &PgPool, region: &RegionCode) -> Result<Vec<ItemRow>, Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} where v.version = i.current_version and i.region_code = $1 order by i.code"
    ))
    .bind(region.as_str())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let item = Item::try_from(row)?;
            Ok(ItemRow {
                code: Some(item.code.clone()),
                name: Some(item.name),
                basic_code: item.basic.code,
                department_credit_code: item.department.credit_code,
                spec: item.spec,
            })
        })
        .collect()
}

/// A row an import refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    /// 1-based position in the file.
    pub row: usize,
    pub field: Option<String>,
    pub reason: String,
}

/// What an import did: everything, or nothing and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub rows: usize,
    /// Drafts written (0 when anything was rejected).
    pub imported: usize,
    /// Versions put in force (when asked to publish).
    pub published: usize,
    pub rejected: Vec<Rejected>,
}

/// Imports `rows` as drafts of items implemented in `region` (creating items that do not exist)
/// and, when `publish`, puts them in force — all in one transaction: one rejected row and
/// nothing is imported. Every row is checked, so the report lists every problem at once.
/// `progress` hears the number of rows done.
pub async fn import(
    pool: &PgPool,
    actor: Actor<'_>,
    region: &RegionCode,
    rows: Vec<ItemRow>,
    publish: bool,
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, Error> {
    let lists = super::code_lists::load(pool).await?;
    let mut tx = pool.begin().await?;
    let total = rows.len();
    let mut rejected = Vec::new();
    let mut published = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (n, row) in rows.into_iter().enumerate() {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let outcome = import_row(
            &mut savepoint,
            actor,
            &lists,
            region,
            row,
            publish,
            &mut seen,
        )
        .await;
        match outcome {
            Ok(did_publish) => {
                savepoint.commit().await?;
                published += usize::from(did_publish);
            }
            Err(err) if err.status().is_client_error() => {
                savepoint.rollback().await?;
                let body = err.body();
                rejected.push(Rejected {
                    row: n + 1,
                    field: body.field,
                    reason: body.message,
                });
            }
            Err(err) => return Err(err),
        }
        progress(n + 1);
    }
    if rejected.is_empty() {
        tx.commit().await?;
        Ok(ImportReport {
            rows: total,
            imported: total,
            published,
            rejected,
        })
    } else {
        tx.rollback().await?;
        Ok(ImportReport {
            rows: total,
            imported: 0,
            published: 0,
            rejected,
        })
    }
}

async fn import_row(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    lists: &CodeLists,
    region: &RegionCode,
    row: ItemRow,
    publish_it: bool,
    seen: &mut std::collections::BTreeSet<String>,
) -> Result<bool, Error> {
    let department = super::departments::find_by_credit_code(&mut *tx, &row.department_credit_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable(
                "department_credit_code",
                "no department with this credit code",
            )
        })?;
    if department.region_code != *region {
        return Err(Error::unprocessable(
            "department_credit_code",
            format!(
                "the department belongs to {}, not to {region}",
                department.region_code
            ),
        ));
    }
    let (code, version) = create(tx, actor, lists, row, true).await?;
    if !seen.insert(code.to_string()) {
        return Err(Error::unprocessable(
            "code",
            format!("{code} appears twice in the file"),
        ));
    }
    if publish_it {
        publish(tx, actor, lists, &code, version).await?;
    }
    Ok(publish_it)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::tests::{lists, spec};

    fn region(code: &str, level: &str) -> Region {
        Region {
            code: code.into(),
            name: String::new(),
            level: level.into(),
            parent_code: None,
        }
    }

    #[test]
    fn a_scope_reaches_up_to_its_level_and_out_to_covered_regions() {
        let lineage = [
            region("430000000000", "province"),
            region("430900000000", "city"),
            region("430903000000", "county"),
        ];
        let heshan: RegionCode = "430903000000".parse().unwrap();
        let roots = |scope: &str, covered: &[&str]| {
            let mut s = spec();
            s.tongban.scope = scope.into();
            s.tongban.covered_regions = covered.iter().map(|c| c.parse().unwrap()).collect();
            reach_roots(&lists(), &s, &heshan, &lineage)
        };
        assert_eq!(roots("none", &[]), [("430903000000".into(), true)]);
        assert_eq!(roots("county", &[]), [("430903000000".into(), false)]);
        assert_eq!(roots("province", &[]), [("430000000000".into(), false)]);
        assert_eq!(
            roots("cross_province", &["440000000000"]),
            [
                ("430903000000".into(), true),
                ("440000000000".into(), false)
            ]
        );
        // A city-level item with a county-wide scope cannot reach below its own region's level
        // more than its own subtree.
        let city: RegionCode = "430900000000".parse().unwrap();
        let mut s = spec();
        s.tongban.scope = "county".into();
        assert_eq!(
            reach_roots(&lists(), &s, &city, &lineage[..2]),
            [("430900000000".into(), false)]
        );
    }
}
