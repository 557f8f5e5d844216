//! The step every new rating takes: checked, stored with its event, and a bad one opens its
//! remediation (谁办理谁负责).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use tongban_kernel::{Error, Principal};

use crate::config::AcceptanceSettings;
use crate::remediation::open as remediation;

use super::rules::checked;
use super::state::BAD;
use super::store::{self, About, Content, RatingRow};
use super::view::RatingInput;

/// Stores a new rating with its event, and opens a remediation for a bad one.
pub async fn insert(
    tx: &mut PgConnection,
    about: &About,
    rater: Option<&Principal>,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<RatingRow, Error> {
    let (level, indicators, comment) = checked(input)?;
    let content = Content {
        level,
        indicators,
        comment,
        anonymous: input.anonymous || rater.is_none(),
    };
    let id = store::insert(tx, about, rater, content, now).await?;
    let row = store::load(tx, id).await?;
    store::rated_event(tx, &row, about.case.as_ref()).await?;
    if row.level <= BAD {
        remediation::open(tx, &row, about.case.as_ref(), settings, now).await?;
    }
    store::load(tx, id).await
}
