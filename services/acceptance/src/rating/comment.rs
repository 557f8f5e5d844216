//! A public comment on a hall (and an item), signed in or not.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use tongban_kernel::{Error, Principal};

use crate::config::AcceptanceSettings;

use super::rate::insert;
use super::rules::require_rater;
use super::state::Channel;
use super::store::About;
use super::view::{PublicComment, Rating};

/// Takes a public comment (anyone, signed in or not); it must say something.
pub async fn comment(
    pool: &PgPool,
    principal: Option<&Principal>,
    input: &PublicComment,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<Rating, Error> {
    require_rater(principal)?;
    if input.rating.comment.trim().is_empty() {
        return Err(Error::bad_request(
            "comment",
            "a public comment says something",
        ));
    }
    let mut tx = pool.begin().await?;
    let about = About {
        channel: Channel::Public,
        case: None,
        visit_id: None,
        region_code: input.region_code.to_string(),
        department_id: None,
        staff_id: None,
        implementation_code: input.implementation_code.clone(),
    };
    let row = insert(&mut tx, &about, principal, &input.rating, settings, now).await?;
    tx.commit().await?;
    Ok(row.view(principal))
}
