//! Importing many rows as drafts (and publishing them) in one transaction.

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use tongban_kernel::{Error, RegionCode};

use super::draft::create;
use super::publish::publish;
use crate::actor::Actor;
use crate::domain::item::{CodeLists, ItemRow};

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
    let lists = crate::db::code_lists::load(pool).await?;
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
    let department =
        crate::db::departments::find_by_credit_code(&mut *tx, &row.department_credit_code)
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
