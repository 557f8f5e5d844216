//! Separation-of-duties exceptions as the services that enforce the rules keep them (approval
//! for its steps, acceptance for remediations). Identity grants an exception to a named service
//! centre (DOMAIN.md "Separation of duties"); each such service keeps the same two tables in its
//! own schema: `duty_exceptions` (a projection of identity's `DutyExceptionGranted` and
//! `DutyExceptionRevoked`) and `duty_exception_uses` (every action taken under one, written in
//! the action's transaction, counted for supervisors).
//!
//! # Layout
//! - [`consumer`]: the projection, one consumer group per service on the identity topic.
//! - [`excepted`]: a rule's refusal, or the exception in force that lets the action go on.
//! - [`mark`]: an action's history detail, marked, and its use counted.
//! - [`report`]: the uses over a supervisor's regions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use tongban_bus::{ConsumerSpec, Delivered, HandleError, On, field};
use tongban_events::identity::v1::{DutyExceptionGranted, DutyExceptionRevoked};
use tongban_events::topics;
use tongban_kernel::{Error, Power, Principal};

/// An exception in force for one service centre.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Exception {
    pub exception_id: Uuid,
    pub region_code: String,
    pub reason: String,
}

/// An action a rule would refuse, allowed by the exception of the centre it happens in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excepted {
    pub exception: Exception,
    /// The refused rule's code (`acceptor_does_not_approve`, `own_remediation`, …).
    pub rule: &'static str,
}

/// The consumer that keeps `duty_exceptions` from the identity topic.
pub fn consumer() -> ConsumerSpec {
    let projection = Arc::new(Projection);
    ConsumerSpec::named("duty-exceptions", &[topics::IDENTITY])
        .on::<DutyExceptionGranted, _>(projection.clone())
        .on::<DutyExceptionRevoked, _>(projection)
        .into()
}

struct Projection;

impl On<DutyExceptionGranted> for Projection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        granted: DutyExceptionGranted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("exception_id", &granted.exception_id)?;
        if granted.region_code.len() != 12 {
            return Err(field::malformed("region_code", &granted.region_code));
        }
        sqlx::query(
            "insert into duty_exceptions (exception_id, region_code, reason, granted_at)
             values ($1, $2, $3, $4) on conflict (exception_id) do nothing",
        )
        .bind(id)
        .bind(&granted.region_code)
        .bind(&granted.reason)
        .bind(event.instant(granted.granted_at))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl On<DutyExceptionRevoked> for Projection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        revoked: DutyExceptionRevoked,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("exception_id", &revoked.exception_id)?;
        sqlx::query("update duty_exceptions set revoked_at = $2 where exception_id = $1")
            .bind(id)
            .bind(event.instant(revoked.revoked_at))
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

/// The exception in force for the centre of `region`, if any.
pub async fn in_force(conn: &mut PgConnection, region: &str) -> Result<Option<Exception>, Error> {
    Ok(sqlx::query_as(
        "select exception_id, region_code, reason from duty_exceptions
         where region_code = $1 and revoked_at is null order by granted_at desc limit 1",
    )
    .bind(region)
    .fetch_optional(conn)
    .await?)
}

/// `refusal` (a rule's 403) stands unless the centre of `region` has an exception in force;
/// then the action goes on under it.
pub async fn excepted(
    conn: &mut PgConnection,
    region: &str,
    refusal: Error,
) -> Result<Excepted, Error> {
    let &Error::Denied { code, .. } = &refusal else {
        return Err(refusal);
    };
    match in_force(conn, region).await? {
        Some(exception) => Ok(Excepted {
            exception,
            rule: code,
        }),
        None => Err(refusal),
    }
}

/// An action taken under an exception: on what, by whom, when.
pub struct Use<'a> {
    /// The case (approval) or remediation (acceptance) acted on.
    pub subject_id: Uuid,
    /// What a supervisor recognises it by: the case number.
    pub reference: &'a str,
    /// The action as its history names it (`completed`, `approved`, `extended`).
    pub action: &'a str,
    pub actor: Uuid,
    pub at: DateTime<Utc>,
}

/// `detail` of an action's history entry; when the action went on under an exception, marked
/// with it (`duty_exception`) and the use counted, in the action's transaction.
pub async fn mark(
    conn: &mut PgConnection,
    excepted: Option<&Excepted>,
    used: Use<'_>,
    mut detail: Value,
) -> Result<Value, Error> {
    let Some(excepted) = excepted else {
        return Ok(detail);
    };
    let exception = &excepted.exception;
    sqlx::query(
        "insert into duty_exception_uses
             (exception_id, region_code, rule, subject_id, reference, action, actor, at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(exception.exception_id)
    .bind(&exception.region_code)
    .bind(excepted.rule)
    .bind(used.subject_id)
    .bind(used.reference)
    .bind(used.action)
    .bind(used.actor)
    .bind(used.at)
    .execute(conn)
    .await?;
    if let Value::Object(map) = &mut detail {
        map.insert(
            "duty_exception".into(),
            serde_json::json!({
                "exception_id": exception.exception_id,
                "rule": excepted.rule,
                "reason": exception.reason,
            }),
        );
    }
    Ok(detail)
}

/// The uses of one centre's exception.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Tally {
    pub region_code: String,
    pub exception_id: Uuid,
    pub reason: String,
    /// Whether the exception is still in force.
    pub in_force: bool,
    pub uses: i64,
    pub last_at: DateTime<Utc>,
}

/// One action taken under an exception.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Used {
    pub at: DateTime<Utc>,
    pub region_code: String,
    pub exception_id: Uuid,
    /// The rule it set aside.
    pub rule: String,
    pub subject_id: Uuid,
    pub reference: String,
    pub action: String,
    pub actor: Uuid,
}

/// What a supervisor sees of the exceptions over their regions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    /// Actions taken under an exception (since `since`, when given).
    pub total: i64,
    pub by_centre: Vec<Tally>,
    /// The latest 100 of them, newest first.
    pub recent: Vec<Used>,
}

/// The query of `GET /v1/duty-exceptions/uses`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UsesQuery {
    /// RFC 3339 instant: only the uses since then (all when absent).
    pub since: Option<String>,
}

/// The uses in the centres below `principal`'s supervisor bindings that reach every department
/// (a department's supervisor sees no centre-wide count); 403 for anyone else.
pub async fn report(
    pool: &PgPool,
    principal: &Principal,
    query: &UsesQuery,
) -> Result<Report, Error> {
    let since = match &query.since {
        None => None,
        Some(since) => Some(
            DateTime::parse_from_rfc3339(since)
                .map_err(|_| Error::bad_request("since", "an RFC 3339 instant"))?
                .to_utc(),
        ),
    };
    if !principal
        .bindings_for_power(Power::Supervise)
        .any(|b| b.department.is_none())
    {
        return Err(Error::Forbidden(
            "the uses of separation-of-duties exceptions are for supervisors of a region".into(),
        ));
    }
    let prefixes: Vec<String> = principal
        .bindings_for_power(Power::Supervise)
        .filter(|b| b.department.is_none())
        .map(|b| format!("{}%", b.region.prefix()))
        .collect();
    let by_centre: Vec<Tally> = sqlx::query_as(
        "select u.region_code, u.exception_id, e.reason, e.revoked_at is null as in_force,
                count(*) as uses, max(u.at) as last_at
         from duty_exception_uses u join duty_exceptions e using (exception_id)
         where u.region_code like any($1) and ($2::timestamptz is null or u.at >= $2)
         group by u.region_code, u.exception_id, e.reason, e.revoked_at
         order by u.region_code, last_at desc",
    )
    .bind(&prefixes)
    .bind(since)
    .fetch_all(pool)
    .await?;
    let recent = sqlx::query_as(
        "select at, region_code, exception_id, rule, subject_id, reference, action, actor
         from duty_exception_uses
         where region_code like any($1) and ($2::timestamptz is null or at >= $2)
         order by at desc, id desc limit 100",
    )
    .bind(&prefixes)
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(Report {
        total: by_centre.iter().map(|t| t.uses).sum(),
        by_centre,
        recent,
    })
}
