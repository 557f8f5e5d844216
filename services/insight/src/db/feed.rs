//! Which consumer group feeds the statistics, how fresh they are, and the rebuild: empty every
//! table and move to a new group, which reads each topic from its first retained event.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// The tables the events fill (the rebuild empties them).
const FACTS: &str = "cases, transfers, ratings, items, departments, hall_tickets, \
                     hall_appointments, hall_windows, hall_groups";

impl Feed {
    /// The consumer group feeding this generation: never one used before (the id is new with
    /// the schema and with every rebuild), so it always reads from the start.
    pub fn group(&self) -> String {
        format!(
            "tongban.insight.{}.g{}",
            self.feed_id.simple(),
            self.generation
        )
    }
}

/// The inbox keys of the insight service's handlers start with this.
pub const INBOX_PREFIX: &str = "tongban.insight.";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Feed {
    pub feed_id: uuid::Uuid,
    pub generation: i32,
    pub rebuilt_at: Option<DateTime<Utc>>,
    pub as_of: Option<DateTime<Utc>>,
}

pub async fn current(pool: &PgPool) -> sqlx::Result<Feed> {
    sqlx::query_as("select feed_id, generation, rebuilt_at, as_of from feed")
        .fetch_one(pool)
        .await
}

/// Moves the freshness mark to `at` when it is newer.
pub async fn seen(conn: &mut PgConnection, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("update feed set as_of = $1 where as_of is null or as_of < $1")
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Empties the statistics and their inbox rows and moves to the next generation, in one
/// transaction: the running service notices and reads every topic again from the start in the
/// new group. An event the old group applies in between is applied once all the same (its
/// inbox row makes the new group pass it over, and every write is order-independent).
/// Returns the feed as rebuilt.
pub async fn rebuild(pool: &PgPool) -> sqlx::Result<Feed> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("truncate {FACTS}"))
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from inbox where starts_with(consumer, $1)")
        .bind(INBOX_PREFIX)
        .execute(&mut *tx)
        .await?;
    let feed: Feed = sqlx::query_as(
        "update feed set feed_id = gen_random_uuid(), generation = generation + 1,
             rebuilt_at = now(), as_of = null
         returning feed_id, generation, rebuilt_at, as_of",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(feed)
}
