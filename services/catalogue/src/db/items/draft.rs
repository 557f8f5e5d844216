//! Creating items and writing their drafts.

use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_kernel::{Error, ImplementationCode, ImplementingLevel};

use super::lock;
use crate::actor::Actor;
use crate::db::regions;
use crate::domain::basic::BasicItem;
use crate::domain::department::Department;
use crate::domain::item::{CodeLists, ItemRow, ItemSpec};
use crate::domain::search;
use crate::domain::status::VersionStatus;

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
             where item_id = $1 and status = $8 returning version
         ), inserted as (
             insert into item_versions (item_id, version, status, spec, basic, name, search_terms, search_text, created_by)
             select $1, coalesce(max(version), 0) + 1, $8, $2, $3, $4, $5, $6, $7
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
    .bind(VersionStatus::Draft)
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
    let (basic, department, code) = identify(tx, actor, &row).await?;
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

/// The basic item and the implementing department a row names, checked against each other and
/// against the actor, and the implementation code they make.
async fn identify(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    row: &ItemRow,
) -> Result<(BasicItem, Department, ImplementationCode), Error> {
    let basic = crate::db::basic_items::find(&mut *tx, &row.basic_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable("basic_code", format!("no basic item {}", row.basic_code))
        })?;
    let department =
        crate::db::departments::find_by_credit_code(&mut *tx, &row.department_credit_code)
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
    Ok((basic, department, code))
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

pub(super) async fn basic_and_department(
    tx: &mut PgConnection,
    code: &ImplementationCode,
) -> Result<(BasicItem, String), Error> {
    let basic = crate::db::basic_items::find(&mut *tx, &code.basic_code())
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
