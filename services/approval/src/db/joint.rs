//! 一件事 applications in the back office: the parts are work items of their own departments,
//! handled in parallel (并联审批); the bundle concludes with its last part.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal, RegionCode};

use crate::work_item::state::WorkItemState;
use crate::work_item::store::{COLUMNS, Now, Row};

/// Marks a 一件事 application concluded once none of its parts is still open.
pub async fn conclude_joint(
    tx: &mut PgConnection,
    parent: Uuid,
    now: Now,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update joint_cases j set concluded_at = $2
         where case_id = $1 and concluded_at is null
           and not exists (
               select 1 from unnest(j.parts) as p(id)
               left join work_items w on w.case_id = p.id
               where w.concluded_at is null)",
    )
    .bind(parent)
    .bind(now.at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a 一件事 application and its parts (from the bundle case's CaseAccepted).
pub async fn accept_joint(
    tx: &mut PgConnection,
    case_id: Uuid,
    case_number: &str,
    receiving_region: &str,
    parts: &[Uuid],
    accepted_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into joint_cases (case_id, case_number, receiving_region, parts, accepted_at)
         values ($1, $2, $3, $4, $5) on conflict (case_id) do nothing",
    )
    .bind(case_id)
    .bind(case_number)
    .bind(receiving_region)
    .bind(parts)
    .bind(accepted_at)
    .execute(tx)
    .await?;
    Ok(())
}

/// A 一件事 application's joint handling: its parts side by side.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JointCase {
    pub case_id: Uuid,
    pub case_number: String,
    pub receiving_region: String,
    pub accepted_at: DateTime<Utc>,
    /// Set when the last part concluded.
    pub concluded_at: Option<DateTime<Utc>>,
    pub parts: Vec<PartView>,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PartView {
    pub case_id: Uuid,
    pub case_number: String,
    pub item_name: Option<String>,
    pub department_credit_code: Option<String>,
    pub handling_region: String,
    pub state: WorkItemState,
    pub due_date: Option<NaiveDate>,
    pub concluded_at: Option<DateTime<Utc>>,
}

/// case number, receiving region, parts, accepted at, concluded at.
type JointRow = (
    String,
    String,
    Vec<Uuid>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// A joint case, for staff who see the bundle's receiving region or any of its parts.
pub async fn joint(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<JointCase, Error> {
    let mut conn = pool.acquire().await?;
    let found: Option<JointRow> = sqlx::query_as(
        "select case_number, receiving_region, parts, accepted_at, concluded_at from joint_cases where case_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let not_found = || Error::NotFound(format!("joint case {id}"));
    let (case_number, receiving_region, parts, accepted_at, concluded_at) =
        found.ok_or_else(not_found)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w where w.case_id = any($1) order by w.case_number"
    ))
    .bind(&parts)
    .fetch_all(&mut *conn)
    .await?;
    let receiving_visible = receiving_region.parse::<RegionCode>().is_ok_and(|r| {
        principal.can(Power::Supervise, &r) || principal.can(Power::HandleCases, &r)
    });
    if !receiving_visible && !rows.iter().any(|r| r.visible_to(principal)) {
        return Err(not_found());
    }
    Ok(JointCase {
        case_id: id,
        case_number,
        receiving_region,
        accepted_at,
        concluded_at,
        parts: rows
            .into_iter()
            .map(|r| PartView {
                case_id: r.case_id,
                case_number: r.case_number,
                item_name: r.item_name,
                department_credit_code: r.department_credit_code,
                handling_region: r.handling_region,
                state: r.state,
                due_date: r.due_date,
                concluded_at: r.concluded_at,
            })
            .collect(),
    })
}
