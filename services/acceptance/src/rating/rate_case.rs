//! The applicant rates their concluded case online (一事一评), or changes the rating for a
//! while; a change may open the remediation of a now bad rating or withdraw one no longer bad.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use crate::case::rated::{Rated, rated};
use crate::config::AcceptanceSettings;
use crate::remediation::{open as remediation, withdraw};

use super::rate::insert;
use super::rules::{checked, require_rater};
use super::state::{BAD, Channel};
use super::store::{self, About, Content, RatingRow};
use super::view::{Rating, RatingInput};

/// The applicant rates their concluded case, or changes the rating within
/// `settings.rating_change_hours` of the first; `true` when it is new.
pub async fn rate_case(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<(Rating, bool), Error> {
    require_rater(Some(principal))?;
    let mut tx = pool.begin().await?;
    let case = rated(&mut tx, principal, id).await?;
    require_rateable(principal, &case)?;
    let existing = store::online_for_update(&mut tx, id, principal.account).await?;
    let Some(before) = existing else {
        let about = About {
            channel: Channel::Online,
            visit_id: None,
            region_code: case.receiving_region.clone(),
            department_id: case.department_id,
            staff_id: case.handler,
            implementation_code: Some(case.implementation_code.clone()),
            case: Some(case),
        };
        let row = insert(&mut tx, &about, Some(principal), input, settings, now).await?;
        tx.commit().await?;
        return Ok((row.view(Some(principal)), true));
    };
    let row = change(&mut tx, &before, &case, input, settings, now).await?;
    tx.commit().await?;
    Ok((row.view(Some(principal)), false))
}

/// Only the applicant rates, a 一件事 application rather than its parts, once it is concluded.
fn require_rateable(principal: &Principal, case: &Rated) -> Result<(), Error> {
    if case.applicant_id != Some(principal.account) {
        return Err(Error::Forbidden(
            "only the case's applicant rates it".into(),
        ));
    }
    if case.kind == "part" {
        return Err(Error::Conflict {
            code: "part_of_bundle",
            message: "rate the 一件事 application, not one of its parts".into(),
        });
    }
    if !["concluded", "delivered"].contains(&case.status.as_str()) {
        return Err(Error::Conflict {
            code: "not_concluded",
            message: format!(
                "a case is rated once it is concluded; this one is {}",
                case.status
            ),
        });
    }
    Ok(())
}

/// Changes the rating `before` within its change window, with its event; the remediation
/// follows the new level.
async fn change(
    tx: &mut PgConnection,
    before: &RatingRow,
    case: &Rated,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<RatingRow, Error> {
    let (level, indicators, comment) = checked(input)?;
    if now - before.first_rated_at > chrono::Duration::hours(settings.rating_change_hours) {
        return Err(Error::Conflict {
            code: "rating_final",
            message: format!(
                "a rating may be changed within {} hours of the first; this one is final",
                settings.rating_change_hours
            ),
        });
    }
    let content = Content {
        level,
        indicators,
        comment,
        anonymous: input.anonymous,
    };
    store::change(tx, before.id, content, now).await?;
    let row = store::load(tx, before.id).await?;
    store::rated_event(tx, &row, Some(case)).await?;
    match (before.remediation_id, row.level <= BAD) {
        // Now bad, and no remediation yet: open one.
        (None, true) => remediation::open(tx, &row, Some(case), settings, now).await?,
        // No longer bad: an open remediation is withdrawn.
        (Some(open), false) => withdraw::withdraw(tx, open, now).await?,
        _ => {}
    }
    store::load(tx, before.id).await
}
