//! A clerk records a window visit, to be rated once through its code (for a case, the visit
//! is also counted on the case, as `POST /cases/{id}/visits`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal};

use crate::case::visit::{VISIT_PURPOSES, count_visit};

use super::store::region_of;
use super::view::NewVisit;
use super::visit::{Visit, by_id, insert_visit};

/// A clerk records a window visit (for a case: counted on it, as `POST /cases/{id}/visits`).
pub async fn open_visit(
    pool: &PgPool,
    principal: &Principal,
    input: &NewVisit,
    now: DateTime<Utc>,
) -> Result<Visit, Error> {
    let mut tx = pool.begin().await?;
    if let Some(id) = input.id {
        // One at a time per id, so two attempts at once record one visit.
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text, 0))")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(visit) = by_id(&mut tx, id).await? {
            let region = region_of(&visit.region_code)?;
            principal.require(Power::AcceptCases, &region)?;
            return Ok(visit);
        }
    }
    let id = input.id.unwrap_or_else(Uuid::now_v7);
    let visit = match (input.case_id, &input.region_code) {
        (Some(case_id), _) => {
            let case = count_visit(&mut tx, principal, case_id, &input.purpose, now).await?;
            insert_visit(
                &mut tx,
                id,
                principal,
                Some(case_id),
                &case.receiving_region,
                &input.purpose,
                now,
            )
            .await?
        }
        (None, Some(region)) => {
            if !VISIT_PURPOSES.contains(&input.purpose.as_str()) {
                return Err(Error::bad_request(
                    "purpose",
                    format!("one of {}", VISIT_PURPOSES.join(", ")),
                ));
            }
            principal.require(Power::AcceptCases, region)?;
            insert_visit(
                &mut tx,
                id,
                principal,
                None,
                region.as_str(),
                &input.purpose,
                now,
            )
            .await?
        }
        (None, None) => {
            return Err(Error::bad_request(
                "region_code",
                "a visit without a case names its hall",
            ));
        }
    };
    tx.commit().await?;
    Ok(visit)
}
