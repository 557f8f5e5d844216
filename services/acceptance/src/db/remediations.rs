//! The remediation of bad ratings (差评整改): a bad rating opens one for whoever handled what
//! was rated (谁办理谁负责), due in working days of the handling centre (per-region policies);
//! the assignee starts it, calls back, fixes it or asks a supervisor to judge it invalid or
//! unfixable; a supervisor extends it once; a sweep flags it overdue once. Every change commits
//! with its history entry and event.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::AcceptanceSettings;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Power, Principal, RegionCode, TimeLimit};

use super::cases::{self, Rated};
use super::catalogue;
use super::ratings::{RatingRow, level_name, publish, rating_row, region_of};
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
    pub state: String,
    /// The rater is known: a call-back comes before closing it as fixed.
    pub callback_required: bool,
    /// Under review: invalid or unfixable, with the assignee's reason.
    pub review_kind: Option<String>,
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

const REMEDIATION_COLUMNS: &str = "id, rating_id, case_id, region_code, department_id, \
    assignee_id, state, callback_required, review_kind, review_reason, opened_at, due_date, \
    extended_days, extension_reason, called_back_at, callback_reached, callback_note, closed_at, \
    closed_by, close_note, overdue_at, revision";

/// The working days a remediation in `region` has: the nearest region's policy at or above it,
/// else the default.
async fn working_days(
    conn: &mut PgConnection,
    region: &str,
    settings: &AcceptanceSettings,
) -> Result<u32, Error> {
    let mut chain = Vec::new();
    let mut at: Option<RegionCode> = region.parse().ok();
    while let Some(code) = at {
        at = code.prefix_parent();
        chain.push(code.to_string());
    }
    let found: Option<i32> = sqlx::query_scalar(
        "select p.working_days from remediation_policies p
         join unnest($1::text[]) with ordinality as chain(code, depth) on chain.code = p.region_code
         order by chain.depth limit 1",
    )
    .bind(&chain)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map_or(settings.remediation_working_days, |d| d as u32))
}

async fn remediation_history(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into remediation_history (remediation_id, at, actor, action, detail)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Opens the remediation of the bad rating `rating`, assigned to whoever it concerns.
pub(super) async fn open(
    tx: &mut PgConnection,
    rating: &RatingRow,
    case: Option<&Rated>,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // A case's remediation is the handling side's business, in its centre's working days.
    let region = rating
        .handling_region
        .clone()
        .filter(|_| rating.department_id.is_some())
        .unwrap_or_else(|| rating.region_code.clone());
    let days = working_days(tx, &region, settings).await?;
    let calendar = catalogue::calendar(tx, &region).await?;
    let today = cases::local_today(now);
    let due = calendar
        .due(today, TimeLimit::working_days(days), &[])
        .ok_or_else(|| Error::internal("the remediation deadline is out of range"))?
        .date;
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into remediations (id, rating_id, case_id, region_code, department_id,
             assignee_id, state, callback_required, opened_at, due_date)
         values ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)",
    )
    .bind(id)
    .bind(rating.id)
    .bind(rating.case_id)
    .bind(&region)
    .bind(rating.department_id)
    .bind(rating.staff_id)
    .bind(rating.real_name())
    .bind(now)
    .bind(due)
    .execute(&mut *tx)
    .await?;
    remediation_history(
        tx,
        id,
        None,
        "opened",
        json!({ "level": level_name(rating.level), "due_date": due, "working_days": days }),
        now,
    )
    .await?;
    let event = events::RemediationOpened {
        remediation_id: id.to_string(),
        rating_id: rating.id.to_string(),
        case_id: rating.case_id.map(|c| c.to_string()).unwrap_or_default(),
        case_number: case.and_then(|c| c.number.clone()).unwrap_or_default(),
        region_code: region.clone(),
        department_id: rating
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        assignee_id: rating.staff_id.map(|s| s.to_string()).unwrap_or_default(),
        level: rating.level as u32,
        due_date: due.to_string(),
        callback_required: rating.real_name(),
        opened_at: Some(tongban_events::timestamp(now)),
    };
    publish(tx, rating, case.and_then(|c| c.number.as_deref()), &event).await
}

pub(super) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Remediation, Error> {
    let found: Option<Remediation> = sqlx::query_as(&format!(
        "select {REMEDIATION_COLUMNS} from remediations where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    found.ok_or_else(|| Error::NotFound(format!("remediation {id}")))
}

/// The remediation `id` for `principal` (404 unless staff who read its region or its assignee),
/// locked.
async fn load_remediation(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Remediation, Error> {
    let found = lock(conn, id).await?;
    if found.assignee_id == Some(principal.account)
        || principal.works_on_cases_in(&region_of(&found.region_code)?)
    {
        Ok(found)
    } else {
        Err(Error::NotFound(format!("remediation {id}")))
    }
}

/// `Ok` when `principal` answers for the remediation: its assignee, or, when it has none, a
/// clerk of its hall.
fn require_assignee(principal: &Principal, found: &Remediation) -> Result<(), Error> {
    let answers = match found.assignee_id {
        Some(assignee) => assignee == principal.account,
        None => principal.can(Power::AcceptCases, &region_of(&found.region_code)?),
    };
    if answers {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only whoever handled what was rated remediates it (谁办理谁负责)".into(),
        ))
    }
}

fn require_open(found: &Remediation, states: &[&str]) -> Result<(), Error> {
    if states.contains(&found.state.as_str()) {
        Ok(())
    } else {
        Err(Error::Conflict {
            code: "remediation_state",
            message: format!("the remediation is {}", found.state),
        })
    }
}

fn require_revision(found: &Remediation, seen: Option<i32>) -> Result<(), Error> {
    match seen {
        Some(seen) if seen != found.revision => Err(Error::Conflict {
            code: "stale_revision",
            message: format!(
                "the remediation changed (revision {} now, {seen} seen)",
                found.revision
            ),
        }),
        _ => Ok(()),
    }
}

async fn rating_of(conn: &mut PgConnection, found: &Remediation) -> Result<RatingRow, Error> {
    rating_row(conn, found.rating_id).await
}

/// Ends the remediation as `outcome`, with its event.
pub(super) async fn close(
    tx: &mut PgConnection,
    found: &Remediation,
    outcome: &str,
    by: Option<Uuid>,
    note: &str,
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
    remediation_history(tx, found.id, by, outcome, json!({ "note": note }), now).await?;
    let rating = rating_of(tx, found).await?;
    let event = events::RemediationClosed {
        remediation_id: found.id.to_string(),
        rating_id: found.rating_id.to_string(),
        case_id: found.case_id.map(|c| c.to_string()).unwrap_or_default(),
        region_code: found.region_code.clone(),
        department_id: found
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        outcome: outcome.to_owned(),
        on_time: cases::local_today(now) <= found.due_date,
        due_date: found.due_date.to_string(),
        called_back: found.called_back_at.is_some(),
        closed_by: by.map(|b| b.to_string()).unwrap_or_default(),
        closed_at: Some(tongban_events::timestamp(now)),
    };
    publish(tx, &rating, None, &event).await
}

/// What the assignee does with a remediation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationAction {
    /// start (待整改 → 整改中), callback (record the call-back), fix (整改完成), or
    /// request_review (ask a supervisor to judge it invalid or unfixable).
    pub action: String,
    /// For callback: whether the rater was reached.
    #[serde(default)]
    pub reached: Option<bool>,
    /// For request_review: invalid or unfixable.
    #[serde(default)]
    pub kind: Option<String>,
    /// What was done or found (required for callback, fix and request_review).
    #[serde(default)]
    pub note: String,
    /// The revision the caller saw; a remediation changed since is a 409.
    #[serde(default)]
    pub revision: Option<i32>,
}

fn required_note(note: &str) -> Result<String, Error> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1_000 {
        return Err(Error::bad_request("note", "1 to 1,000 characters"));
    }
    Ok(note.to_owned())
}

/// The assignee acts on a remediation.
pub async fn act(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &RemediationAction,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = load_remediation(&mut tx, principal, id).await?;
    require_assignee(principal, &found)?;
    require_revision(&found, input.revision)?;
    let by = Some(principal.account);
    match input.action.as_str() {
        "start" => {
            require_open(&found, &["pending"])?;
            set_state(&mut tx, id, "in_progress").await?;
            remediation_history(&mut tx, id, by, "started", json!({}), now).await?;
        }
        "callback" => {
            require_open(&found, &["pending", "in_progress"])?;
            let reached = input
                .reached
                .ok_or_else(|| Error::bad_request("reached", "whether the rater was reached"))?;
            let note = required_note(&input.note)?;
            sqlx::query(
                "update remediations set called_back_at = $2, callback_reached = $3,
                     callback_note = $4, state = 'in_progress', revision = revision + 1
                 where id = $1",
            )
            .bind(id)
            .bind(now)
            .bind(reached)
            .bind(&note)
            .execute(&mut *tx)
            .await?;
            remediation_history(
                &mut tx,
                id,
                by,
                "called_back",
                json!({ "reached": reached, "note": note }),
                now,
            )
            .await?;
        }
        "fix" => {
            require_open(&found, &["pending", "in_progress"])?;
            let note = required_note(&input.note)?;
            if found.callback_required && found.called_back_at.is_none() {
                return Err(Error::unprocessable(
                    "action",
                    "a real-name rating is called back before its remediation is closed",
                ));
            }
            close(&mut tx, &found, "fixed", by, &note, now).await?;
        }
        "request_review" => {
            require_open(&found, &["pending", "in_progress"])?;
            let kind = input.kind.as_deref().unwrap_or_default();
            if !["invalid", "unfixable"].contains(&kind) {
                return Err(Error::bad_request("kind", "invalid or unfixable"));
            }
            let note = required_note(&input.note)?;
            sqlx::query(
                "update remediations set state = 'under_review', review_kind = $2,
                     review_reason = $3, revision = revision + 1
                 where id = $1",
            )
            .bind(id)
            .bind(kind)
            .bind(&note)
            .execute(&mut *tx)
            .await?;
            remediation_history(
                &mut tx,
                id,
                by,
                "review_requested",
                json!({ "kind": kind, "reason": note }),
                now,
            )
            .await?;
        }
        other => {
            return Err(Error::bad_request(
                "action",
                format!("{other:?} is not start, callback, fix or request_review"),
            ));
        }
    }
    let found = lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}

async fn set_state(conn: &mut PgConnection, id: Uuid, state: &str) -> Result<(), Error> {
    sqlx::query("update remediations set state = $2, revision = revision + 1 where id = $1")
        .bind(id)
        .bind(state)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A supervisor's judgement of an appeal or an unfixable claim.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// true: the rating is invalid (无效差评) / the matter unfixable (无法整改), and the
    /// remediation ends so; false: remediation goes on.
    pub uphold: bool,
    pub note: String,
}

/// A supervisor over the remediation's region decides its review.
pub async fn review(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &Review,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = load_remediation(&mut tx, principal, id).await?;
    principal.require(Power::Supervise, &region_of(&found.region_code)?)?;
    require_open(&found, &["under_review"])?;
    let note = required_note(&input.note)?;
    if input.uphold {
        let outcome = found
            .review_kind
            .clone()
            .unwrap_or_else(|| "invalid".into());
        close(
            &mut tx,
            &found,
            &outcome,
            Some(principal.account),
            &note,
            now,
        )
        .await?;
    } else {
        sqlx::query(
            "update remediations set state = 'in_progress', review_kind = null,
                 review_reason = null, revision = revision + 1
             where id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        remediation_history(
            &mut tx,
            id,
            Some(principal.account),
            "review_rejected",
            json!({ "kind": found.review_kind, "note": note }),
            now,
        )
        .await?;
    }
    let found = lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}

/// One extension of a remediation's deadline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// 1 to 15 working days more.
    pub working_days: u32,
    pub reason: String,
}

/// A supervisor over the region extends an open remediation's deadline, once.
pub async fn extend(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &Extension,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    if !(1..=15).contains(&input.working_days) {
        return Err(Error::bad_request("working_days", "1 to 15"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request("reason", "1 to 500 characters"));
    }
    let mut tx = pool.begin().await?;
    let found = load_remediation(&mut tx, principal, id).await?;
    principal.require(Power::Supervise, &region_of(&found.region_code)?)?;
    require_open(&found, &["pending", "in_progress", "under_review"])?;
    if found.extended_days.is_some() {
        return Err(Error::Conflict {
            code: "already_extended",
            message: "a remediation is extended once".into(),
        });
    }
    let calendar = catalogue::calendar(&mut tx, &found.region_code).await?;
    let due = calendar
        .due(
            found.due_date,
            TimeLimit::working_days(input.working_days),
            &[],
        )
        .ok_or_else(|| Error::internal("the extended deadline is out of range"))?
        .date;
    sqlx::query(
        "update remediations set due_date = $2, extended_days = $3, extension_reason = $4,
             overdue_at = case when $2 >= $5 then null else overdue_at end,
             revision = revision + 1
         where id = $1",
    )
    .bind(id)
    .bind(due)
    .bind(input.working_days as i32)
    .bind(reason)
    .bind(cases::local_today(now))
    .execute(&mut *tx)
    .await?;
    remediation_history(
        &mut tx,
        id,
        Some(principal.account),
        "extended",
        json!({ "working_days": input.working_days, "reason": reason, "due_date": due }),
        now,
    )
    .await?;
    let found = lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}

/// The remediation `id` for `principal`.
pub async fn get(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = load_remediation(&mut tx, principal, id).await?;
    tx.commit().await?;
    Ok(found)
}

/// One step of a remediation's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct RemediationStep {
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    /// opened, started, called_back, review_requested, review_rejected, extended, overdue,
    /// fixed, invalid, unfixable, withdrawn.
    pub action: String,
    pub detail: Value,
}

pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<RemediationStep>, Error> {
    get(pool, principal, id).await?;
    Ok(sqlx::query_as(
        "select at, actor, action, detail from remediation_history where remediation_id = $1
         order by at, action",
    )
    .bind(id)
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RemediationFilter {
    /// The region (and everything below it); without it, the caller's own assignments.
    pub region_code: Option<String>,
    /// pending, in_progress, under_review, fixed, invalid, unfixable or withdrawn.
    pub state: Option<String>,
    /// true: only those flagged overdue and still open.
    #[serde(default)]
    pub overdue: bool,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// Remediations of a region (for its staff) or assigned to the caller, newest first.
pub async fn list_remediations(
    pool: &PgPool,
    principal: &Principal,
    filter: &RemediationFilter,
) -> Result<Vec<Remediation>, Error> {
    let region = match &filter.region_code {
        Some(code) => {
            let region: RegionCode = tongban_kernel::parse_param("region_code", code)?;
            if !principal.works_on_cases_in(&region) {
                return Err(Error::Forbidden(format!(
                    "no role covers the remediations of {region}"
                )));
            }
            Some(region.prefix().to_owned())
        }
        None => None,
    };
    let limit = tongban_kernel::page_limit(filter.limit, 50, 200)?;
    Ok(sqlx::query_as(&format!(
        "select {REMEDIATION_COLUMNS} from remediations
         where (($1::text is not null and region_code like $1 || '%')
                or ($1::text is null and assignee_id = $2))
           and ($3::text is null or state = $3)
           and (not $4 or (overdue_at is not null and closed_at is null))
         order by opened_at desc limit $5"
    ))
    .bind(region)
    .bind(principal.account)
    .bind(&filter.state)
    .bind(filter.overdue)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Flags every open remediation past its due date (before `today`) as overdue, once, with its
/// `RemediationOverdue` event (the escalation to the region's supervisors); returns how many.
pub async fn flag_overdue(
    pool: &PgPool,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let flagged: Vec<Remediation> = sqlx::query_as(&format!(
        "update remediations set overdue_at = $2
         where id in (select id from remediations
                      where closed_at is null and overdue_at is null and due_date < $1
                      for update skip locked)
         returning {REMEDIATION_COLUMNS}"
    ))
    .bind(today)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for found in &flagged {
        remediation_history(
            &mut tx,
            found.id,
            None,
            "overdue",
            json!({ "due_date": found.due_date }),
            now,
        )
        .await?;
        let rating = rating_of(&mut tx, found).await?;
        let number: Option<String> = match found.case_id {
            Some(case) => {
                sqlx::query_scalar("select number from cases where id = $1")
                    .bind(case)
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => None,
        };
        let event = events::RemediationOverdue {
            remediation_id: found.id.to_string(),
            rating_id: found.rating_id.to_string(),
            case_id: found.case_id.map(|c| c.to_string()).unwrap_or_default(),
            case_number: number.clone().unwrap_or_default(),
            region_code: found.region_code.clone(),
            department_id: found
                .department_id
                .map(|d| d.to_string())
                .unwrap_or_default(),
            assignee_id: found.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
            due_date: found.due_date.to_string(),
            flagged_at: Some(tongban_events::timestamp(now)),
        };
        publish(&mut tx, &rating, number.as_deref(), &event).await?;
    }
    tx.commit().await?;
    Ok(flagged.len())
}

// Policies

/// A region's remediation deadline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Policy {
    pub region_code: String,
    /// 1 to 60 working days.
    pub working_days: i32,
    pub set_by: Uuid,
    pub set_at: DateTime<Utc>,
}

/// A supervisor over `region` sets its remediations' working days (and its regions' below,
/// unless they set their own).
pub async fn set_policy(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    working_days: i32,
    now: DateTime<Utc>,
) -> Result<Policy, Error> {
    principal.require(Power::Supervise, region)?;
    if !(1..=60).contains(&working_days) {
        return Err(Error::bad_request("working_days", "1 to 60"));
    }
    Ok(sqlx::query_as(
        "insert into remediation_policies (region_code, working_days, set_by, set_at)
         values ($1, $2, $3, $4)
         on conflict (region_code) do update set working_days = excluded.working_days,
             set_by = excluded.set_by, set_at = excluded.set_at
         returning region_code, working_days, set_by, set_at",
    )
    .bind(region.as_str())
    .bind(working_days)
    .bind(principal.account)
    .bind(now)
    .fetch_one(pool)
    .await?)
}

/// The policies at and below `region`, for its staff.
pub async fn policies(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
) -> Result<Vec<Policy>, Error> {
    if !principal.works_on_cases_in(region) {
        return Err(Error::Forbidden(format!("no role covers {region}")));
    }
    Ok(sqlx::query_as(
        "select region_code, working_days, set_by, set_at from remediation_policies
         where region_code like $1 || '%' order by region_code",
    )
    .bind(region.prefix())
    .fetch_all(pool)
    .await?)
}
