//! The public progress lookup by case number and query password (查询密码), limited per number:
//! after [`LOOKUP_FAILURES_ALLOWED`] wrong passwords within the window every lookup of that
//! number answers 429 until the window has passed, whatever the password. The count lives in
//! the database (`lookup_failures`), so it holds across replicas, and a number that does not
//! exist is counted and answered exactly as a wrong password is, so numbers cannot be probed.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use tongban_kernel::Error;

use crate::domain::{LOOKUP_FAILURES_ALLOWED, LOOKUP_WINDOW_SECS, lookup_allowed};

use super::password::QueryPasswords;
use super::state::Status;

use super::store::{COLUMNS, Row, listing};
use super::view::Progress;

/// Looks a case up by number and query password; a wrong password and an unknown number answer
/// alike (404) and count alike against the number's limit (429 with `Retry-After` once used up).
pub async fn lookup(
    pool: &PgPool,
    passwords: &QueryPasswords,
    number: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Progress, Error> {
    let mut tx = pool.begin().await?;
    // The number's row, locked for the rest of the transaction: concurrent guesses at one
    // number are counted one after the other, so a burst cannot try more than the limit.
    let (failures, window_started_at): (i32, DateTime<Utc>) = sqlx::query_as(
        "insert into lookup_failures (number, failures, window_started_at) values ($1, 0, $2)
         on conflict (number) do update set number = excluded.number
         returning failures, window_started_at",
    )
    .bind(number)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if let Err(retry_after_secs) = lookup_allowed(failures, window_started_at, now) {
        tx.commit().await?;
        return Err(Error::TooManyRequests {
            field: "number".into(),
            message: format!(
                "{LOOKUP_FAILURES_ALLOWED} wrong passwords for this number within {} minutes: try again later",
                LOOKUP_WINDOW_SECS / 60
            ),
            retry_after_secs,
        });
    }
    let row: Option<Row> =
        sqlx::query_as(&format!("select {COLUMNS} from cases where number = $1"))
            .bind(number)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(row) = row.filter(|r| {
        r.query_password
            .as_deref()
            .is_some_and(|stored| passwords.matches(stored, password))
    }) else {
        count_failure(&mut tx, number, now).await?;
        tx.commit().await?;
        // "…not found": the same words for an unknown number and a wrong password.
        return Err(Error::NotFound(
            "a case with this number and query password".into(),
        ));
    };
    let listing = listing(&mut tx, &row).await?;
    tx.commit().await?;
    let status = row.status()?;
    // The window's decision is `decided_at` in the row: an acceptance, or a refusal that ends it.
    let refused_at_window = status == Status::Refused;
    Ok(Progress {
        number: row.number.clone().unwrap_or_default(),
        item_name: listing.name,
        status,
        submitted_at: row.submitted_at,
        accepted_at: row.decided_at.filter(|_| !refused_at_window),
        decided_at: if refused_at_window {
            row.decided_at
        } else {
            row.concluded_at
        },
        withdrawn_at: row.withdrawn_at,
        conclusion: row.conclusion.clone(),
        due_date: row.due_date,
    })
}

/// One more wrong password for `number`: the first of a new window when the last one passed.
async fn count_failure(
    tx: &mut PgConnection,
    number: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update lookup_failures
         set failures = case when window_started_at > $2 - make_interval(secs => $3)
                             then failures + 1 else 1 end,
             window_started_at = case when window_started_at > $2 - make_interval(secs => $3)
                                      then window_started_at else $2 end
         where number = $1",
    )
    .bind(number)
    .bind(now)
    .bind(LOOKUP_WINDOW_SECS as f64)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Forgets the numbers whose window passed (run by the sweep): a passed window limits nothing.
pub async fn forget_passed_windows(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, Error> {
    Ok(sqlx::query(
        "delete from lookup_failures where window_started_at <= $1 - make_interval(secs => $2)",
    )
    .bind(now)
    .bind(LOOKUP_WINDOW_SECS as f64)
    .execute(pool)
    .await?
    .rows_affected())
}
