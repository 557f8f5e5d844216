//! Keyword search over the items in force, and export.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, ImplementationCode, RegionCode};

use super::{DepartmentRef, Item, ItemSummary, Row, SELECT};
use crate::db::regions;
use crate::domain::availability::{AvailableAs, available_as};
use crate::domain::item::ItemRow;
use crate::domain::search;

/// What a search asks for.
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// Keywords; every whitespace-separated part must appear in the name, aliases or department.
    pub text: Option<&'a str>,
    /// Only items that may be applied for in this region: by their reach, or under an
    /// agreement in force `today` that lets a hall there collect them.
    pub region: Option<&'a RegionCode>,
    pub department: Option<Uuid>,
    /// Only the item of this implementation code (is it available in `region`, and how).
    pub code: Option<&'a str>,
    pub limit: i64,
    /// Today in China: the day agreements must be in force on.
    pub today: NaiveDate,
}

/// The columns of a search result: the summary's fields read out of the version's JSON by the
/// database, so the wide spec (materials, steps, legal texts) is neither sent nor parsed.
const SUMMARY: &str = "select h.reached, h.agreement_mode, i.code, v.name,
        v.basic->>'item_type' as item_type, d.id as department_id, d.name as department_name,
        d.credit_code as department_credit_code, i.region_code, v.version,
        v.spec->>'kind' as kind, v.spec->'promised_time_limit' as promised_time_limit,
        (v.spec->>'visits_required')::int as visits_required,
        v.spec->>'online_depth' as online_depth, v.spec->'tongban'->>'scope' as tongban_scope,
        coalesce((v.spec->>'real_name_level')::int, 1) as real_name_level
    from items i
    join item_versions v on v.item_id = i.id
    join departments d on d.id = i.department_id";

/// A matching item version as a search shows it, with what let the region find it.
#[derive(sqlx::FromRow)]
struct Hit {
    /// Its reach covers the region (null without a region).
    reached: Option<bool>,
    /// The mode of an agreement in force letting the region collect it, if any.
    agreement_mode: Option<String>,
    code: String,
    name: String,
    item_type: String,
    department_id: Uuid,
    department_name: String,
    department_credit_code: String,
    region_code: String,
    version: i32,
    kind: String,
    promised_time_limit: sqlx::types::Json<tongban_kernel::TimeLimit>,
    visits_required: i32,
    online_depth: String,
    tongban_scope: String,
    real_name_level: i32,
}

impl TryFrom<Hit> for ItemSummary {
    type Error = Error;
    fn try_from(hit: Hit) -> Result<Self, Error> {
        let code: ImplementationCode = hit.code.parse().map_err(Error::internal)?;
        Ok(ItemSummary {
            level: code.level(),
            code,
            name: hit.name,
            item_type: hit.item_type,
            department: DepartmentRef {
                id: hit.department_id,
                name: hit.department_name,
                credit_code: hit
                    .department_credit_code
                    .parse()
                    .map_err(Error::internal)?,
            },
            region_code: hit.region_code.parse().map_err(Error::internal)?,
            version: hit.version,
            kind: serde_json::from_value(serde_json::Value::String(hit.kind))
                .map_err(Error::internal)?,
            promised_time_limit: hit.promised_time_limit.0,
            visits_required: u8::try_from(hit.visits_required).map_err(Error::internal)?,
            online_depth: hit.online_depth,
            tongban_scope: hit.tongban_scope,
            real_name_level: u8::try_from(hit.real_name_level).map_err(Error::internal)?,
            available_as: None,
            agreement_mode: None,
        })
    }
}

/// Published items matching `query`, names that contain the keywords first; with a region,
/// each marked with how a hall there may take it in.
pub async fn search(pool: &PgPool, query: &Search<'_>) -> Result<Vec<ItemSummary>, Error> {
    let lineage: Vec<String> = match query.region {
        Some(region) => regions::lineage(pool, region)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect(),
        None => Vec::new(),
    };
    let mut sql = sqlx::QueryBuilder::<sqlx::Postgres>::new("with ");
    if let Some(region) = query.region {
        sql.push("agreed as (");
        tongban_agreements::push_collectable(
            &mut sql,
            &lineage,
            query.today,
            tongban_agreements::ITEM_ON_ITS_OWN,
        );
        sql.push("), ");
        push_candidates(&mut sql, region, &lineage);
    }
    push_hits(&mut sql, query);
    sql.push(format!(
        ") {SUMMARY} join hits h on h.item_id = i.id and h.version = v.version
         order by h.named desc, h.length, h.code"
    ));
    let hits: Vec<Hit> = sql.build_query_as().fetch_all(pool).await?;
    hits.into_iter()
        .map(|mut hit| {
            let reached = hit.reached.unwrap_or(false);
            let agreement_mode = hit.agreement_mode.take();
            let mut summary = ItemSummary::try_from(hit)?;
            if query.region.is_some() {
                let agreed = agreement_mode.is_some();
                summary.available_as =
                    available_as(summary.region_code.as_str(), &lineage, reached, agreed);
                if summary.available_as == Some(AvailableAs::Agreement) {
                    summary.agreement_mode = agreement_mode;
                }
            }
            Ok(summary)
        })
        .collect()
}

/// `reach`: the items whose reach covers `region` (its root is `region`, or a region above it
/// when not exact); `candidates`: those and the items an agreement in force lets the region
/// collect. A region's candidates are few next to the catalogue, so the search starts from them
/// (probes of `item_reach`'s root index and of the items' keys) instead of testing every
/// keyword match's reach in turn.
fn push_candidates(
    sql: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
    region: &RegionCode,
    lineage: &[String],
) {
    sql.push("reach as (select r.item_id from item_reach r where r.root_code = ")
        .push_bind(region.as_str().to_owned())
        .push(" or (not r.exact and r.root_code = any (")
        .push_bind(lineage.to_vec())
        .push(
            "))), candidates as (select item_id from reach union \
            select i.id from items i join agreed g on g.implementation_code = i.code), ",
        );
}

/// `hits`: the matching versions in force, ranked and cut on narrow rows before the wide ones
/// are read. Only the conditions asked for are written, so without a region the planner can
/// use the term index.
fn push_hits(sql: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, query: &Search<'_>) {
    let terms = query
        .text
        .map(search::query_terms)
        .filter(|t| !t.is_empty());
    let patterns: Option<Vec<String>> = query.text.map(|t| {
        t.split_whitespace()
            .map(|w| crate::db::like_pattern(&w.to_lowercase()))
            .collect()
    });
    sql.push("hits as (select v.item_id, v.version, ");
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
    sql.push(" as named, length(v.name) as length, i.code, ");
    // With a region, only its candidates, each marked with how a hall there may take it in:
    // by its reach, or as an agreement allows (`agreed`: the few items agreements in force let
    // the region collect).
    match query.region {
        Some(_) => sql.push(
            "i.id in (select item_id from reach) as reached, \
             (select g.mode from agreed g where g.implementation_code = i.code) as agreement_mode \
             from candidates c join items i on i.id = c.item_id",
        ),
        None => sql.push("null::bool as reached, null::text as agreement_mode from items i"),
    };
    sql.push(" join item_versions v on v.item_id = i.id and v.version = i.current_version");
    // The status stays a literal here: it is the predicate of the partial term index, which a
    // bound parameter would keep the planner from using.
    sql.push(" where v.status = 'published'");
    if let Some(terms) = terms {
        sql.push(" and v.search_terms @> ").push_bind(terms);
    }
    if let Some(patterns) = patterns {
        sql.push(" and v.search_text like all (")
            .push_bind(patterns)
            .push(")");
    }
    if let Some(department) = query.department {
        sql.push(" and i.department_id = ").push_bind(department);
    }
    if let Some(code) = query.code {
        sql.push(" and i.code = ").push_bind(code.to_owned());
    }
    sql.push(" order by named desc, length, i.code limit ")
        .push_bind(query.limit);
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
