//! Ratings (好差评): the newest revision of each, for the distribution and 好评率.

use futures::future::BoxFuture;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::acceptance::v1::Rated;

use super::support::day;
use crate::db::{facts, feed};

pub struct Ratings;

impl Handler for Ratings {
    fn handles(&self, ce_type: &str) -> bool {
        ce_type == Rated::TYPE
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let rated: Rated = event.decode()?;
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
            feed::seen(tx, event.attributes.time).await?;
            Ok(())
        })
    }
}
