//! Separation-of-duties exceptions (DOMAIN.md "Separation of duties"): granted to a named
//! service centre by a province-level identity administrator, ended by one; each change is
//! published on the identity topic (keyed by the centre's region) for approval and acceptance.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::{Event, timestamp};
use tongban_kernel::Error;

/// An exception, in force or ended.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DutyException {
    pub id: Uuid,
    /// The centre's 12-digit region code.
    pub region_code: String,
    pub reason: String,
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    pub revoked_by: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

const COLUMNS: &str =
    "id, region_code, reason, granted_by, granted_at, revoked_by, revoked_at, revoke_reason";

/// Grants an exception to the centre of `region`; 409 `exception_in_force` when it has one.
pub async fn grant(
    pool: &PgPool,
    region: &str,
    reason: &str,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<DutyException, Error> {
    let mut tx = pool.begin().await?;
    let granted: Option<DutyException> = sqlx::query_as(&format!(
        "insert into duty_exceptions (id, region_code, reason, granted_by, granted_at)
         values ($1, $2, $3, $4, $5) on conflict do nothing returning {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(region)
    .bind(reason)
    .bind(by)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?;
    let granted = granted.ok_or_else(|| Error::Conflict {
        code: "exception_in_force",
        message: format!("the centre {region} has an exception in force already"),
    })?;
    let event = events::DutyExceptionGranted {
        exception_id: granted.id.to_string(),
        region_code: granted.region_code.clone(),
        reason: granted.reason.clone(),
        granted_by: by.to_string(),
        granted_at: Some(timestamp(at)),
    };
    publish(&mut tx, region, &event).await?;
    let detail = serde_json::json!({ "exception_id": granted.id, "reason": reason });
    super::audit(
        &mut tx,
        Some(by),
        "duty_exception_granted",
        region,
        detail,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(granted)
}

/// Ends exception `id`; 409 `exception_ended` when it has ended already.
pub async fn revoke(
    pool: &PgPool,
    id: Uuid,
    reason: &str,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<DutyException, Error> {
    let mut tx = pool.begin().await?;
    let revoked: Option<DutyException> = sqlx::query_as(&format!(
        "update duty_exceptions set revoked_by = $2, revoked_at = $3, revoke_reason = $4
         where id = $1 and revoked_at is null returning {COLUMNS}"
    ))
    .bind(id)
    .bind(by)
    .bind(at)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    let revoked = revoked.ok_or_else(|| Error::Conflict {
        code: "exception_ended",
        message: "the exception has ended already".into(),
    })?;
    let event = events::DutyExceptionRevoked {
        exception_id: id.to_string(),
        region_code: revoked.region_code.clone(),
        reason: reason.to_owned(),
        revoked_by: by.to_string(),
        revoked_at: Some(timestamp(at)),
    };
    publish(&mut tx, &revoked.region_code, &event).await?;
    let detail = serde_json::json!({ "exception_id": id, "reason": reason });
    let region = revoked.region_code.as_str();
    super::audit(
        &mut tx,
        Some(by),
        "duty_exception_revoked",
        region,
        detail,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<DutyException>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from duty_exceptions where id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Every exception, in force first, then the newest.
pub async fn all(pool: &PgPool) -> Result<Vec<DutyException>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from duty_exceptions
         order by revoked_at is not null, granted_at desc"
    ))
    .fetch_all(pool)
    .await?)
}

async fn publish<E: Event>(tx: &mut PgConnection, region: &str, event: &E) -> Result<(), Error> {
    let about = Subject {
        key: region,
        subject: None,
        regions: vec![region.to_owned()],
    };
    outbox::enqueue(tx, &about, event).await?;
    Ok(())
}
