//! Ratings (好差评, 国办发〔2019〕51号): window visits (一次一评) rated once through their rating
//! code, concluded cases rated online by their applicant (一事一评, changeable for a while),
//! public comments. A bad rating (不满意, 非常不满意) opens a remediation for whoever handled
//! what was rated (谁办理谁负责), due in working days of the region's centre.
//! Every change commits with its event on `tongban.acceptance.v1`. The remediations are in
//! [`super::remediations`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::AcceptanceSettings;
use tongban_bus::outbox::{self, Subject};
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{AccountKind, Error, Power, Principal, RegionCode};

use super::cases::{self, Rated};
use super::remediations;

/// The five levels, best first: (score, name, 名称).
pub const LEVELS: [(i16, &str, &str); 5] = [
    (5, "very_satisfied", "非常满意"),
    (4, "satisfied", "满意"),
    (3, "basically_satisfied", "基本满意"),
    (2, "dissatisfied", "不满意"),
    (1, "very_dissatisfied", "非常不满意"),
];

/// Scores at or below this are bad ratings (差评): they open a remediation.
pub const BAD: i16 = 2;

/// What a rating may score, each 1 to 5: guidance (办事指南), attitude (服务态度), efficiency
/// (办理效率), convenience (便利程度), integrity (廉洁自律).
pub const INDICATORS: [&str; 5] = [
    "guidance",
    "attitude",
    "efficiency",
    "convenience",
    "integrity",
];

/// The level named `name` as its score.
pub fn level_score(name: &str) -> Option<i16> {
    LEVELS.iter().find(|l| l.1 == name).map(|l| l.0)
}

pub(super) fn level_name(score: i16) -> &'static str {
    LEVELS
        .iter()
        .find(|l| l.0 == score)
        .map_or("unknown", |l| l.1)
}

/// What a rater says.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// very_satisfied (非常满意), satisfied (满意), basically_satisfied (基本满意), dissatisfied
    /// (不满意) or very_dissatisfied (非常不满意).
    pub level: String,
    /// Scores 1-5 by indicator: guidance, attitude, efficiency, convenience, integrity.
    #[serde(default)]
    pub indicators: BTreeMap<String, u8>,
    /// Up to 500 characters; a bad rating says what went wrong.
    #[serde(default)]
    pub comment: String,
    /// Not known to the staff (then nobody can call back).
    #[serde(default)]
    pub anonymous: bool,
}

/// A checked rating: (score, indicators as JSON, comment).
fn checked(input: &RatingInput) -> Result<(i16, Value, String), Error> {
    let level = level_score(&input.level).ok_or_else(|| {
        Error::bad_request(
            "level",
            format!(
                "one of {}",
                LEVELS.iter().map(|l| l.1).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    for (name, score) in &input.indicators {
        if !INDICATORS.contains(&name.as_str()) {
            return Err(Error::unprocessable(
                format!("indicators.{name}"),
                format!("not an indicator; they are {}", INDICATORS.join(", ")),
            ));
        }
        if !(1..=5).contains(score) {
            return Err(Error::bad_request(
                format!("indicators.{name}"),
                "a score from 1 to 5",
            ));
        }
    }
    let comment = input.comment.trim().to_owned();
    if comment.chars().count() > 500 {
        return Err(Error::bad_request("comment", "at most 500 characters"));
    }
    if level <= BAD && comment.is_empty() {
        return Err(Error::unprocessable(
            "comment",
            "a bad rating says what went wrong, so it can be put right",
        ));
    }
    Ok((level, json!(input.indicators), comment))
}

/// Only the people served rate: staff and services get 403.
fn require_rater(principal: Option<&Principal>) -> Result<(), Error> {
    match principal.map(|p| p.kind) {
        Some(AccountKind::Staff | AccountKind::Service) => Err(Error::Forbidden(
            "ratings are the applicants' to give; staff do not rate".into(),
        )),
        _ => Ok(()),
    }
}

/// A rating as the rater and the staff in scope see it (an anonymous rater is not shown to
/// staff).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    pub id: Uuid,
    /// window (一次一评), online (一事一评) or public (a public comment).
    pub channel: String,
    pub case_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub rater_id: Option<Uuid>,
    pub anonymous: bool,
    pub level: String,
    /// 非常满意 … 非常不满意.
    pub level_label: String,
    pub indicators: BTreeMap<String, u8>,
    pub comment: String,
    /// The hall rated.
    pub region_code: String,
    pub department_id: Option<Uuid>,
    /// The staff member it concerns.
    pub staff_id: Option<Uuid>,
    pub implementation_code: Option<String>,
    pub revision: i32,
    pub first_rated_at: DateTime<Utc>,
    pub rated_at: DateTime<Utc>,
    /// The remediation a bad rating opened.
    pub remediation_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
pub(super) struct RatingRow {
    pub(super) id: Uuid,
    pub(super) channel: String,
    pub(super) case_id: Option<Uuid>,
    pub(super) visit_id: Option<Uuid>,
    pub(super) rater_id: Option<Uuid>,
    pub(super) anonymous: bool,
    pub(super) level: i16,
    pub(super) indicators: Value,
    pub(super) comment: String,
    pub(super) region_code: String,
    pub(super) handling_region: Option<String>,
    pub(super) department_id: Option<Uuid>,
    pub(super) staff_id: Option<Uuid>,
    pub(super) implementation_code: Option<String>,
    pub(super) revision: i32,
    pub(super) first_rated_at: DateTime<Utc>,
    pub(super) rated_at: DateTime<Utc>,
    pub(super) remediation_id: Option<Uuid>,
}

const RATING_COLUMNS: &str = "r.id, r.channel, r.case_id, r.visit_id, r.rater_id, r.anonymous, \
    r.level, r.indicators, r.comment, r.region_code, r.handling_region, r.department_id, \
    r.staff_id, r.implementation_code, r.revision, r.first_rated_at, r.rated_at, \
    (select m.id from remediations m where m.rating_id = r.id) as remediation_id";

impl RatingRow {
    fn view(self, viewer: Option<&Principal>) -> Rating {
        let own = viewer.is_some_and(|v| Some(v.account) == self.rater_id);
        Rating {
            id: self.id,
            channel: self.channel,
            case_id: self.case_id,
            visit_id: self.visit_id,
            rater_id: if self.anonymous && !own {
                None
            } else {
                self.rater_id
            },
            anonymous: self.anonymous,
            level: level_name(self.level).to_owned(),
            level_label: LEVELS
                .iter()
                .find(|l| l.0 == self.level)
                .map_or("", |l| l.2)
                .to_owned(),
            indicators: serde_json::from_value(self.indicators).unwrap_or_default(),
            comment: self.comment,
            region_code: self.region_code,
            department_id: self.department_id,
            staff_id: self.staff_id,
            implementation_code: self.implementation_code,
            revision: self.revision,
            first_rated_at: self.first_rated_at,
            rated_at: self.rated_at,
            remediation_id: self.remediation_id,
        }
    }

    /// Who is known to have rated: a signed-in rater who did not ask to be anonymous.
    pub(super) fn real_name(&self) -> bool {
        self.rater_id.is_some() && !self.anonymous
    }

    fn event_key(&self) -> String {
        self.case_id.unwrap_or(self.id).to_string()
    }

    fn regions(&self) -> Vec<String> {
        let mut regions = vec![self.region_code.clone()];
        regions.extend(self.handling_region.clone());
        regions.dedup();
        regions
    }
}

pub(super) async fn rating_row(conn: &mut PgConnection, id: Uuid) -> Result<RatingRow, Error> {
    Ok(sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r where r.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Writes an event about a rating (or its remediation) to the outbox, keyed by its case.
pub(super) async fn publish<E: tongban_events::Event>(
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

/// What a new rating is about.
struct About {
    channel: &'static str,
    case: Option<Rated>,
    visit_id: Option<Uuid>,
    region_code: String,
    department_id: Option<Uuid>,
    staff_id: Option<Uuid>,
    implementation_code: Option<String>,
}

/// Stores a new rating with its event, and opens a remediation for a bad one.
async fn insert(
    tx: &mut PgConnection,
    about: &About,
    rater: Option<&Principal>,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<RatingRow, Error> {
    let (level, indicators, comment) = checked(input)?;
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
    .bind(input.anonymous || rater.is_none())
    .bind(level)
    .bind(indicators)
    .bind(comment)
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
    let row = rating_row(tx, id).await?;
    rated_event(tx, &row, about.case.as_ref()).await?;
    if row.level <= BAD {
        remediations::open(tx, &row, about.case.as_ref(), settings, now).await?;
    }
    rating_row(tx, id).await
}

async fn rated_event(
    tx: &mut PgConnection,
    row: &RatingRow,
    case: Option<&Rated>,
) -> Result<(), Error> {
    let indicators: BTreeMap<String, u8> =
        serde_json::from_value(row.indicators.clone()).unwrap_or_default();
    let event = events::Rated {
        rating_id: row.id.to_string(),
        case: case.map(|c| c.reference.clone()),
        channel: row.channel.clone(),
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

// ---------------------------------------------------------------------------------------------
// Visits

/// A service at a window to be rated.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    /// The case served, if any (the visit is counted on it).
    #[serde(default)]
    pub case_id: Option<Uuid>,
    /// The hall, for a visit without a case (a consultation).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub region_code: Option<RegionCode>,
    /// intake, supply, pickup or other.
    pub purpose: String,
}

/// A window visit, with the code its rating device or QR code rates it by.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Visit {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub region_code: String,
    pub clerk_id: Uuid,
    pub purpose: String,
    pub at: DateTime<Utc>,
    /// Rates the visit once (`POST /v1/ratings/visits/{rating_code}`, no account needed).
    pub rating_code: String,
}

/// A code of 16 random letters and digits (no 0/O, 1/I) for a QR code or a device.
fn rating_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Records a visit at `region`'s window by the clerk `principal`, in the caller's transaction.
pub(crate) async fn insert_visit(
    tx: &mut PgConnection,
    principal: &Principal,
    case_id: Option<Uuid>,
    region: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Visit, Error> {
    Ok(sqlx::query_as(
        "insert into visits (id, case_id, region_code, clerk_id, purpose, rating_code, at)
         values ($1, $2, $3, $4, $5, $6, $7)
         returning id, case_id, region_code, clerk_id, purpose, at, rating_code",
    )
    .bind(Uuid::now_v7())
    .bind(case_id)
    .bind(region)
    .bind(principal.account)
    .bind(purpose)
    .bind(rating_code())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

/// A clerk records a window visit (for a case: counted on it, as `POST /cases/{id}/visits`).
pub async fn open_visit(
    pool: &PgPool,
    principal: &Principal,
    input: &NewVisit,
    now: DateTime<Utc>,
) -> Result<Visit, Error> {
    let mut tx = pool.begin().await?;
    let visit = match (input.case_id, &input.region_code) {
        (Some(id), _) => {
            let case = cases::count_visit(&mut tx, principal, id, &input.purpose).await?;
            insert_visit(
                &mut tx,
                principal,
                Some(id),
                &case.receiving_region,
                &input.purpose,
                now,
            )
            .await?
        }
        (None, Some(region)) => {
            if !cases::VISIT_PURPOSES.contains(&input.purpose.as_str()) {
                return Err(Error::bad_request(
                    "purpose",
                    format!("one of {}", cases::VISIT_PURPOSES.join(", ")),
                ));
            }
            principal.require(Power::AcceptCases, region)?;
            insert_visit(
                &mut tx,
                principal,
                None,
                region.as_str(),
                &input.purpose,
                now,
            )
            .await?
        }
        (None, None) => {
            return Err(Error::bad_request(
                "region_code",
                "a visit without a case names its hall",
            ));
        }
    };
    tx.commit().await?;
    Ok(visit)
}

/// Rates the visit with `code` (一次一评), once; a signed-in applicant may give their name.
pub async fn rate_visit(
    pool: &PgPool,
    principal: Option<&Principal>,
    code: &str,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<Rating, Error> {
    require_rater(principal)?;
    let mut tx = pool.begin().await?;
    let visit: Option<Visit> = sqlx::query_as(
        "select id, case_id, region_code, clerk_id, purpose, at, rating_code from visits
         where rating_code = $1 for update",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(&mut *tx)
    .await?;
    let visit = visit.ok_or_else(|| Error::NotFound(format!("visit with rating code {code}")))?;
    let case = match visit.case_id {
        Some(id) => Some(cases::rated_by_system(&mut tx, id).await?),
        None => None,
    };
    let about = About {
        channel: "window",
        implementation_code: case.as_ref().map(|c| c.implementation_code.clone()),
        case,
        visit_id: Some(visit.id),
        region_code: visit.region_code.clone(),
        department_id: None,
        staff_id: Some(visit.clerk_id),
    };
    let row = insert(&mut tx, &about, principal, input, settings, now).await?;
    tx.commit().await?;
    Ok(row.view(principal))
}

// ---------------------------------------------------------------------------------------------
// Cases (一事一评)

/// The applicant rates their concluded case, or changes the rating within
/// `settings.rating_change_hours` of the first; `true` when it is new.
pub async fn rate_case(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &RatingInput,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<(Rating, bool), Error> {
    require_rater(Some(principal))?;
    let mut tx = pool.begin().await?;
    let case = cases::rated(&mut tx, principal, id).await?;
    if case.applicant_id != Some(principal.account) {
        return Err(Error::Forbidden(
            "only the case's applicant rates it".into(),
        ));
    }
    if case.kind == "part" {
        return Err(Error::Conflict {
            code: "part_of_bundle",
            message: "rate the 一件事 application, not one of its parts".into(),
        });
    }
    if !["concluded", "delivered"].contains(&case.status.as_str()) {
        return Err(Error::Conflict {
            code: "not_concluded",
            message: format!(
                "a case is rated once it is concluded; this one is {}",
                case.status
            ),
        });
    }
    let existing: Option<RatingRow> = sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r
         where r.case_id = $1 and r.rater_id = $2 and r.channel = 'online' for update"
    ))
    .bind(id)
    .bind(principal.account)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = existing else {
        let about = About {
            channel: "online",
            visit_id: None,
            region_code: case.receiving_region.clone(),
            department_id: case.department_id,
            staff_id: case.handler,
            implementation_code: Some(case.implementation_code.clone()),
            case: Some(case),
        };
        let row = insert(&mut tx, &about, Some(principal), input, settings, now).await?;
        tx.commit().await?;
        return Ok((row.view(Some(principal)), true));
    };
    let (level, indicators, comment) = checked(input)?;
    if now - before.first_rated_at > chrono::Duration::hours(settings.rating_change_hours) {
        return Err(Error::Conflict {
            code: "rating_final",
            message: format!(
                "a rating may be changed within {} hours of the first; this one is final",
                settings.rating_change_hours
            ),
        });
    }
    sqlx::query(
        "update ratings set level = $2, indicators = $3, comment = $4, anonymous = $5,
             revision = revision + 1, rated_at = $6
         where id = $1",
    )
    .bind(before.id)
    .bind(level)
    .bind(indicators)
    .bind(comment)
    .bind(input.anonymous)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let row = rating_row(&mut tx, before.id).await?;
    rated_event(&mut tx, &row, Some(&case)).await?;
    match (before.remediation_id, row.level <= BAD) {
        // Now bad, and no remediation yet: open one.
        (None, true) => remediations::open(&mut tx, &row, Some(&case), settings, now).await?,
        // No longer bad: an open remediation is withdrawn.
        (Some(remediation), false) => {
            let open = remediations::lock(&mut tx, remediation).await?;
            if open.closed_at.is_none() {
                remediations::close(
                    &mut tx,
                    &open,
                    "withdrawn",
                    None,
                    "the rater changed the rating",
                    now,
                )
                .await?;
            }
        }
        _ => {}
    }
    let row = rating_row(&mut tx, before.id).await?;
    tx.commit().await?;
    Ok((row.view(Some(principal)), false))
}

/// The rating of case `id`: its applicant's (for them) or, for staff in scope, the online one.
pub async fn case_rating(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Rating, Error> {
    let mut tx = pool.begin().await?;
    let case = cases::rated(&mut tx, principal, id).await?;
    let row: Option<RatingRow> = sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r where r.case_id = $1 and r.channel = 'online'
         order by r.rated_at desc limit 1"
    ))
    .bind(case.id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|r| r.view(Some(principal)))
        .ok_or_else(|| Error::NotFound(format!("rating of case {id}")))
}

// ---------------------------------------------------------------------------------------------
// Public comments

/// A public comment on a hall (and, if it is about one, an item).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicComment {
    pub region_code: RegionCode,
    #[serde(default)]
    pub implementation_code: Option<String>,
    #[serde(flatten)]
    pub rating: RatingInput,
}

/// Documented by hand as one object: derived, `flatten` becomes an `allOf` of two objects that
/// each forbid the other's fields, which no comment satisfies (and no client or fuzzer can make).
impl utoipa::PartialSchema for PublicComment {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
        let mut comment = match <RatingInput as utoipa::PartialSchema>::schema() {
            utoipa::openapi::RefOr::T(Schema::Object(rating)) => rating,
            _ => Object::new(),
        };
        comment.description = Some(
            "A public comment on a hall (and, if it is about one, an item): a rating's fields \
             with the hall's region."
                .to_owned(),
        );
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .into()
        };
        comment.properties.insert(
            "region_code".to_owned(),
            text("The hall's region: a 12-digit division code."),
        );
        comment.properties.insert(
            "implementation_code".to_owned(),
            text("The item the comment is about, if any."),
        );
        comment.required.push("region_code".to_owned());
        utoipa::openapi::RefOr::T(Schema::Object(comment))
    }
}

impl ToSchema for PublicComment {}

/// Takes a public comment (anyone, signed in or not); it must say something.
pub async fn comment(
    pool: &PgPool,
    principal: Option<&Principal>,
    input: &PublicComment,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<Rating, Error> {
    require_rater(principal)?;
    if input.rating.comment.trim().is_empty() {
        return Err(Error::bad_request(
            "comment",
            "a public comment says something",
        ));
    }
    let mut tx = pool.begin().await?;
    let about = About {
        channel: "public",
        case: None,
        visit_id: None,
        region_code: input.region_code.to_string(),
        department_id: None,
        staff_id: None,
        implementation_code: input.implementation_code.clone(),
    };
    let row = insert(&mut tx, &about, principal, &input.rating, settings, now).await?;
    tx.commit().await?;
    Ok(row.view(principal))
}

pub(super) fn region_of(code: &str) -> Result<RegionCode, Error> {
    code.parse().map_err(Error::internal)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RatingFilter {
    /// The region (and everything below it).
    pub region_code: String,
    /// Only this level.
    pub level: Option<String>,
    /// window, online or public.
    pub channel: Option<String>,
    /// Rated on or after / on or before these China dates.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// Ratings of a region's halls, newest first, for the staff in scope.
pub async fn list(
    pool: &PgPool,
    principal: &Principal,
    filter: &RatingFilter,
) -> Result<Vec<Rating>, Error> {
    let region: RegionCode = tongban_kernel::parse_param("region_code", &filter.region_code)?;
    if !principal.works_on_cases_in(&region) {
        return Err(Error::Forbidden(format!(
            "no role covers the ratings of {region}"
        )));
    }
    let level = match &filter.level {
        Some(name) => {
            Some(level_score(name).ok_or_else(|| Error::bad_request("level", "not a level"))?)
        }
        None => None,
    };
    let limit = tongban_kernel::page_limit(filter.limit, 50, 200)?;
    let rows: Vec<RatingRow> = sqlx::query_as(&format!(
        "select {RATING_COLUMNS} from ratings r
         where (r.region_code like $1 || '%' or r.handling_region like $1 || '%')
           and ($2::smallint is null or r.level = $2)
           and ($3::text is null or r.channel = $3)
           and ($4::date is null or (r.rated_at at time zone 'Asia/Shanghai')::date >= $4)
           and ($5::date is null or (r.rated_at at time zone 'Asia/Shanghai')::date <= $5)
         order by r.rated_at desc limit $6"
    ))
    .bind(region.prefix())
    .bind(level)
    .bind(&filter.channel)
    .bind(filter.from)
    .bind(filter.to)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.view(Some(principal))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(level: &str, comment: &str) -> RatingInput {
        RatingInput {
            level: level.into(),
            indicators: BTreeMap::new(),
            comment: comment.into(),
            anonymous: false,
        }
    }

    #[test]
    fn a_rating_names_a_level_known_indicators_and_why_it_is_bad() {
        assert_eq!(checked(&input("satisfied", "")).unwrap().0, 4);
        assert_eq!(
            checked(&input("very_dissatisfied", "排队太久")).unwrap().0,
            1
        );
        assert_eq!(checked(&input("terrible", "")).unwrap_err().status(), 400);
        let unexplained = checked(&input("dissatisfied", " ")).unwrap_err();
        assert_eq!(
            (
                unexplained.status().as_u16(),
                unexplained.body().field.as_deref()
            ),
            (422, Some("comment"))
        );
        let mut scored = input("satisfied", "");
        scored.indicators.insert("attitude".into(), 5);
        assert!(checked(&scored).is_ok());
        scored.indicators.insert("attitude".into(), 6);
        assert_eq!(checked(&scored).unwrap_err().status(), 400);
        scored.indicators.clear();
        scored.indicators.insert("speed".into(), 3);
        let unknown = checked(&scored).unwrap_err();
        assert_eq!(
            (unknown.status().as_u16(), unknown.body().field.as_deref()),
            (422, Some("indicators.speed"))
        );
        assert_eq!(
            checked(&input("satisfied", &"长".repeat(501)))
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn levels_run_from_very_satisfied_to_very_dissatisfied() {
        assert_eq!(level_score("very_satisfied"), Some(5));
        assert_eq!(level_score("basically_satisfied"), Some(3));
        assert_eq!(level_name(1), "very_dissatisfied");
        assert!(
            LEVELS
                .iter()
                .filter(|l| l.0 <= BAD)
                .map(|l| l.2)
                .eq(["不满意", "非常不满意"])
        );
    }

    #[test]
    fn rating_codes_are_sixteen_unambiguous_characters() {
        let code = rating_code();
        assert_eq!(code.len(), 16);
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_ne!(code, rating_code());
    }
}
