//! The ratings of a region's halls for its staff, and the online rating of one case.

use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Principal, RegionCode};

use crate::case::rated::rated;

use super::state::level_score;
use super::store::{self, Listed};
use super::view::{Rating, RatingFilter};

/// Ratings of a region's halls, newest first, for the staff in scope.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    filter: &RatingFilter,
) -> Result<Vec<Rating>, Error> {
    let region: RegionCode = tongban_kernel::parse_param("region_code", &filter.region_code)?;
    if !principal.works_on_cases_in(&region) {
        return Err(Error::Forbidden(format!(
            "no role covers the ratings of {region}"
        )));
    }
    let level = match &filter.level {
        Some(name) => {
            Some(level_score(name).ok_or_else(|| Error::bad_request("level", "not a level"))?)
        }
        None => None,
    };
    let limit = tongban_kernel::page_limit(filter.limit, 50, 200)?;
    let listed = Listed {
        prefix: region.prefix(),
        level,
        channel: filter.channel.as_deref(),
        from: filter.from,
        to: filter.to,
        limit,
    };
    let rows = store::list(pool, &listed).await?;
    Ok(rows.into_iter().map(|r| r.view(Some(principal))).collect())
}

/// The rating of case `id`: its applicant's (for them) or, for staff in scope, the online one.
pub async fn case_rating(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Rating, Error> {
    let mut tx = pool.begin().await?;
    let case = rated(&mut tx, principal, id).await?;
    let row = store::latest_online(&mut tx, case.id).await?;
    let Some(row) = row else {
        return Err(Error::NotFound(format!("rating of case {id}")));
    };
    let mut rating = row.view(Some(principal));
    // The rater learns what became of a bad rating (整改结果反馈); staff read the remediation.
    if let Some(remediation) = rating
        .remediation_id
        .filter(|_| rating.rater_id == Some(principal.account))
    {
        rating.remediation = sqlx::query_as(
            "select state, case when closed_at is not null
                        then coalesce(close_note, review_reason) end as outcome, closed_at
             from remediations where id = $1",
        )
        .bind(remediation)
        .fetch_optional(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(rating)
}
