//! Signing an agreement for the regions involved that an administrator covers; the last
//! signature concludes it and publishes `AgreementConcluded`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Principal};

use super::parties::{covered, regions_of};
use super::state::{self, Refusal};
use super::store;
use super::view::{self, Agreement};

/// Signs for `regions` and, when nothing is left to sign, concludes the agreement and
/// publishes `AgreementConcluded`.
pub async fn sign_for(
    tx: &mut PgConnection,
    id: Uuid,
    regions: &[String],
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if store::sign(tx, id, regions, principal.account, now).await? > 0 {
        return Ok(());
    }
    store::conclude(tx, id, now).await?;
    let agreement = view::get_in(tx, id).await?;
    let event = events::AgreementConcluded {
        agreement_id: id.to_string(),
        title: agreement.title.clone(),
        mode: agreement.mode.as_str().to_owned(),
        scope: agreement.scope.as_str().to_owned(),
        items: agreement
            .items
            .iter()
            .map(|i| events::AgreedItem {
                implementation_code: i.implementation_code.clone(),
                region_code: i.region_code.clone(),
                name: i.name.clone(),
            })
            .collect(),
        collecting_regions: agreement.collecting_regions.clone(),
        effective_from: agreement.effective_from.to_string(),
        effective_until: agreement
            .effective_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        concluded_by: principal.account.to_string(),
        concluded_at: Some(tongban_events::timestamp(now)),
    };
    let involved = regions_of(&agreement.collecting_regions, &agreement.items);
    store::publish(tx, id, involved, &event).await
}

/// Signs a proposed agreement for the regions involved that `principal` administers (403 when
/// none is left for them); the last signature concludes it.
pub async fn sign(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Agreement, Error> {
    let mut tx = pool.begin().await?;
    let Some(concluded) = store::concluded_for_update(&mut tx, id).await? else {
        return Err(Error::NotFound(format!("agreement {id}")));
    };
    if let Err(Refusal::AlreadyConcluded) = state::may_sign(concluded) {
        return Err(Error::Conflict {
            code: "already_concluded",
            message: format!("agreement {id} is signed by every region already"),
        });
    }
    let pending = store::pending(&mut tx, id).await?;
    let mine = covered(principal, &pending)?;
    if mine.is_empty() {
        return Err(Error::Forbidden(format!(
            "no catalogue_admin role covers a region still to sign: {}",
            pending.join(", ")
        )));
    }
    sign_for(&mut tx, id, &mine, principal, now).await?;
    let agreement = view::get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}
