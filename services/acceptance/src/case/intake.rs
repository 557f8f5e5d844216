//! Opening an application: online by the applicant, or at a window by a clerk (帮代办).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{AccountKind, Error, ImplementationCode, Power, Principal, RegionCode};

use crate::db::catalogue::{self, ItemVersion};

use super::applicant::{Applicant, Identities};
use super::local_today;
use super::open::{Opening, existing, open};
use super::view::Case;

/// What a new application says.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// The item applied for: its version in force is pinned. Give this or `bundle_id`.
    #[serde(default)]
    pub implementation_code: Option<ImplementationCode>,
    /// A 一件事 bundle applied for: one application with one combined material list, and a part
    /// per member item (each pinned to the version the bundle pins).
    #[serde(default)]
    pub bundle_id: Option<Uuid>,
    /// The application form (free JSON, at most 64 KiB).
    #[serde(default)]
    pub form: Value,
}

/// Opens a draft for the applicant (a citizen or an enterprise) online, recording who they are
/// as identity knows them (asked with their own token, `bearer`). With an `idempotency_key`,
/// repeating the request returns the case it created (`false`) instead of a second one.
pub async fn create(
    pool: &PgPool,
    identities: &Identities,
    principal: &Principal,
    bearer: &str,
    input: &NewCase,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Case, bool), Error> {
    let applicant_kind = match principal.kind {
        AccountKind::Citizen => "citizen",
        AccountKind::Enterprise => "enterprise",
        _ => {
            return Err(Error::Forbidden(
                "applications are made by citizens and enterprises (clerks use /v1/cases/intake)"
                    .into(),
            ));
        }
    };
    check_form(&input.form)?;
    if let Some(case) = existing(pool, principal, idempotency_key).await? {
        return Ok((case, false));
    }
    let (item, bundle) =
        applied_for(pool, input.implementation_code.as_ref(), input.bundle_id).await?;
    let applicant = identities.of_token(bearer).await?;
    let opening = Opening {
        // 全程网办: an online case is received where it is handled (a bundle: where its lead
        // item is).
        receiving_region: item.region_code.clone(),
        lineage: None,
        item,
        bundle,
        channel: "online",
        applicant_id: Some(principal.account),
        applicant_kind,
        applicant,
        entered_by: None,
        form: &input.form,
        now,
    };
    open(pool, identities, principal, idempotency_key, opening).await
}

/// The applicant a clerk takes a case in for (帮代办).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowApplicant {
    /// citizen or enterprise.
    pub kind: String,
    /// The name on the document (1-100 characters).
    pub name: String,
    /// A citizen's document type (resident_id_card, passport ...).
    #[serde(default)]
    pub id_type: Option<tongban_kernel::IdType>,
    /// A citizen's document number, or an enterprise's unified social credit code.
    pub document_number: String,
    /// A mobile number for the case's messages, if the applicant gives one.
    #[serde(default)]
    pub phone: Option<String>,
}

/// What a clerk's intake at the window says.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// The item taken in; give this or `bundle_id`.
    #[serde(default)]
    pub implementation_code: Option<ImplementationCode>,
    /// A 一件事 bundle taken in, at a hall of the region that offers it or below.
    #[serde(default)]
    pub bundle_id: Option<Uuid>,
    /// The hall taking the case in: a region the clerk's `window_clerk` role covers, where the
    /// item's 通办 scope reaches.
    pub receiving_region: RegionCode,
    pub applicant: WindowApplicant,
    #[serde(default)]
    pub form: Value,
}

/// A clerk takes a case in at the window for an applicant (帮代办: the case records who applied
/// and who entered it). The clerk then provides the materials and submits, as the applicant
/// would online.
pub async fn intake(
    pool: &PgPool,
    identities: &Identities,
    regions: &tongban_runtime::regions::RegionDirectory,
    principal: &Principal,
    input: &Intake,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Case, bool), Error> {
    // An unknown hall is the input's fault (422 naming it) before it is anybody's scope.
    let lineage = regions
        .lineage(&input.receiving_region, "receiving_region")
        .await?;
    principal.require(Power::AcceptCases, &input.receiving_region)?;
    check_form(&input.form)?;
    let applicant = window_applicant(&input.applicant)?;
    if let Some(case) = existing(pool, principal, idempotency_key).await? {
        return Ok((case, false));
    }
    let (item, bundle) =
        applied_for(pool, input.implementation_code.as_ref(), input.bundle_id).await?;
    let mut conn = pool.acquire().await?;
    let today = local_today(now);
    let served = served(
        &mut conn,
        &item,
        bundle.as_ref(),
        &lineage,
        today,
        &input.receiving_region,
    )
    .await?;
    drop(conn);
    if !served {
        return Err(Error::unprocessable(
            "receiving_region",
            format!(
                "{} cannot be applied for in {}: its 通办 scope does not reach there, and no 通办 agreement in force lets that region collect it",
                item.code, input.receiving_region
            ),
        ));
    }
    let opening = Opening {
        receiving_region: input.receiving_region.to_string(),
        lineage: Some(lineage),
        item,
        bundle,
        channel: "window",
        applicant_id: None,
        applicant_kind: applicant.kind,
        applicant,
        entered_by: Some(principal.account),
        form: &input.form,
        now,
    };
    open(pool, identities, principal, idempotency_key, opening).await
}

/// The item (or bundle, with its lead item) an application is for: in force, or 422.
pub(super) async fn applied_for(
    pool: &PgPool,
    code: Option<&ImplementationCode>,
    bundle_id: Option<Uuid>,
) -> Result<(ItemVersion, Option<catalogue::BundleVersion>), Error> {
    match (code, bundle_id) {
        (Some(code), None) => Ok((offered(pool, code).await?, None)),
        (None, Some(id)) => {
            let mut conn = pool.acquire().await?;
            let bundle = catalogue::offered_bundle(&mut conn, id)
                .await?
                .ok_or_else(|| {
                    Error::unprocessable("bundle_id", format!("{id} is not a bundle in force"))
                })?;
            let lead = bundle
                .lead()
                .ok_or_else(|| Error::internal(format!("bundle {id} has no lead member")))?;
            let item =
                catalogue::version(&mut conn, &lead.implementation_code, lead.version).await?;
            Ok((item, Some(bundle)))
        }
        _ => Err(Error::bad_request(
            "implementation_code",
            "give either implementation_code or bundle_id",
        )),
    }
}

pub(super) fn check_form(form: &Value) -> Result<(), Error> {
    if serde_json::to_vec(form).map_or(0, |b| b.len()) > 64 * 1024 {
        return Err(Error::bad_request("form", "at most 64 KiB"));
    }
    Ok(())
}

/// The version in force of `code`, or 422 naming `implementation_code`.
pub(super) async fn offered(
    pool: &PgPool,
    code: &ImplementationCode,
) -> Result<ItemVersion, Error> {
    let mut conn = pool.acquire().await?;
    catalogue::offered(&mut conn, code.as_str())
        .await?
        .ok_or_else(|| {
            Error::unprocessable(
                "implementation_code",
                format!("{code} is not an item in force"),
            )
        })
}

/// The window applicant as the clerk entered them from the document, checked (400 naming the
/// field).
fn window_applicant(applicant: &WindowApplicant) -> Result<Applicant, Error> {
    let name = applicant.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::bad_request(
            "applicant.name",
            "must be 1 to 100 characters",
        ));
    }
    let id_type = match (applicant.kind.as_str(), applicant.id_type) {
        ("citizen", Some(id_type)) => Some(id_type),
        ("citizen", None) => {
            return Err(Error::bad_request(
                "applicant.id_type",
                "a citizen shows an identity document",
            ));
        }
        ("enterprise", _) => None,
        _ => {
            return Err(Error::bad_request(
                "applicant.kind",
                "citizen or enterprise",
            ));
        }
    };
    let phone = applicant
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(phone) = phone {
        phone
            .parse::<tongban_kernel::PhoneNumber>()
            .map_err(|e| Error::bad_request("applicant.phone", e.to_string()))?;
    }
    Applicant::new(
        name.to_owned(),
        id_type,
        &applicant.document_number,
        phone,
        "applicant.document_number",
    )
}

/// Whether the hall in `lineage` may take the item (or every member of the bundle) in: its
/// 通办 scope reaches there, or an agreement in force lets that region collect it; a bundle
/// offered above the hall's region is a 422.
async fn served(
    conn: &mut PgConnection,
    item: &ItemVersion,
    bundle: Option<&catalogue::BundleVersion>,
    lineage: &[String],
    today: NaiveDate,
    receiving: &RegionCode,
) -> Result<bool, Error> {
    Ok(match bundle {
        Some(bundle) => {
            if !lineage.contains(&bundle.region_code) {
                return Err(Error::unprocessable(
                    "receiving_region",
                    format!(
                        "the bundle is offered in {} and below, not in {}",
                        bundle.region_code, receiving
                    ),
                ));
            }
            // 多地联办: a member handled outside the hall's region needs its scope to reach
            // the hall, or an agreement letting the hall collect it, like an item on its own.
            for member in &bundle.members {
                if lineage.contains(&member.region_code) {
                    continue;
                }
                let version =
                    catalogue::version(&mut *conn, &member.implementation_code, member.version)
                        .await?;
                if !version.served_in(lineage)
                    && !tongban_agreements::agreed(
                        &mut *conn,
                        &version.code,
                        lineage,
                        today,
                        tongban_agreements::BUNDLE_MEMBER,
                    )
                    .await?
                {
                    return Err(Error::unprocessable(
                        "receiving_region",
                        format!(
                            "the bundle's member {} ({}) is handled in {}: its 通办 scope does not reach {}, and no 通办 agreement in force lets that region collect it",
                            version.code, version.name, member.region_code, receiving
                        ),
                    ));
                }
            }
            true
        }
        None => {
            item.served_in(lineage)
                || tongban_agreements::agreed(
                    &mut *conn,
                    &item.code,
                    lineage,
                    today,
                    tongban_agreements::ITEM_ON_ITS_OWN,
                )
                .await?
        }
    })
}
