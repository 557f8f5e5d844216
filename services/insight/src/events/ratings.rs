//! Ratings (好差评): the newest revision of each, for the distribution and 好评率.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::acceptance::v1::Rated;

use super::support::{day, seen};
use crate::db::facts;

pub struct Ratings;

impl On<Rated> for Ratings {
    async fn on(
        &self,
        tx: &mut PgConnection,
        rated: Rated,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        if !(1..=5).contains(&rated.level) {
            return Err(field::malformed("level", &rated.level.to_string()));
        }
        let at = event.instant(rated.rated_at);
        let case_id = match rated.case.as_ref() {
            Some(case) => field::optional_uuid("case.case_id", &case.case_id)?,
            None => None,
        };
        let rating = facts::Rating {
            rating_id: field::uuid("rating_id", &rated.rating_id)?,
            revision: rated.revision.max(1) as i32,
            case_id,
            channel: rated.channel.clone(),
            level: rated.level as i32,
            region_code: rated.region_code.clone(),
            department_id: field::optional_uuid("department_id", &rated.department_id)?,
            implementation_code: rated.implementation_code.clone(),
            at,
            on: day(at),
        };
        facts::rating(tx, &rating).await?;
        seen(tx, event).await
    }
}
