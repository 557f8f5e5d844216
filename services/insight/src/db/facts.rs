//! Cases, transfers and ratings as the events tell them. Every write here may be applied twice
//! and in any order with the events of other topics: fields are set, never added to, counts
//! only grow (`greatest`), and a case's status follows the offset of the acceptance event it
//! came from (a case's acceptance events share one partition, in order).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What every case event says about the case.
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub case_number: Option<String>,
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub implementation_code: String,
    pub receiving_region: String,
    pub handling_region: String,
    /// Empty when the event does not say (approval's events).
    pub channel: String,
    pub mode: String,
    pub applicant_kind: String,
    /// Visits to a hall so far, as the event says (0 when it does not).
    pub visits: i32,
}

/// Records the case (first sight) and, for acceptance's events, its status as of the event at
/// `offset` in the case's partition (a status from an older event is ignored): the descriptive
/// fields and the visits follow the newest acceptance event too. One statement.
pub async fn case(
    conn: &mut PgConnection,
    facts: &CaseFacts,
    status: Option<(&str, i64)>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into cases as c (case_id, case_number, kind, parent_case_id, implementation_code,
             receiving_region, handling_region, channel, mode, applicant_kind, visits,
             status, status_offset)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12, 'submitted'),
             coalesce($13, -1))
         on conflict (case_id) do update set
             status = excluded.status, status_offset = excluded.status_offset,
             case_number = coalesce(excluded.case_number, c.case_number),
             kind = excluded.kind, parent_case_id = excluded.parent_case_id,
             implementation_code = excluded.implementation_code,
             receiving_region = excluded.receiving_region,
             handling_region = excluded.handling_region, channel = excluded.channel,
             mode = excluded.mode, applicant_kind = excluded.applicant_kind,
             visits = greatest(c.visits, excluded.visits)
         where $12::text is not null and c.status_offset < excluded.status_offset",
    )
    .bind(facts.case_id)
    .bind(&facts.case_number)
    .bind(&facts.kind)
    .bind(facts.parent_case_id)
    .bind(&facts.implementation_code)
    .bind(&facts.receiving_region)
    .bind(&facts.handling_region)
    .bind(&facts.channel)
    .bind(&facts.mode)
    .bind(&facts.applicant_kind)
    .bind(facts.visits)
    .bind(status.map(|(s, _)| s))
    .bind(status.map(|(_, o)| o))
    .execute(conn)
    .await?;
    Ok(())
}

/// The first submission's day.
pub async fn submitted(conn: &mut PgConnection, case: Uuid, on: NaiveDate) -> sqlx::Result<()> {
    sqlx::query(
        "update cases set submitted_on = least(coalesce(submitted_on, $2), $2) where case_id = $1",
    )
    .bind(case)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

/// An acceptance: the latest round's day and due date count.
pub async fn accepted(
    conn: &mut PgConnection,
    case: Uuid,
    round: i32,
    on: NaiveDate,
    due_date: Option<NaiveDate>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update cases set accepted_on = $3, accepted_round = $2, due_date = coalesce($4, due_date)
         where case_id = $1 and accepted_round <= $2",
    )
    .bind(case)
    .bind(round)
    .bind(on)
    .bind(due_date)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn visits(conn: &mut PgConnection, case: Uuid, visits: i32) -> sqlx::Result<()> {
    sqlx::query("update cases set visits = greatest(visits, $2) where case_id = $1")
        .bind(case)
        .bind(visits)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delivered(conn: &mut PgConnection, case: Uuid, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("update cases set delivered_at = $2 where case_id = $1")
        .bind(case)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Approval's conclusion (办结), with whether it kept the time limit.
#[derive(Debug, Clone)]
pub struct Conclusion {
    pub decision: String,
    pub at: DateTime<Utc>,
    pub on: NaiveDate,
    pub on_time: bool,
    pub working_days_used: i32,
    pub due_date: Option<NaiveDate>,
}

pub async fn concluded(
    conn: &mut PgConnection,
    case: Uuid,
    conclusion: &Conclusion,
) -> sqlx::Result<()> {
    sqlx::query(
        "update cases set concluded_at = $2, concluded_on = $3, decision = $4, on_time = $5,
             working_days_used = $6, due_date = coalesce($7, due_date)
         where case_id = $1",
    )
    .bind(case)
    .bind(conclusion.at)
    .bind(conclusion.on)
    .bind(&conclusion.decision)
    .bind(conclusion.on_time)
    .bind(conclusion.working_days_used)
    .bind(conclusion.due_date)
    .execute(conn)
    .await?;
    Ok(())
}

/// The red flag: the due date passed without a decision.
pub async fn overdue(conn: &mut PgConnection, case: Uuid) -> sqlx::Result<()> {
    sqlx::query("update cases set overdue = true where case_id = $1")
        .bind(case)
        .execute(conn)
        .await?;
    Ok(())
}

/// What every transfer event says about the transfer.
#[derive(Debug, Clone)]
pub struct TransferFacts {
    pub transfer_id: Uuid,
    pub case_id: Uuid,
    pub round: i32,
    pub implementation_code: String,
    pub mode: String,
    pub receiving_region: String,
    pub handling_region: String,
}

/// A step of a transfer: sending, the handling region's answer, the result handed back, the
/// delivery.
#[derive(Debug, Clone, Copy)]
pub enum TransferStep {
    Sent {
        at: DateTime<Utc>,
        on: NaiveDate,
    },
    Answered {
        accepted: bool,
        at: DateTime<Utc>,
        on_time: bool,
    },
    Returned {
        at: DateTime<Utc>,
    },
    Completed {
        at: DateTime<Utc>,
        on_time: bool,
    },
}

pub async fn transfer(
    conn: &mut PgConnection,
    facts: &TransferFacts,
    step: TransferStep,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into transfers (transfer_id, case_id, round, implementation_code, mode,
             receiving_region, handling_region)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (transfer_id) do nothing",
    )
    .bind(facts.transfer_id)
    .bind(facts.case_id)
    .bind(facts.round)
    .bind(&facts.implementation_code)
    .bind(&facts.mode)
    .bind(&facts.receiving_region)
    .bind(&facts.handling_region)
    .execute(&mut *conn)
    .await?;
    let query = match step {
        TransferStep::Sent { at, on } => {
            sqlx::query("update transfers set sent_at = $2, sent_on = $3 where transfer_id = $1")
                .bind(facts.transfer_id)
                .bind(at)
                .bind(on)
        }
        TransferStep::Answered {
            accepted,
            at,
            on_time,
        } => sqlx::query(
            "update transfers set response = $2, responded_at = $3, response_on_time = $4
             where transfer_id = $1",
        )
        .bind(facts.transfer_id)
        .bind(if accepted { "accepted" } else { "rejected" })
        .bind(at)
        .bind(on_time),
        TransferStep::Returned { at } => {
            sqlx::query("update transfers set returned_at = $2 where transfer_id = $1")
                .bind(facts.transfer_id)
                .bind(at)
        }
        TransferStep::Completed { at, on_time } => sqlx::query(
            "update transfers set completed_at = $2, completed_on_time = $3 where transfer_id = $1",
        )
        .bind(facts.transfer_id)
        .bind(at)
        .bind(on_time),
    };
    query.execute(&mut *conn).await?;
    if let TransferStep::Answered {
        accepted: false, ..
    } = step
    {
        // The case went back to the receiving window (acceptance publishes no event for that).
        sqlx::query(
            "update cases set returned_round = greatest(returned_round, $2) where case_id = $1",
        )
        .bind(facts.case_id)
        .bind(facts.round)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A rating's revision (a changed rating replaces the earlier one).
#[derive(Debug, Clone)]
pub struct Rating {
    pub rating_id: Uuid,
    pub revision: i32,
    pub case_id: Option<Uuid>,
    pub channel: String,
    pub level: i32,
    pub region_code: String,
    pub department_id: Option<Uuid>,
    pub implementation_code: String,
    pub at: DateTime<Utc>,
    pub on: NaiveDate,
}

pub async fn rating(conn: &mut PgConnection, rating: &Rating) -> sqlx::Result<()> {
    sqlx::query(
        "insert into ratings as r (rating_id, revision, case_id, channel, level, region_code,
             department_id, implementation_code, rated_at, rated_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (rating_id) do update
             set revision = excluded.revision, level = excluded.level,
                 rated_at = excluded.rated_at, rated_on = excluded.rated_on
             where excluded.revision > r.revision",
    )
    .bind(rating.rating_id)
    .bind(rating.revision)
    .bind(rating.case_id)
    .bind(&rating.channel)
    .bind(rating.level)
    .bind(&rating.region_code)
    .bind(rating.department_id)
    .bind(&rating.implementation_code)
    .bind(rating.at)
    .bind(rating.on)
    .execute(conn)
    .await?;
    Ok(())
}
