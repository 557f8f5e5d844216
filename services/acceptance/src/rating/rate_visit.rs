//! Rating a window visit (一次一评) through its rating code, once; no account needed.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use tongban_kernel::{Error, Principal};

use crate::case::rated::rated_by_system;
use crate::config::AcceptanceSettings;

use super::rate::insert;
use super::rules::require_rater;
use super::state::Channel;
use super::store::About;
use super::view::{Rating, RatingInput};
use super::visit::by_code_for_update;

/// Rates the visit with `code` (一次一评), once; a signed-in applicant may give their name.
pub async fn rate_visit(
    pool: &PgPool,
    principal: Option<&Principal>,
    code: &str,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<Rating, Error> {
    require_rater(principal)?;
    let mut tx = pool.begin().await?;
    let visit = by_code_for_update(&mut tx, code).await?;
    let case = match visit.case_id {
        Some(id) => Some(rated_by_system(&mut tx, id).await?),
        None => None,
    };
    let about = About {
        channel: Channel::Window,
        implementation_code: case.as_ref().map(|c| c.implementation_code.clone()),
        case,
        visit_id: Some(visit.id),
        region_code: visit.region_code.clone(),
        department_id: None,
        staff_id: Some(visit.clerk_id),
    };
    let row = insert(&mut tx, &about, principal, input, settings, now).await?;
    tx.commit().await?;
    Ok(row.view(principal))
}
