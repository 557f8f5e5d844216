//! Basic catalogue rows.

use sqlx::PgPool;
use sqlx::types::Json as Jsonb;

use tongban_kernel::{BasicCode, Error, RegionCode};

use crate::domain::basic::{BasicItem, HandlingItem};

#[derive(sqlx::FromRow)]
struct Row {
    code: String,
    province_code: String,
    parent_code: Option<String>,
    name: String,
    aliases: Vec<String>,
    item_type: String,
    legal_basis: String,
    supervising_department: String,
    handling_items: Jsonb<Vec<HandlingItem>>,
}

const COLUMNS: &str = "code, province_code, parent_code, name, aliases, item_type, legal_basis, \
                       supervising_department, handling_items";

impl TryFrom<Row> for BasicItem {
    type Error = Error;
    fn try_from(row: Row) -> Result<Self, Error> {
        Ok(BasicItem {
            code: row.code.parse().map_err(Error::internal)?,
            province_code: row.province_code.parse().map_err(Error::internal)?,
            parent_code: row
                .parent_code
                .map(|c| c.parse())
                .transpose()
                .map_err(Error::internal)?,
            name: row.name,
            aliases: row.aliases,
            item_type: row.item_type,
            legal_basis: row.legal_basis,
            supervising_department: row.supervising_department,
            handling_items: row.handling_items.0,
        })
    }
}

pub async fn find(
    conn: impl sqlx::PgExecutor<'_>,
    code: &BasicCode,
) -> Result<Option<BasicItem>, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from basic_items where code = $1"
    ))
    .bind(code.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(BasicItem::try_from).transpose()
}

/// Creates (`replace` false) or replaces the item; a sub-item's main item must exist in the
/// same province and be a main item itself.
pub async fn save(pool: &PgPool, item: &BasicItem, replace: bool) -> Result<BasicItem, Error> {
    let mut tx = pool.begin().await?;
    super::regions::require_known(&mut *tx, &item.province_code, "province_code").await?;
    if let Some(parent_code) = &item.parent_code {
        let parent = find(&mut *tx, parent_code).await?.ok_or_else(|| {
            Error::unprocessable("parent_code", format!("no basic item {parent_code}"))
        })?;
        if parent.parent_code.is_some() || parent.province_code != item.province_code {
            return Err(Error::unprocessable(
                "parent_code",
                "the main item must be a main item of the same province",
            ));
        }
    }
    let existing = find(&mut *tx, &item.code).await?;
    match (&existing, replace) {
        (Some(_), false) => {
            return Err(Error::Conflict {
                code: "duplicate_basic_code",
                message: format!("basic item {} exists", item.code),
            });
        }
        (None, true) => return Err(Error::NotFound(format!("basic item {}", item.code))),
        (Some(old), true) if old.province_code != item.province_code => {
            return Err(Error::unprocessable(
                "province_code",
                "an item stays in its province",
            ));
        }
        _ => {}
    }
    let row: Row = sqlx::query_as(&format!(
        "insert into basic_items ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (code) do update set
             parent_code = excluded.parent_code, name = excluded.name, aliases = excluded.aliases,
             item_type = excluded.item_type, legal_basis = excluded.legal_basis,
             supervising_department = excluded.supervising_department,
             handling_items = excluded.handling_items, updated_at = now()
         returning {COLUMNS}"
    ))
    .bind(item.code.as_str())
    .bind(item.province_code.as_str())
    .bind(item.parent_code.as_ref().map(BasicCode::as_str))
    .bind(item.name.trim())
    .bind(&item.aliases)
    .bind(&item.item_type)
    .bind(&item.legal_basis)
    .bind(&item.supervising_department)
    .bind(Jsonb(&item.handling_items))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    BasicItem::try_from(row)
}

/// The basic items of a province (all provinces when `None`), main items before their
/// sub-items, optionally only those whose name or aliases contain `text`.
pub async fn list(
    pool: &PgPool,
    province: Option<&RegionCode>,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<BasicItem>, Error> {
    let pattern = text.map(super::like_pattern);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from basic_items
         where ($1::text is null or province_code = $1)
           and ($2::text is null or name like $2 or exists (select 1 from unnest(aliases) a where a like $2))
         order by coalesce(parent_code, code), parent_code nulls first, code
         limit $3"
    ))
    .bind(province.map(RegionCode::as_str))
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(BasicItem::try_from).collect()
}
