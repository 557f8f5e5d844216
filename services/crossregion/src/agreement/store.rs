//! The agreement rows, loaded and saved: the only writer of an agreement, its items and
//! signatures, and its outbox events (keyed by the agreement, routed to every region involved).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_kernel::Error;

use super::state::{Mode, Scope};

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub mode: Mode,
    pub scope: Scope,
    pub collecting_regions: Vec<String>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub termination_reason: Option<String>,
}

pub const COLUMNS: &str = "a.id, a.title, a.mode, a.scope, a.collecting_regions, a.effective_from, \
    a.effective_until, a.proposed_by, a.proposed_at, a.concluded_at, a.terminated_at, \
    a.termination_reason";

/// Writes `event` about agreement `id` to the outbox, for the regions involved.
pub async fn publish<E: Event>(
    tx: &mut PgConnection,
    id: Uuid,
    regions: Vec<String>,
    event: &E,
) -> Result<(), Error> {
    let key = id.to_string();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions,
        },
        event,
    )
    .await?;
    Ok(())
}

/// The name and region of an item in force.
pub async fn item_in_force(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<(String, String)>, Error> {
    Ok(sqlx::query_as(
        "select name, region_code from items where implementation_code = $1 and in_force",
    )
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A proposed agreement to store.
pub struct NewRow<'a> {
    pub id: Uuid,
    pub title: &'a str,
    pub mode: Mode,
    pub scope: Scope,
    pub collecting_regions: &'a [String],
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// Each item's implementation code, region and name.
    pub items: Vec<(&'a str, &'a str, &'a str)>,
    /// The regions whose signatures it awaits.
    pub involved: &'a [String],
}

/// Inserts a proposed agreement, its items and its awaited signatures.
pub async fn insert(tx: &mut PgConnection, new: &NewRow<'_>) -> Result<(), Error> {
    sqlx::query(
        "insert into agreements (id, title, mode, scope, collecting_regions, effective_from,
             effective_until, proposed_by, proposed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new.id)
    .bind(new.title)
    .bind(new.mode)
    .bind(new.scope)
    .bind(new.collecting_regions)
    .bind(new.effective_from)
    .bind(new.effective_until)
    .bind(new.proposed_by)
    .bind(new.proposed_at)
    .execute(&mut *tx)
    .await?;
    for (code, region, name) in &new.items {
        sqlx::query(
            "insert into agreement_items (agreement_id, implementation_code, region_code, name)
             values ($1, $2, $3, $4)",
        )
        .bind(new.id)
        .bind(code)
        .bind(region)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "insert into agreement_signatures (agreement_id, region_code)
         select $1, unnest($2::text[])",
    )
    .bind(new.id)
    .bind(new.involved)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether agreement `id` is concluded, locked; none when there is no such agreement.
pub async fn concluded_for_update(tx: &mut PgConnection, id: Uuid) -> Result<Option<bool>, Error> {
    let concluded: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("select concluded_at from agreements where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(concluded.map(|at| at.is_some()))
}

/// The regions still to sign agreement `id`.
pub async fn pending(tx: &mut PgConnection, id: Uuid) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "select region_code from agreement_signatures where agreement_id = $1 and signed_at is null",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Signs for `regions`; returns how many signatures are still awaited.
pub async fn sign(
    tx: &mut PgConnection,
    id: Uuid,
    regions: &[String],
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<i64, Error> {
    sqlx::query(
        "update agreement_signatures set signed_by = $3, signed_at = $4
         where agreement_id = $1 and region_code = any($2) and signed_at is null",
    )
    .bind(id)
    .bind(regions)
    .bind(by)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from agreement_signatures where agreement_id = $1 and signed_at is null",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?)
}

/// Concludes agreement `id` at `at` (every region signed).
pub async fn conclude(tx: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> Result<(), Error> {
    sqlx::query("update agreements set concluded_at = $2 where id = $1")
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Terminates agreement `id`: it applies until `until`.
pub async fn terminate(
    tx: &mut PgConnection,
    id: Uuid,
    until: NaiveDate,
    by: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), Error> {
    sqlx::query(
        "update agreements set effective_until = $2, terminated_by = $3, terminated_at = $4,
             termination_reason = $5
         where id = $1",
    )
    .bind(id)
    .bind(until)
    .bind(by)
    .bind(at)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
