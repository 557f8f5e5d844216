//! The rating row: load it, insert it, change it, and write its events to the outbox in the
//! caller's transaction. Knows nothing of remediations (they read this store, one way).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal, RegionCode};

use crate::case::rated::Rated;

use super::state::Channel;

#[derive(sqlx::FromRow)]
pub struct RatingRow {
    pub id: Uuid,
    pub channel: Channel,
    pub case_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub rater_id: Option<Uuid>,
    pub anonymous: bool,
    pub level: i16,
    pub indicators: Value,
    pub comment: String,
    pub region_code: String,
    pub handling_region: Option<String>,
    pub department_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub implementation_code: Option<String>,
    pub revision: i32,
    pub first_rated_at: DateTime<Utc>,
    pub rated_at: DateTime<Utc>,
    pub remediation_id: Option<Uuid>,
}

const RATING_COLUMNS: &str = "r.id, r.channel, r.case_id, r.visit_id, r.rater_id, r.anonymous, \
    r.level, r.indicators, r.comment, r.region_code, r.handling_region, r.department_id, \
    r.staff_id, r.implementation_code, r.revision, r.first_rated_at, r.rated_at, \
    (select m.id from remediations m where m.rating_id = r.id) as remediation_id";

impl RatingRow {
    /// Who is known to have rated: a signed-in rater who did not ask to be anonymous.
    pub fn real_name(&self) -> bool {
        self.rater_id.is_some() && !self.anonymous
    }

    /// The key of its events (and its remediation's): its case, so a case's events stay in
    /// order; the rating itself when it is about a visit.
    pub(crate) fn event_key(&self) -> String {
        self.case_id.unwrap_or(self.id).to_string()
    }

    /// The regions its events concern.
    pub(crate) fn regions(&self) -> Vec<String> {
        let mut regions = vec![self.region_code.clone()];
        regions.extend(self.handling_region.clone());
        regions.dedup();
        regions
    }
}

/// The rating `id`.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> Result<RatingRow, Error> {
    Ok(sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r where r.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// The online rating `rater` gave case `case`, locked, if any.
pub async fn online_for_update(
    conn: &mut PgConnection,
    case: Uuid,
    rater: Uuid,
) -> Result<Option<RatingRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r
         where r.case_id = $1 and r.rater_id = $2 and r.channel = $3 for update"
    ))
    .bind(case)
    .bind(rater)
    .bind(Channel::Online)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The latest online rating of case `case`, if any.
pub async fn latest_online(
    conn: &mut PgConnection,
    case: Uuid,
) -> Result<Option<RatingRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r where r.case_id = $1 and r.channel = $2
         order by r.rated_at desc limit 1"
    ))
    .bind(case)
    .bind(Channel::Online)
    .fetch_optional(&mut *conn)
    .await?)
}

/// What a staff list of ratings asks for.
pub struct Listed<'a> {
    /// The region's prefix: its halls and the cases handled in it.
    pub prefix: &'a str,
    pub level: Option<i16>,
    pub channel: Option<&'a str>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: i64,
}

/// Ratings of a region's halls (or handled in it), newest first.
pub async fn list(pool: &PgPool, listed: &Listed<'_>) -> Result<Vec<RatingRow>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r
         where (r.region_code like $1 || '%' or r.handling_region like $1 || '%')
           and ($2::smallint is null or r.level = $2)
           and ($3::text is null or r.channel = $3)
           and ($4::date is null or (r.rated_at at time zone 'Asia/Shanghai')::date >= $4)
           and ($5::date is null or (r.rated_at at time zone 'Asia/Shanghai')::date <= $5)
         order by r.rated_at desc limit $6"
    ))
    .bind(listed.prefix)
    .bind(listed.level)
    .bind(listed.channel)
    .bind(listed.from)
    .bind(listed.to)
    .bind(listed.limit)
    .fetch_all(pool)
    .await?)
}

/// Writes an event about a rating (or its remediation) to the outbox, keyed by its case.
pub async fn publish<E: tongban_events::Event>(
    conn: &mut PgConnection,
    rating: &RatingRow,
    subject: Option<&str>,
    event: &E,
) -> Result<(), Error> {
    let key = rating.event_key();
    outbox::enqueue(
        conn,
        &Subject {
            key: &key,
            subject,
            regions: rating.regions(),
        },
        event,
    )
    .await?;
    Ok(())
}

/// A stored region code as a region (it was checked when stored).
pub fn region_of(code: &str) -> Result<RegionCode, Error> {
    code.parse().map_err(Error::internal)
}

/// What a new rating is about.
pub struct About {
    pub channel: Channel,
    pub case: Option<Rated>,
    pub visit_id: Option<Uuid>,
    pub region_code: String,
    pub department_id: Option<Uuid>,
    pub staff_id: Option<Uuid>,
    pub implementation_code: Option<String>,
}

/// A checked rating's content: score, indicators as JSON, comment and whether it is anonymous.
pub struct Content {
    pub level: i16,
    pub indicators: Value,
    pub comment: String,
    pub anonymous: bool,
}

/// Inserts a new rating (409 `already_rated` for a second one of a visit or a case); its id.
pub async fn insert(
    tx: &mut PgConnection,
    about: &About,
    rater: Option<&Principal>,
    content: Content,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into ratings (id, channel, case_id, visit_id, rater_id, anonymous, level,
             indicators, comment, region_code, handling_region, department_id, staff_id,
             implementation_code, first_rated_at, rated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(id)
    .bind(about.channel)
    .bind(about.case.as_ref().map(|c| c.id))
    .bind(about.visit_id)
    .bind(rater.map(|p| p.account))
    .bind(content.anonymous)
    .bind(content.level)
    .bind(content.indicators)
    .bind(content.comment)
    .bind(&about.region_code)
    .bind(about.case.as_ref().map(|c| c.handling_region.clone()))
    .bind(about.department_id)
    .bind(about.staff_id)
    .bind(&about.implementation_code)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|err| {
        Error::conflict_on(
            err,
            &[
                (
                    "ratings_visit_id_key",
                    "already_rated",
                    "this visit was rated already",
                ),
                (
                    "ratings_one_per_case",
                    "already_rated",
                    "this case was rated already: change the rating instead",
                ),
            ],
        )
    })?;
    Ok(id)
}

/// Changes the rating `id` to `content`, one revision on.
pub async fn change(
    tx: &mut PgConnection,
    id: Uuid,
    content: Content,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update ratings set level = $2, indicators = $3, comment = $4, anonymous = $5,
             revision = revision + 1, rated_at = $6
         where id = $1",
    )
    .bind(id)
    .bind(content.level)
    .bind(content.indicators)
    .bind(content.comment)
    .bind(content.anonymous)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Publishes `Rated` for the rating as it now stands.
pub async fn rated_event(
    tx: &mut PgConnection,
    row: &RatingRow,
    case: Option<&Rated>,
) -> Result<(), Error> {
    let indicators: BTreeMap<String, u8> =
        serde_json::from_value(row.indicators.clone()).unwrap_or_default();
    let event = events::Rated {
        rating_id: row.id.to_string(),
        case: case.map(|c| c.reference.clone()),
        channel: row.channel.as_str().to_owned(),
        level: row.level as u32,
        indicators: indicators
            .into_iter()
            .map(|(indicator, score)| events::IndicatorScore {
                indicator,
                score: u32::from(score),
            })
            .collect(),
        anonymous: !row.real_name(),
        region_code: row.region_code.clone(),
        department_id: row.department_id.map(|d| d.to_string()).unwrap_or_default(),
        staff_id: row.staff_id.map(|s| s.to_string()).unwrap_or_default(),
        implementation_code: row.implementation_code.clone().unwrap_or_default(),
        revision: row.revision as u32,
        visit_id: row.visit_id.map(|v| v.to_string()).unwrap_or_default(),
        rated_at: Some(tongban_events::timestamp(row.rated_at)),
    };
    publish(tx, row, case.and_then(|c| c.number.as_deref()), &event).await
}
