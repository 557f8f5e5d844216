//! What the API takes and shows of a remediation, and its reads: one, its history, a list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal, RegionCode};

use super::store::{self, REMEDIATION_COLUMNS, Remediation};

/// What the assignee does with a remediation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationAction {
    /// start (待整改 → 整改中), callback (record the call-back), fix (整改完成), or
    /// request_review (ask a supervisor to judge it invalid or unfixable).
    pub action: String,
    /// For callback: whether the rater was reached.
    #[serde(default)]
    pub reached: Option<bool>,
    /// For request_review: invalid or unfixable.
    #[serde(default)]
    pub kind: Option<String>,
    /// What was done or found (required for callback, fix and request_review).
    #[serde(default)]
    pub note: String,
    /// The revision the caller saw; a remediation changed since is a 409.
    #[serde(default)]
    pub revision: Option<i32>,
}

/// A supervisor's judgement of an appeal or an unfixable claim.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// true: the rating is invalid (无效差评) / the matter unfixable (无法整改), and the
    /// remediation ends so; false: remediation goes on.
    pub uphold: bool,
    pub note: String,
}

/// One extension of a remediation's deadline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// 1 to 15 working days more.
    pub working_days: u32,
    pub reason: String,
}

/// One step of a remediation's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct RemediationStep {
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    /// opened, started, called_back, review_requested, review_rejected, extended, overdue,
    /// fixed, invalid, unfixable, withdrawn.
    pub action: String,
    pub detail: Value,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RemediationFilter {
    /// The region (and everything below it); without it, the caller's own assignments.
    pub region_code: Option<String>,
    /// pending, in_progress, under_review, fixed, invalid, unfixable or withdrawn.
    pub state: Option<String>,
    /// true: only those flagged overdue and still open.
    #[serde(default)]
    pub overdue: bool,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// The remediation `id` for `principal`.
pub async fn get(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = store::load(&mut tx, principal, id).await?;
    tx.commit().await?;
    Ok(found)
}

/// The steps of the remediation `id`, oldest first, for whoever may see it.
pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<RemediationStep>, Error> {
    get(pool, principal, id).await?;
    Ok(sqlx::query_as(
        "select at, actor, action, detail from remediation_history where remediation_id = $1
         order by at, action",
    )
    .bind(id)
    .fetch_all(pool)
    .await?)
}

/// Remediations of a region (for its staff) or assigned to the caller, newest first.
pub async fn list_remediations(
    pool: &PgPool,
    principal: &Principal,
    filter: &RemediationFilter,
) -> Result<Vec<Remediation>, Error> {
    // A role bound to departments lists only the remediations concerning them.
    let (region, departments) = match &filter.region_code {
        Some(code) => {
            let region: RegionCode = tongban_kernel::parse_param("region_code", code)?;
            if !principal.works_on_cases_in(&region) {
                return Err(Error::Forbidden(format!(
                    "no role covers the remediations of {region}"
                )));
            }
            (
                Some(region.prefix().to_owned()),
                principal.case_departments_in(&region),
            )
        }
        None => (None, None),
    };
    let limit = tongban_kernel::page_limit(filter.limit, 50, 200)?;
    Ok(sqlx::query_as(&format!(
        "select {REMEDIATION_COLUMNS} from remediations
         where (($1::text is not null and region_code like $1 || '%')
                or ($1::text is null and assignee_id = $2))
           and ($3::text is null or state = $3)
           and (not $4 or (overdue_at is not null and closed_at is null))
           and ($6::uuid[] is null or department_id = any($6))
         order by opened_at desc limit $5"
    ))
    .bind(region)
    .bind(principal.account)
    .bind(&filter.state)
    .bind(filter.overdue)
    .bind(limit)
    .bind(departments)
    .fetch_all(pool)
    .await?)
}
