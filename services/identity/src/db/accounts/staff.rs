//! The staff directory: staff accounts of a region (and its departments), with their state and
//! live role bindings, a page at a time in user-name order.

use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use tongban_kernel::Error;

use super::{Account, Binding, COLUMNS, Row, roles_of};

/// A staff account as its administrators see it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    #[serde(flatten)]
    pub account: Account,
    /// An administrator set the password: the holder must choose their own at the next sign-in.
    pub password_temporary: bool,
    /// The live role bindings, oldest first.
    pub roles: Vec<Binding>,
}

/// Which staff accounts a page lists.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Accounts of regions whose code starts so (a region and those below it).
    pub region_prefix: String,
    /// Only accounts of these departments (an administrator of departments only).
    pub departments: Option<Vec<Uuid>>,
    /// Part of the user name or the name.
    pub query: Option<String>,
    /// The page after this user name.
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    #[sqlx(flatten)]
    row: Row,
    password_temporary: bool,
}

pub async fn staff(pool: &PgPool, filter: &StaffFilter) -> Result<Vec<StaffAccount>, Error> {
    let mut sql: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
        "select {COLUMNS}, password_temporary
         from accounts where kind = 'staff' and region_code like "
    ));
    sql.push_bind(format!("{}%", filter.region_prefix));
    if let Some(departments) = &filter.departments {
        sql.push(" and department_id = any(")
            .push_bind(departments.clone())
            .push(")");
    }
    if let Some(query) = filter.query.as_deref().filter(|q| !q.is_empty()) {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" and (login ilike ")
            .push_bind(pattern.clone())
            .push(" or display_name ilike ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(after) = &filter.after {
        sql.push(" and login > ").push_bind(after.clone());
    }
    sql.push(" order by login limit ").push_bind(filter.limit);
    let rows: Vec<StaffRow> = sql.build_query_as().fetch_all(pool).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.row.id).collect();
    let mut bindings = roles_of(pool, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let id = r.row.id;
            let (mine, rest) = bindings.drain(..).partition(|(account, _)| *account == id);
            bindings = rest;
            Ok(StaffAccount {
                account: Account::try_from(r.row)?,
                password_temporary: r.password_temporary,
                roles: mine.into_iter().map(|(_, b)| b).collect(),
            })
        })
        .collect()
}
