//! A supervisor extends an open remediation's deadline, once.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal, TimeLimit};

use crate::db::catalogue;
use crate::rating::store::region_of;

use super::rules::{mark, require, require_not_own};
use super::state::Action;
use super::store::{self, Extended, Remediation};
use super::view::Extension;

/// A supervisor over the region extends an open remediation's deadline, once.
pub async fn extend(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &Extension,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    if !(1..=15).contains(&input.working_days) {
        return Err(Error::bad_request("working_days", "1 to 15"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request("reason", "1 to 500 characters"));
    }
    let mut tx = pool.begin().await?;
    let found = store::load(&mut tx, principal, id).await?;
    principal.require(Power::Supervise, &region_of(&found.region_code)?)?;
    let excepted = require_not_own(&mut tx, principal, &found, "extends").await?;
    require(&found, Action::Extend)?;
    if found.extended_days.is_some() {
        return Err(Error::Conflict {
            code: "already_extended",
            message: "a remediation is extended once".into(),
        });
    }
    let calendar = catalogue::calendar(&mut tx, &found.region_code).await?;
    let due = calendar
        .due(
            found.due_date,
            TimeLimit::working_days(input.working_days),
            &[],
        )
        .ok_or_else(|| Error::internal("the extended deadline is out of range"))?
        .date;
    let extended = Extended {
        due,
        working_days: input.working_days,
        reason,
    };
    store::extend(&mut tx, id, &extended, now).await?;
    let detail = json!({ "working_days": input.working_days, "reason": reason, "due_date": due });
    let by = principal.account;
    let detail = mark(
        &mut tx,
        excepted.as_ref(),
        &found,
        "extended",
        by,
        detail,
        now,
    )
    .await?;
    store::record(&mut tx, id, Some(by), "extended", detail, now).await?;
    let found = store::lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}
