//! Terminating an agreement on a date, with the reason: any region involved may withdraw from
//! it (an administrator covering one of them). Publishes `AgreementTerminated`.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::parties::{covered, regions_of};
use super::state::{self, Refusal};
use super::store;
use super::view::{self, Agreement};

/// Ends agreement `id` on `until` (inclusive; today when absent).
pub async fn terminate(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    until: Option<NaiveDate>,
    reason: &str,
    now: Now,
) -> Result<Agreement, Error> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 1000 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let agreement = view::get_in(&mut tx, id).await?;
    let involved = regions_of(&agreement.collecting_regions, &agreement.items);
    if covered(principal, &involved)?.is_empty() {
        return Err(Error::Forbidden(
            "no catalogue_admin role covers any region of this agreement".into(),
        ));
    }
    let until = state::termination_end(
        agreement.terminated_at.is_some(),
        until,
        now.today,
        agreement.effective_from,
        agreement.effective_until,
    )
    .map_err(|refusal| match refusal {
        Refusal::AlreadyTerminated => Error::Conflict {
            code: "already_terminated",
            message: format!("agreement {id} is already terminated"),
        },
        _ => Error::unprocessable(
            "effective_until",
            "an agreement ends today or later, and not before it starts",
        ),
    })?;
    store::terminate(&mut tx, id, until, principal.account, now.at, reason).await?;
    let event = events::AgreementTerminated {
        agreement_id: id.to_string(),
        effective_until: until.to_string(),
        reason: reason.to_owned(),
        terminated_by: principal.account.to_string(),
        terminated_at: Some(tongban_events::timestamp(now.at)),
    };
    store::publish(&mut tx, id, involved, &event).await?;
    let agreement = view::get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}
