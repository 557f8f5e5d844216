//! Events the hall consumes: the catalogue's working-day calendar (a hall opens on its
//! region's working days).

use std::sync::Arc;

use sqlx::PgConnection;

use tongban_bus::{ConsumerSpec, Delivered, HandleError, On};
use tongban_events::catalogue::v1::CalendarChanged;
use tongban_events::topics;

pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec::named("calendar", &[topics::CATALOGUE])
            .on::<CalendarChanged, _>(Arc::new(Calendar))
            .into(),
    ]
}

pub struct Calendar;

impl On<CalendarChanged> for Calendar {
    async fn on(
        &self,
        tx: &mut PgConnection,
        change: CalendarChanged,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        tongban_calendar::apply(tx, change).await
    }
}
