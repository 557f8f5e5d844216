//! 容缺 materials past their deadline: the sweep that flags them and the report.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Power, Principal, RegionCode};

use super::state::Status;
use super::store::{COLUMNS, Row, note, publish};

/// Flags every 容缺 material whose deadline passed before `today` unsupplied, each with its
/// `DeferredMaterialOverdue` event, in one transaction; returns how many. Safe to run in every
/// replica at once: a row already flagged by another is skipped. A withdrawn or refused
/// case's missing materials are owed to nobody: they are left alone.
pub async fn flag_overdue(pool: &PgPool, today: NaiveDate) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let flagged: Vec<(Uuid, String, NaiveDate, DateTime<Utc>)> = sqlx::query_as(
        "update deferred_materials set overdue_at = now()
         where (case_id, material_code) in (
             select d.case_id, d.material_code from deferred_materials d
             join cases c on c.id = d.case_id and c.status <> all($2)
             where d.supplied_at is null and d.overdue_at is null and d.deadline < $1
             order by d.deadline limit 500
             for update of d skip locked)
         returning case_id, material_code, deadline, overdue_at",
    )
    .bind(today)
    .bind(&[Status::Withdrawn, Status::Refused][..])
    .fetch_all(&mut *tx)
    .await?;
    for (case_id, material_code, deadline, at) in &flagged {
        let row: Row = sqlx::query_as(&format!("select {COLUMNS} from cases where id = $1"))
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        // Stamped when it was flagged.
        let detail = json!({ "material_code": material_code, "deadline": deadline });
        note(
            &mut tx,
            &row,
            Entry::new(*at, None, "deferred_material_overdue", detail),
        )
        .await?;
        let event = events::DeferredMaterialOverdue {
            case: Some(row.reference()),
            material_code: material_code.clone(),
            deadline: deadline.to_string(),
            flagged_at: Some(tongban_events::timestamp(*at)),
        };
        publish(&mut tx, &row, &event).await?;
    }
    tx.commit().await?;
    Ok(flagged.len())
}

/// A 容缺 material past its deadline, as the overdue report lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct OverdueMaterial {
    pub case_id: Uuid,
    pub number: Option<String>,
    pub receiving_region: String,
    pub handling_region: String,
    pub material_code: String,
    pub deadline: NaiveDate,
    pub overdue_at: DateTime<Utc>,
}

/// Overdue 容缺 materials of cases received or handled in `region` or below it (of the caller's
/// departments' items, for a role bound to departments), oldest first.
pub async fn overdue(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
) -> Result<Vec<OverdueMaterial>, Error> {
    if !principal.can(Power::Supervise, region) {
        principal.require(Power::AcceptCases, region)?;
    }
    // Regions nest by code prefix for role coverage (RoleBinding::covers); the report follows.
    let pattern = format!("{}%", region.prefix());
    // A role bound to departments reports only their items' cases.
    let departments = principal.case_departments_in(region);
    Ok(sqlx::query_as(
        "select c.id as case_id, c.number, c.receiving_region, c.handling_region, d.material_code,
                d.deadline, d.overdue_at
         from deferred_materials d join cases c on c.id = d.case_id
         where d.overdue_at is not null and d.supplied_at is null
           and (c.receiving_region like $1 or c.handling_region like $1)
           and ($2::uuid[] is null or exists (
               select 1 from item_versions v
               where v.implementation_code = c.implementation_code and v.version = c.item_version
                 and v.department_id = any($2)))
         order by d.deadline, c.number limit 1000",
    )
    .bind(pattern)
    .bind(departments)
    .fetch_all(pool)
    .await?)
}
