//! Keyword search over the items in force, and export.

use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, RegionCode};

use super::{Item, ItemSummary, Row, SELECT};
use crate::db::regions;
use crate::domain::item::ItemRow;
use crate::domain::search;

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
            .map(|w| crate::db::like_pattern(&w.to_lowercase()))
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
    // The status stays a literal here: it is the predicate of the partial term index, which a
    // bound parameter would keep the planner from using.
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
