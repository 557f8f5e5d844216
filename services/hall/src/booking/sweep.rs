//! The bookings' timers, as rows a sweep finds (a restart loses none): holds whose time ran
//! out are let go; bookings whose slot ended without a check-in are missed (爽约), and the
//! no-show that reaches the centre's limit suspends booking; bookings of tomorrow are
//! reminded (notification tells the account).

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use sqlx::{PgConnection, PgPool};

use tongban_events::hall::v1 as events;
use tongban_kernel::clock::china;
use tongban_kernel::{Clock, Error};
use tongban_runtime::CancellationToken;

use super::book::move_to;
use super::rules;
use super::state::Action;
use super::store::{self, Appointment};
use crate::centre::{self, Centre};

/// Rows handled per statement (a sweep repeats until none is left).
const BATCH: i64 = 200;

/// Reminders go out from this time of the day before (China time), not at midnight.
const REMIND_FROM: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// Sweeps every `interval` on `clock`'s time until `shutdown`.
pub async fn run(pool: PgPool, interval: StdDuration, clock: Clock, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match sweep(&pool, clock.now()).await {
            Ok(done) if done.any() => tracing::info!(
                let_go = done.let_go,
                missed = done.missed,
                reminded = done.reminded,
                "bookings swept"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "the bookings' sweep failed; it runs again"),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub let_go: usize,
    pub missed: usize,
    pub reminded: usize,
}

impl Swept {
    fn any(&self) -> bool {
        self.let_go + self.missed + self.reminded > 0
    }
}

/// One sweep at `now`.
pub async fn sweep(pool: &PgPool, now: DateTime<Utc>) -> Result<Swept, Error> {
    let mut done = Swept::default();
    let mut centres = Centres::default();
    loop {
        let mut tx = pool.begin().await?;
        let holds = store::run_out_holds(&mut tx, now, BATCH).await?;
        for mut hold in holds.iter().cloned() {
            move_to(&mut hold, Action::Expire)?;
            store::update(&mut tx, &hold).await?;
        }
        let ended = store::ended_unchecked(&mut tx, now, BATCH).await?;
        for booking in &ended {
            miss(&mut tx, &mut centres, booking.clone(), now).await?;
        }
        let due = store::to_remind(&mut tx, remind_before(now), BATCH).await?;
        for booking in &due {
            remind(&mut tx, &mut centres, booking.clone(), now).await?;
        }
        tx.commit().await?;
        done.let_go += holds.len();
        done.missed += ended.len();
        done.reminded += due.len();
        if holds.len() < BATCH as usize
            && ended.len() < BATCH as usize
            && due.len() < BATCH as usize
        {
            return Ok(done);
        }
    }
}

/// Bookings starting before this are reminded at `now`: from 09:00 the day before, those of
/// tomorrow (and any of today not yet reminded).
fn remind_before(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&china());
    let days = if local.time() >= REMIND_FROM { 2 } else { 1 };
    let day = local.date_naive() + Duration::days(days);
    china()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now, |d| d.with_timezone(&Utc))
}

/// The slot ended without a check-in: missed; the no-show that reaches the limit suspends.
async fn miss(
    conn: &mut PgConnection,
    centres: &mut Centres,
    mut booking: Appointment,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    move_to(&mut booking, Action::Miss)?;
    store::update(&mut *conn, &booking).await?;
    let centre = centres.of(&mut *conn, &booking.region_code).await?;
    let r = &centre.rules;
    let since =
        booking.ends_at - Duration::days(i64::from(r.no_show_window_days + r.suspension_days));
    let missed = store::no_shows(
        &mut *conn,
        &booking.region_code,
        &booking.person_digest,
        since,
    )
    .await?;
    let counted = missed
        .iter()
        .filter(|m| booking.ends_at - **m < Duration::days(i64::from(r.no_show_window_days)))
        .count();
    let until = rules::suspended_until(&missed, r);
    let event = events::AppointmentMissed {
        appointment: Some(booking.reference()),
        at: Some(tongban_events::timestamp(now)),
        no_shows: i32::try_from(counted).unwrap_or(i32::MAX),
    };
    store::publish(&mut *conn, &booking, &event).await?;
    // This no-show began a suspension when the suspension's end is counted from it.
    if let Some(until) =
        until.filter(|u| *u - Duration::days(i64::from(r.suspension_days)) == booking.ends_at)
    {
        let event = events::BookingSuspended {
            appointment: Some(booking.reference()),
            no_shows: r.no_show_limit,
            until: Some(tongban_events::timestamp(until)),
        };
        store::publish(conn, &booking, &event).await?;
    }
    Ok(())
}

async fn remind(
    conn: &mut PgConnection,
    centres: &mut Centres,
    mut booking: Appointment,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    booking.reminded_at = Some(now);
    let centre = centres.of(&mut *conn, &booking.region_code).await?;
    let group_name = centre
        .groups
        .iter()
        .find(|g| g.id == booking.group_id)
        .map(|g| g.name.clone())
        .unwrap_or_default();
    let event = events::AppointmentReminderDue {
        appointment: Some(booking.reference()),
        centre_name: centre.name.clone(),
        group_name,
    };
    store::save(conn, &booking, &event).await
}

/// Centres read once per sweep.
#[derive(Default)]
struct Centres(HashMap<String, Centre>);

impl Centres {
    async fn of(&mut self, conn: &mut PgConnection, region: &str) -> Result<&Centre, Error> {
        if !self.0.contains_key(region) {
            let centre = centre::store::get(conn, region).await?;
            self.0.insert(region.to_owned(), centre);
        }
        Ok(&self.0[region])
    }
}
