//! Per-region remediation deadlines: how many working days a remediation has, set by a
//! supervisor for a region and the regions below it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal, RegionCode};

use crate::config::AcceptanceSettings;

/// A region's remediation deadline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Policy {
    pub region_code: String,
    /// 1 to 60 working days.
    pub working_days: i32,
    pub set_by: Uuid,
    pub set_at: DateTime<Utc>,
}

/// The working days a remediation in `region` has: the nearest region's policy at or above it,
/// else the default.
pub async fn working_days(
    conn: &mut PgConnection,
    region: &str,
    settings: &AcceptanceSettings,
) -> Result<u32, Error> {
    let mut chain = Vec::new();
    let mut at: Option<RegionCode> = region.parse().ok();
    while let Some(code) = at {
        at = code.prefix_parent();
        chain.push(code.to_string());
    }
    let found: Option<i32> = sqlx::query_scalar(
        "select p.working_days from remediation_policies p
         join unnest($1::text[]) with ordinality as chain(code, depth) on chain.code = p.region_code
         order by chain.depth limit 1",
    )
    .bind(&chain)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map_or(settings.remediation_working_days, |d| d as u32))
}

/// A supervisor over `region` sets its remediations' working days (and its regions' below,
/// unless they set their own).
pub async fn set_policy(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    working_days: i32,
    now: DateTime<Utc>,
) -> Result<Policy, Error> {
    principal.require(Power::Supervise, region)?;
    if !(1..=60).contains(&working_days) {
        return Err(Error::bad_request("working_days", "1 to 60"));
    }
    Ok(sqlx::query_as(
        "insert into remediation_policies (region_code, working_days, set_by, set_at)
         values ($1, $2, $3, $4)
         on conflict (region_code) do update set working_days = excluded.working_days,
             set_by = excluded.set_by, set_at = excluded.set_at
         returning region_code, working_days, set_by, set_at",
    )
    .bind(region.as_str())
    .bind(working_days)
    .bind(principal.account)
    .bind(now)
    .fetch_one(pool)
    .await?)
}

/// The policies at and below `region`, for its staff.
pub async fn policies(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
) -> Result<Vec<Policy>, Error> {
    if !principal.works_on_cases_in(region) {
        return Err(Error::Forbidden(format!("no role covers {region}")));
    }
    Ok(sqlx::query_as(
        "select region_code, working_days, set_by, set_at from remediation_policies
         where region_code like $1 || '%' order by region_code",
    )
    .bind(region.prefix())
    .fetch_all(pool)
    .await?)
}
