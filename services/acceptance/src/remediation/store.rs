//! The remediation row and its history: load and lock it, and the ONLY writer of its state,
//! its history and its events, each in the caller's transaction (the history and the outbox
//! through `tongban_bus::aggregate`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::aggregate::{self, Aggregate, Entry};
use tongban_bus::outbox::Subject;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use crate::case::local_today;
use crate::rating::store::{self as ratings, region_of};

use super::state::{ReviewKind, State};

/// A bad rating's remediation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Remediation {
    pub id: Uuid,
    pub rating_id: Uuid,
    pub case_id: Option<Uuid>,
    pub region_code: String,
    pub department_id: Option<Uuid>,
    /// Who must act; none: the hall's clerks.
    pub assignee_id: Option<Uuid>,
    /// pending (待整改), in_progress (整改中), under_review (an appeal or an unfixable claim
    /// before a supervisor), fixed (整改完成), invalid (无效差评), unfixable (无法整改) or
    /// withdrawn (the rater changed the rating).
    pub state: State,
    /// The rater is known: a call-back comes before closing it as fixed.
    pub callback_required: bool,
    /// Under review: invalid or unfixable, with the assignee's reason.
    pub review_kind: Option<ReviewKind>,
    pub review_reason: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// In working days of the region's centre (after an extension, the extended date).
    pub due_date: NaiveDate,
    pub extended_days: Option<i32>,
    pub extension_reason: Option<String>,
    pub called_back_at: Option<DateTime<Utc>>,
    pub callback_reached: Option<bool>,
    pub callback_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    pub close_note: Option<String>,
    /// When it was flagged 超期 and escalated.
    pub overdue_at: Option<DateTime<Utc>>,
    pub revision: i32,
}

pub(super) const REMEDIATION_COLUMNS: &str = "id, rating_id, case_id, region_code, \
    department_id, assignee_id, state, callback_required, review_kind, review_reason, \
    opened_at, due_date, extended_days, extension_reason, called_back_at, callback_reached, \
    callback_note, closed_at, closed_by, close_note, overdue_at, revision";

/// The remediation `id`, locked.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Remediation, Error> {
    let found: Option<Remediation> = sqlx::query_as(&format!(
        "select {REMEDIATION_COLUMNS} from remediations where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    found.ok_or_else(|| Error::NotFound(format!("remediation {id}")))
}

/// The remediation `id` for `principal` (404 unless staff who read its region, through a
/// binding not restricted to another department than the one it concerns, or its assignee),
/// locked.
pub async fn load(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Remediation, Error> {
    let found = lock(conn, id).await?;
    let region = region_of(&found.region_code)?;
    let in_scope = match found.department_id {
        Some(department) => principal.works_on_cases_of(&region, &[department]),
        None => principal.works_on_cases_in(&region),
    };
    if found.assignee_id == Some(principal.account) || in_scope {
        Ok(found)
    } else {
        Err(Error::NotFound(format!("remediation {id}")))
    }
}

/// A remediation as its history and the outbox see it: its events go out as its rating's do
/// (keyed by the rating's case, in the rating's regions), with the case number as subject.
struct Written<'a> {
    id: Uuid,
    key: String,
    number: Option<&'a str>,
    regions: Vec<String>,
}

impl Aggregate for Written<'_> {
    const HISTORY: (&'static str, &'static str) = ("remediation_history", "remediation_id");

    fn id(&self) -> Uuid {
        self.id
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            key: &self.key,
            subject: self.number,
            regions: self.regions.clone(),
        }
    }
}

impl<'a> Written<'a> {
    fn of(id: Uuid, rating: &ratings::RatingRow, number: Option<&'a str>) -> Self {
        Self {
            id,
            key: rating.event_key(),
            number,
            regions: rating.regions(),
        }
    }
}

/// Appends a step to the remediation's history.
pub async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    // The history names the remediation alone: no rating to route by.
    let remediation = Written {
        id,
        key: id.to_string(),
        number: None,
        regions: Vec::new(),
    };
    aggregate::record(conn, &remediation, Entry::new(at, actor, action, detail)).await?;
    Ok(())
}

/// Writes `event` about remediation `id` of `rating` to the outbox, the case `number` its
/// subject.
pub async fn publish<E: tongban_events::Event>(
    conn: &mut PgConnection,
    id: Uuid,
    rating: &ratings::RatingRow,
    number: Option<&str>,
    event: &E,
) -> Result<(), Error> {
    aggregate::publish(conn, &Written::of(id, rating, number), event).await?;
    Ok(())
}

/// A new remediation's row.
pub struct Opened<'a> {
    pub id: Uuid,
    pub rating: &'a ratings::RatingRow,
    pub region: &'a str,
    pub due: NaiveDate,
}

/// Inserts a new remediation, pending.
pub async fn insert(
    tx: &mut PgConnection,
    opened: &Opened<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let rating = opened.rating;
    sqlx::query(
        "insert into remediations (id, rating_id, case_id, region_code, department_id,
             assignee_id, state, callback_required, opened_at, due_date)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(opened.id)
    .bind(rating.id)
    .bind(rating.case_id)
    .bind(opened.region)
    .bind(rating.department_id)
    .bind(rating.staff_id)
    .bind(State::Pending)
    .bind(rating.real_name())
    .bind(now)
    .bind(opened.due)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A change of an open remediation that keeps it open.
pub enum Change<'a> {
    /// Started: the state alone.
    Started,
    /// The call-back was made.
    CalledBack { reached: bool, note: &'a str },
    /// A review was asked for.
    ReviewRequested { kind: ReviewKind, reason: &'a str },
    /// A supervisor rejected the review: the kind and reason are cleared.
    ReviewRejected,
}

/// Moves the remediation `id` to `to` with `change`, one revision on.
pub async fn apply(
    tx: &mut PgConnection,
    id: Uuid,
    to: State,
    change: &Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let query = match change {
        Change::Started => {
            sqlx::query("update remediations set state = $2, revision = revision + 1 where id = $1")
                .bind(id)
                .bind(to)
        }
        Change::CalledBack { reached, note } => sqlx::query(
            "update remediations set state = $2, called_back_at = $3, callback_reached = $4,
                 callback_note = $5, revision = revision + 1
             where id = $1",
        )
        .bind(id)
        .bind(to)
        .bind(now)
        .bind(*reached)
        .bind(*note),
        Change::ReviewRequested { kind, reason } => sqlx::query(
            "update remediations set state = $2, review_kind = $3, review_reason = $4,
                 revision = revision + 1
             where id = $1",
        )
        .bind(id)
        .bind(to)
        .bind(*kind)
        .bind(*reason),
        Change::ReviewRejected => sqlx::query(
            "update remediations set state = $2, review_kind = null, review_reason = null,
                 revision = revision + 1
             where id = $1",
        )
        .bind(id)
        .bind(to),
    };
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Ends the remediation as `outcome` with `note`, its history entry (`detail`: the note, and
/// the mark of a separation-of-duties exception) and its event.
pub async fn close(
    tx: &mut PgConnection,
    found: &Remediation,
    outcome: State,
    by: Option<Uuid>,
    note: &str,
    detail: Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update remediations set state = $2, closed_at = $3, closed_by = $4, close_note = $5,
             revision = revision + 1
         where id = $1",
    )
    .bind(found.id)
    .bind(outcome)
    .bind(now)
    .bind(by)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    record(tx, found.id, by, outcome.as_str(), detail, now).await?;
    let rating = ratings::load(tx, found.rating_id).await?;
    let event = events::RemediationClosed {
        remediation_id: found.id.to_string(),
        rating_id: found.rating_id.to_string(),
        case_id: found.case_id.map(|c| c.to_string()).unwrap_or_default(),
        region_code: found.region_code.clone(),
        department_id: found
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        outcome: outcome.as_str().to_owned(),
        on_time: local_today(now) <= found.due_date,
        due_date: found.due_date.to_string(),
        called_back: found.called_back_at.is_some(),
        closed_by: by.map(|b| b.to_string()).unwrap_or_default(),
        closed_at: Some(tongban_events::timestamp(now)),
    };
    publish(tx, found.id, &rating, None, &event).await
}

/// A deadline moved once.
pub struct Extended<'a> {
    pub due: NaiveDate,
    pub working_days: u32,
    pub reason: &'a str,
}

/// Extends the remediation `id` to `extended.due` (no longer overdue if that is not past).
pub async fn extend(
    tx: &mut PgConnection,
    id: Uuid,
    extended: &Extended<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update remediations set due_date = $2, extended_days = $3, extension_reason = $4,
             overdue_at = case when $2 >= $5 then null else overdue_at end,
             revision = revision + 1
         where id = $1",
    )
    .bind(id)
    .bind(extended.due)
    .bind(extended.working_days as i32)
    .bind(extended.reason)
    .bind(local_today(now))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Flags every open remediation due before `today` and not flagged yet as overdue at `now`,
/// skipping those locked elsewhere; the flagged.
pub async fn flag_overdue(
    tx: &mut PgConnection,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Remediation>, Error> {
    Ok(sqlx::query_as(&format!(
        "update remediations set overdue_at = $2
         where id in (select id from remediations
                      where closed_at is null and overdue_at is null and due_date < $1
                      for update skip locked)
         returning {REMEDIATION_COLUMNS}"
    ))
    .bind(today)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?)
}
