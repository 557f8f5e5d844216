//! Case numbers (办件编号): the item's code, the day and a 4-digit serial of that item on that
//! day, handed out by a counter row per (item, day).
//!
//! The counter is moved on its own small pool, in one statement committed at once, not inside
//! the submitting transaction: there the row lock would be held across the case update, its
//! history, the outbox and the commit's flush, and every submission of a busy item on a day
//! would wait for the one before it. The price is a gap in an item's serials when a submission
//! fails after its number was taken (its checks have passed by then, so that is rare: a lost
//! connection, a database going away).
//!
//! The counter commits without waiting for its WAL flush (`synchronous_commit = off`): it is
//! one round trip instead of one fsync. No number is ever handed out twice: a case that uses
//! the number commits after the counter did, and its own commit flushes the WAL up to its
//! record, which lies after the counter's. If the database crashes before that flush, the case
//! was not committed either, and the number is free again. The unique index on `cases.number`
//! stays the last guard.

use std::time::Duration;

use chrono::NaiveDate;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use tongban_kernel::{CaseNumber, Error, ImplementationCode};

/// Connections of the counter's pool, opened beside the service's (the connection budget,
/// `tongban::connections`, counts them): one statement each, held for a round trip.
pub const CONNECTIONS: u32 = 2;

/// The case-number counter.
#[derive(Clone)]
pub struct CaseNumbers {
    pool: PgPool,
}

impl CaseNumbers {
    /// The counter beside the service's `pool`: same server, schema and acquire timeout; its
    /// connections are opened when first needed and closed after a minute idle.
    pub fn beside(pool: &PgPool) -> Self {
        let options = (*pool.connect_options())
            .clone()
            .options([("synchronous_commit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .acquire_timeout(pool.options().get_acquire_timeout())
            .connect_lazy_with(options);
        Self { pool }
    }

    /// The next number of the item `code` on `day`. A 409 `daily_limit` once the item has
    /// had 9,999 numbers that day.
    pub async fn next(&self, code: &str, day: NaiveDate) -> Result<CaseNumber, Error> {
        let serial: i32 = sqlx::query_scalar(
            "insert into case_number_sequences (implementation_code, day, last) values ($1, $2, 1)
             on conflict (implementation_code, day) do update set last = case_number_sequences.last + 1
             returning last",
        )
        .bind(code)
        .bind(day)
        .fetch_one(&self.pool)
        .await?;
        let item: ImplementationCode = code.parse().map_err(Error::internal)?;
        u16::try_from(serial)
            .ok()
            .and_then(|s| CaseNumber::new(&item, day, s))
            .ok_or_else(|| Error::Conflict {
                code: "daily_limit",
                message: format!("{code} has reached 9,999 cases today"),
            })
    }
}
