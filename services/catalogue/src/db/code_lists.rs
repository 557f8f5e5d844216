//! The local code lists (item types, online depth, 通办 scopes).

use sqlx::PgPool;

use tongban_kernel::Error;

use crate::domain::item::CodeLists;

/// One code of a list, as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Code {
    pub list: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub position: i32,
    /// How far a `tongban_scope` reaches: self, county, city, province or listed.
    pub reach: Option<String>,
}

pub async fn all(pool: &PgPool) -> Result<Vec<Code>, Error> {
    Ok(sqlx::query_as(
        "select list, code, name, name_en, position, reach from code_lists order by list, position, code",
    )
    .fetch_all(pool)
    .await?)
}

/// The lists in the shape the domain checks want.
pub async fn load(pool: &PgPool) -> Result<CodeLists, Error> {
    let mut lists = CodeLists::default();
    for code in all(pool).await? {
        lists
            .lists
            .entry(code.list)
            .or_default()
            .insert(code.code, code.reach);
    }
    Ok(lists)
}

/// Adds a code or renames one. Codes are never removed: published versions refer to them.
pub async fn put(pool: &PgPool, code: &Code) -> Result<Code, Error> {
    Ok(sqlx::query_as(
        "insert into code_lists (list, code, name, name_en, position, reach)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (list, code) do update
         set name = excluded.name, name_en = excluded.name_en, position = excluded.position, reach = excluded.reach
         returning list, code, name, name_en, position, reach",
    )
    .bind(&code.list)
    .bind(&code.code)
    .bind(&code.name)
    .bind(&code.name_en)
    .bind(code.position)
    .bind(&code.reach)
    .fetch_one(pool)
    .await?)
}
