//! What the API takes and shows of a rating (an anonymous rater is not shown to staff).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Principal, RegionCode};

use super::state::{Channel, level_label, level_name};
use super::store::RatingRow;

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

/// A rating as the rater and the staff in scope see it (an anonymous rater is not shown to
/// staff).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    pub id: Uuid,
    /// window (一次一评), online (一事一评) or public (a public comment).
    pub channel: Channel,
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
    /// What became of that remediation, for the rater of a case (`GET /v1/cases/{id}/rating`):
    /// 整改结果反馈.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationOutcome>,
}

/// A remediation as its rater learns of it: where it stands and, once closed, what was done
/// (or why it could not be).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct RemediationOutcome {
    /// pending, in_progress, under_review, fixed, invalid, unfixable or withdrawn.
    pub state: String,
    /// The closing note (what was done), or the reviewed reason it was not.
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl RatingRow {
    /// The rating as `viewer` sees it.
    pub fn view(self, viewer: Option<&Principal>) -> Rating {
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
            level_label: level_label(self.level).to_owned(),
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
            remediation: None,
        }
    }
}

/// A service at a window to be rated.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    /// The visit's id, given by a caller that must be able to ask again without recording it
    /// twice (the hall gives its ticket's id): a visit already recorded with it is answered
    /// as it is.
    #[serde(default)]
    pub id: Option<Uuid>,
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
