//! The centre, group and window rows: the only writer of them, and their reads.

use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::{Centre, Group, Rules, Window};

#[derive(sqlx::FromRow)]
struct CentreRow {
    region_code: String,
    name: String,
    opens_at: NaiveTime,
    closes_at: NaiveTime,
    #[sqlx(flatten)]
    rules: Rules,
}

/// The columns of [`Rules`].
const RULES: &str = "book_ahead_days, cancel_before_minutes, no_show_limit, no_show_window_days, \
    suspension_days, hold_minutes, weight_elderly, weight_disabled, weight_pregnant";

const GROUP: &str =
    "select id, letter, name, items, slot_minutes, slot_capacity, active from window_groups";

/// The centre of `region` with its groups and windows; 404 when it has not been set up.
pub async fn get(conn: &mut PgConnection, region: &str) -> Result<Centre, Error> {
    let row: Option<CentreRow> = sqlx::query_as(&format!(
        "select region_code, name, opens_at, closes_at, {RULES} from centres where region_code = $1"
    ))
    .bind(region)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| {
        Error::NotFound(format!("the hall of region {region} has not been set up"))
    })?;
    let groups: Vec<Group> =
        sqlx::query_as(&format!("{GROUP} where region_code = $1 order by letter"))
            .bind(region)
            .fetch_all(&mut *conn)
            .await?;
    let windows: Vec<Window> = sqlx::query_as(
        "select id, group_id, name, active from windows where region_code = $1
         order by length(name), name",
    )
    .bind(region)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Centre {
        region_code: row.region_code,
        name: row.name,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
        rules: row.rules,
        groups,
        windows,
    })
}

/// Locks the centre's row (setting up its groups and windows, taking its tickets) and returns
/// its rules; 404 when it has not been set up.
pub async fn lock(conn: &mut PgConnection, region: &str) -> Result<Rules, Error> {
    sqlx::query_as(&format!(
        "select {RULES} from centres where region_code = $1 for update"
    ))
    .bind(region)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("the hall of region {region} has not been set up")))
}

/// Creates or changes the centre of `region`.
#[allow(clippy::too_many_arguments)]
pub async fn put(
    conn: &mut PgConnection,
    region: &str,
    name: &str,
    opens_at: NaiveTime,
    closes_at: NaiveTime,
    rules: &Rules,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into centres (region_code, name, opens_at, closes_at, book_ahead_days,
             cancel_before_minutes, no_show_limit, no_show_window_days, suspension_days,
             hold_minutes, weight_elderly, weight_disabled, weight_pregnant, updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         on conflict (region_code) do update set name = excluded.name,
             opens_at = excluded.opens_at, closes_at = excluded.closes_at,
             book_ahead_days = excluded.book_ahead_days,
             cancel_before_minutes = excluded.cancel_before_minutes,
             no_show_limit = excluded.no_show_limit,
             no_show_window_days = excluded.no_show_window_days,
             suspension_days = excluded.suspension_days, hold_minutes = excluded.hold_minutes,
             weight_elderly = excluded.weight_elderly, weight_disabled = excluded.weight_disabled,
             weight_pregnant = excluded.weight_pregnant, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
    )
    .bind(region)
    .bind(name)
    .bind(opens_at)
    .bind(closes_at)
    .bind(rules.book_ahead_days)
    .bind(rules.cancel_before_minutes)
    .bind(rules.no_show_limit)
    .bind(rules.no_show_window_days)
    .bind(rules.suspension_days)
    .bind(rules.hold_minutes)
    .bind(rules.weight_elderly)
    .bind(rules.weight_disabled)
    .bind(rules.weight_pregnant)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Group `id` of the centre of `region`; 404 when the centre has none such.
pub async fn group(conn: &mut PgConnection, region: &str, id: Uuid) -> Result<Group, Error> {
    sqlx::query_as(&format!("{GROUP} where region_code = $1 and id = $2"))
        .bind(region)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no window group {id} in the hall of {region}")))
}

/// Saves `group` (new or changed) in the centre of `region`; 409 when its letter or name is
/// another group's.
pub async fn save_group(conn: &mut PgConnection, region: &str, group: &Group) -> Result<(), Error> {
    sqlx::query(
        "insert into window_groups (id, region_code, letter, name, items, slot_minutes,
             slot_capacity, active)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (id) do update set letter = excluded.letter, name = excluded.name,
             items = excluded.items, slot_minutes = excluded.slot_minutes,
             slot_capacity = excluded.slot_capacity, active = excluded.active",
    )
    .bind(group.id)
    .bind(region)
    .bind(&group.letter)
    .bind(&group.name)
    .bind(&group.items)
    .bind(group.slot_minutes)
    .bind(group.slot_capacity)
    .bind(group.active)
    .execute(conn)
    .await
    .map_err(|e| {
        taken(
            e,
            "letter or name",
            "another window group of this hall has it",
        )
    })?;
    Ok(())
}

/// Window `id` of the centre of `region`; 404 when the centre has none such.
pub async fn window(conn: &mut PgConnection, region: &str, id: Uuid) -> Result<Window, Error> {
    sqlx::query_as(
        "select id, group_id, name, active from windows where region_code = $1 and id = $2",
    )
    .bind(region)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no window {id} in the hall of {region}")))
}

/// Saves `window` (new or changed) in the centre of `region`; 409 when its name is another
/// window's.
pub async fn save_window(
    conn: &mut PgConnection,
    region: &str,
    window: &Window,
) -> Result<(), Error> {
    sqlx::query(
        "insert into windows (id, region_code, group_id, name, active) values ($1, $2, $3, $4, $5)
         on conflict (id) do update set group_id = excluded.group_id, name = excluded.name,
             active = excluded.active",
    )
    .bind(window.id)
    .bind(region)
    .bind(window.group_id)
    .bind(&window.name)
    .bind(window.active)
    .execute(conn)
    .await
    .map_err(|e| taken(e, "name", "another window of this hall has it"))?;
    Ok(())
}

/// A unique violation as a 409 naming `field`; other errors as they are.
fn taken(err: sqlx::Error, field: &str, why: &str) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict {
            code: "taken",
            message: format!("{field}: {why}"),
        },
        _ => err.into(),
    }
}
