//! Cases from draft to the acceptance decision. Every transition writes the case, its history
//! row and its event in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{
    AccountKind, Error, ImplementationCode, Power, Principal, RegionCode, TimeLimit,
};

use super::catalogue::{self, ItemVersion};
use super::numbers::CaseNumbers;

mod parts;
use crate::domain::{Action, MaterialState, Status, check_materials, query_password, same_secret};

/// A case as its applicant and the staff in scope see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    /// Given at the first submission.
    pub number: Option<String>,
    /// item, bundle (a 一件事 application) or part (one member item of a bundle application).
    pub kind: String,
    /// A part's bundle application.
    pub parent_id: Option<Uuid>,
    pub bundle_id: Option<Uuid>,
    /// A bundle application's member cases, one per item, each handled by its department.
    pub parts: Vec<PartRef>,
    pub implementation_code: String,
    /// The item version the case is pinned to.
    pub item_version: i32,
    pub item_name: String,
    pub receiving_region: String,
    pub handling_region: String,
    /// online or window.
    pub channel: String,
    /// How regions share the case (跨域通办): local, online (全程网办), collect_elsewhere
    /// (异地代收代办: taken in here, transferred to the handling region) or joint (a 多地联办
    /// bundle part handled in another region).
    pub mode: String,
    /// Times the handling region sent the case's transfer back, and why it did the last time
    /// (kind: not_competent or materials_defective, reason, at).
    pub returns: i32,
    pub returned: Option<Value>,
    /// The applicant's account; none for a window applicant without one.
    pub applicant_id: Option<Uuid>,
    pub applicant_kind: String,
    /// A window applicant's name and masked document.
    pub applicant_name: Option<String>,
    pub applicant_document: Option<String>,
    /// The staff member who entered the case for the applicant (帮代办).
    pub entered_by: Option<Uuid>,
    pub status: Status,
    pub submissions: i32,
    /// Times the applicant came to a hall for this case.
    pub visits: i32,
    pub form: Value,
    /// The promised due date, from acceptance, in the handling centre's working days.
    pub due_date: Option<NaiveDate>,
    pub due_date_provisional: bool,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
    pub withdrawal_reason: Option<String>,
    /// Approval's conclusion (办结): approved or refused, the reason, the results issued.
    pub conclusion: Option<String>,
    pub conclusion_reason: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub results: Value,
    /// How the result went out: method, carrier, tracking number.
    pub delivery: Option<Value>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every material of the pinned version and its state.
    pub materials: Vec<CaseMaterial>,
    /// The one-time correction notice, once sent.
    pub correction: Option<Vec<CorrectionItem>>,
}

/// A member case of a bundle application.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct PartRef {
    pub id: Uuid,
    pub number: Option<String>,
    pub implementation_code: String,
    pub item_version: i32,
    pub handling_region: String,
    pub status: String,
    pub due_date: Option<NaiveDate>,
}

/// A material of a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseMaterial {
    pub material_code: String,
    pub name: String,
    /// required, optional or deferrable (容缺后补).
    pub necessity: String,
    /// The file provided, if any.
    pub attachment: Option<AttachmentInfo>,
    /// The applicant's e-certificate that stands in for it (一证通办), if any.
    pub certificate_id: Option<Uuid>,
    /// For a material accepted as missing (容缺受理): the day it must be supplied by,
    /// whether it was, and whether the deadline passed without it (flagged and reported).
    pub deferred_until: Option<NaiveDate>,
    pub supplied_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AttachmentInfo {
    pub filename: String,
    pub content_type: String,
    pub size: i32,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

/// One thing the applicant must fix.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionItem {
    pub material_code: String,
    /// What is missing or wrong (1-200 characters).
    pub reason: String,
}

/// A history entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub detail: Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    number: Option<String>,
    kind: String,
    parent_id: Option<Uuid>,
    bundle_id: Option<Uuid>,
    bundle_version: Option<i32>,
    implementation_code: String,
    item_version: i32,
    receiving_region: String,
    handling_region: String,
    channel: String,
    mode: String,
    returns: i32,
    returned: Option<Value>,
    applicant_id: Option<Uuid>,
    applicant_kind: String,
    applicant_name: Option<String>,
    applicant_document: Option<String>,
    entered_by: Option<Uuid>,
    status: String,
    submissions: i32,
    visits: i32,
    form: Value,
    query_password: Option<String>,
    due_date: Option<NaiveDate>,
    due_date_provisional: bool,
    created_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    refusal_reason: Option<String>,
    withdrawal_reason: Option<String>,
    conclusion: Option<String>,
    conclusion_reason: Option<String>,
    concluded_at: Option<DateTime<Utc>>,
    results: Value,
    delivery: Option<Value>,
    delivered_at: Option<DateTime<Utc>>,
}

impl Row {
    fn status(&self) -> Result<Status, Error> {
        Status::parse(&self.status)
            .ok_or_else(|| Error::internal(format!("case status {}", self.status)))
    }

    /// What every event of the case says about it.
    fn reference(&self) -> events::CaseRef {
        events::CaseRef {
            case_id: self.id.to_string(),
            case_number: self.number.clone().unwrap_or_default(),
            implementation_code: self.implementation_code.clone(),
            item_version: self.item_version as u32,
            receiving_region: self.receiving_region.clone(),
            handling_region: self.handling_region.clone(),
            channel: self.channel.clone(),
            applicant_id: self.applicant_id.map(|u| u.to_string()).unwrap_or_default(),
            applicant_kind: self.applicant_kind.clone(),
            entered_by: self.entered_by.map(|u| u.to_string()).unwrap_or_default(),
            applicant_document_masked: self.applicant_document.clone().unwrap_or_default(),
            kind: self.kind.clone(),
            parent_case_id: self.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            mode: self.mode.clone(),
            visits: self.visits.max(0) as u32,
        }
    }

    fn regions(&self) -> Vec<String> {
        let mut regions = vec![self.receiving_region.clone(), self.handling_region.clone()];
        regions.dedup();
        regions
    }

    fn region(&self, which: &str) -> Result<RegionCode, Error> {
        let code = if which == "receiving" {
            &self.receiving_region
        } else {
            &self.handling_region
        };
        code.parse().map_err(Error::internal)
    }
}

const COLUMNS: &str = "id, number, kind, parent_id, bundle_id, bundle_version, implementation_code, item_version, receiving_region, handling_region, \
    channel, mode, returns, returned, applicant_id, applicant_kind, applicant_name, applicant_document, entered_by, status, submissions, visits, form, query_password, \
    due_date, due_date_provisional, created_at, submitted_at, decided_at, refusal_reason, withdrawal_reason, \
    conclusion, conclusion_reason, concluded_at, results, delivery, delivered_at";

/// Whether `principal` may see the case: its applicant, or staff who take in, handle or
/// supervise cases in its receiving or handling region. Everyone else gets a 404.
fn visible(principal: &Principal, row: &Row) -> Result<bool, Error> {
    if row.applicant_id == Some(principal.account) || row.entered_by == Some(principal.account) {
        return Ok(true);
    }
    let regions = [row.region("receiving")?, row.region("handling")?];
    Ok(regions.iter().any(|r| principal.works_on_cases_in(r)))
}

/// Reads the case for `principal` (404 when it does not exist or is not theirs to see),
/// locked when `lock` for a transition.
async fn load(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<Row, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) if visible(principal, &row)? => Ok(row),
        _ => Err(Error::NotFound(format!("case {id}"))),
    }
}

/// `Ok` when the applicant (or the clerk who entered it) acts on their own case.
fn require_applicant(principal: &Principal, row: &Row) -> Result<(), Error> {
    if row.applicant_id == Some(principal.account) || row.entered_by == Some(principal.account) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the applicant (or the clerk who entered the case) may do this".into(),
        ))
    }
}

/// `Ok` when a clerk whose scope covers the receiving region decides.
fn require_clerk(principal: &Principal, row: &Row) -> Result<(), Error> {
    principal.require(Power::AcceptCases, &row.region("receiving")?)
}

async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: Value,
) -> Result<(), Error> {
    record_at(conn, id, None, actor, action, from, to, detail).await
}

/// [`record`], stamped `at` (what another service did, when it did it) instead of now.
#[allow(clippy::too_many_arguments)]
async fn record_at(
    conn: &mut PgConnection,
    id: Uuid,
    at: Option<DateTime<Utc>>,
    actor: Option<Uuid>,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: Value,
) -> Result<(), Error> {
    sqlx::query(
        "insert into case_history (case_id, at, actor, action, from_status, to_status, detail)
         values ($1, coalesce($7, now()), $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(actor)
    .bind(action)
    .bind(from.map(Status::as_str))
    .bind(to.as_str())
    .bind(detail)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn publish<E: tongban_events::Event>(
    conn: &mut PgConnection,
    row: &Row,
    event: &E,
) -> Result<(), Error> {
    let key = row.id.to_string();
    let about = Subject {
        key: &key,
        subject: row.number.as_deref(),
        regions: row.regions(),
    };
    outbox::enqueue(conn, &about, event).await?;
    Ok(())
}

/// Today in China (UTC+8, no daylight saving): case numbers and due dates use local dates.
pub use tongban_runtime::clock::local_date as local_today;

/// What a case asks for: its item's materials, or a bundle's combined list.
struct Listing {
    name: String,
    materials: Vec<crate::domain::ListedMaterial>,
    /// The item (a bundle application's lead item).
    item: ItemVersion,
    bundle: Option<catalogue::BundleVersion>,
}

impl Listing {
    /// An item's listing.
    fn of(item: ItemVersion) -> Self {
        Self {
            name: item.name.clone(),
            materials: item.materials.clone(),
            item,
            bundle: None,
        }
    }

    /// The listed code standing for `code` (a bundle entry stands for each member's code).
    fn listed_code(&self, code: &str) -> Option<String> {
        match &self.bundle {
            Some(bundle) => bundle.entry_of(code).map(str::to_owned),
            None => self
                .materials
                .iter()
                .any(|m| m.code == code)
                .then(|| code.to_owned()),
        }
    }
}

async fn listing(conn: &mut PgConnection, row: &Row) -> Result<Listing, Error> {
    let item = catalogue::version(conn, &row.implementation_code, row.item_version).await?;
    match (row.kind.as_str(), row.bundle_id, row.bundle_version) {
        ("bundle", Some(id), Some(version)) => {
            let bundle = catalogue::bundle_version(conn, id, version).await?;
            Ok(Listing {
                name: bundle.name.clone(),
                materials: bundle.listed(),
                item,
                bundle: Some(bundle),
            })
        }
        _ => Ok(Listing::of(item)),
    }
}

/// A part of a bundle application moves only with it: 409 for acting on the part itself.
fn require_not_part(row: &Row) -> Result<(), Error> {
    if row.kind == "part" {
        return Err(Error::Conflict {
            code: "part_of_bundle",
            message: format!(
                "this case is part of the bundle application {}: act on that case",
                row.parent_id.map(|p| p.to_string()).unwrap_or_default()
            ),
        });
    }
    Ok(())
}

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

/// Opens a draft for the applicant (a citizen or an enterprise) online. With an
/// `idempotency_key`, repeating the request returns the case it created (`false`) instead of a
/// second one.
pub async fn create(
    pool: &PgPool,
    principal: &Principal,
    input: &NewCase,
    idempotency_key: Option<&str>,
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
        applicant_name: None,
        applicant_document: None,
        entered_by: None,
        form: &input.form,
    };
    open(pool, principal, idempotency_key, opening).await
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
    regions: &tongban_runtime::regions::RegionDirectory,
    principal: &Principal,
    input: &Intake,
    idempotency_key: Option<&str>,
) -> Result<(Case, bool), Error> {
    principal.require(Power::AcceptCases, &input.receiving_region)?;
    check_form(&input.form)?;
    let applicant = &input.applicant;
    let name = applicant.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::bad_request(
            "applicant.name",
            "must be 1 to 100 characters",
        ));
    }
    let (applicant_kind, document) = match (applicant.kind.as_str(), applicant.id_type) {
        ("citizen", Some(id_type)) => {
            let number = id_type
                .normalize(&applicant.document_number)
                .map_err(|e| Error::bad_request("applicant.document_number", e))?;
            ("citizen", id_type.mask(&number))
        }
        ("citizen", None) => {
            return Err(Error::bad_request(
                "applicant.id_type",
                "a citizen shows an identity document",
            ));
        }
        ("enterprise", _) => {
            let code: tongban_kernel::CreditCode =
                applicant.document_number.trim().parse().map_err(
                    |e: tongban_kernel::credit::InvalidCreditCode| {
                        Error::bad_request("applicant.document_number", e.to_string())
                    },
                )?;
            ("enterprise", code.to_string())
        }
        _ => {
            return Err(Error::bad_request(
                "applicant.kind",
                "citizen or enterprise",
            ));
        }
    };
    if let Some(case) = existing(pool, principal, idempotency_key).await? {
        return Ok((case, false));
    }
    let (item, bundle) =
        applied_for(pool, input.implementation_code.as_ref(), input.bundle_id).await?;
    let lineage = regions
        .lineage(&input.receiving_region, "receiving_region")
        .await?;
    let mut conn = pool.acquire().await?;
    let today = local_today(Utc::now());
    let served = match &bundle {
        Some(bundle) => {
            if !lineage.contains(&bundle.region_code) {
                return Err(Error::unprocessable(
                    "receiving_region",
                    format!(
                        "the bundle is offered in {} and below, not in {}",
                        bundle.region_code, input.receiving_region
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
                    catalogue::version(&mut conn, &member.implementation_code, member.version)
                        .await?;
                if !version.served_in(&lineage)
                    && !catalogue::agreed(
                        &mut conn,
                        &version.code,
                        &lineage,
                        today,
                        &["joint", "collect_elsewhere"],
                    )
                    .await?
                {
                    return Err(Error::unprocessable(
                        "receiving_region",
                        format!(
                            "the bundle's member {} ({}) is handled in {}: its 通办 scope does not reach {}, and no 通办 agreement in force lets that region collect it",
                            version.code, version.name, member.region_code, input.receiving_region
                        ),
                    ));
                }
            }
            true
        }
        None => {
            item.served_in(&lineage)
                || catalogue::agreed(
                    &mut conn,
                    &item.code,
                    &lineage,
                    today,
                    &["collect_elsewhere"],
                )
                .await?
        }
    };
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
        applicant_kind,
        applicant_name: Some(name.to_owned()),
        applicant_document: Some(document),
        entered_by: Some(principal.account),
        form: &input.form,
    };
    open(pool, principal, idempotency_key, opening).await
}

/// The item (or bundle, with its lead item) an application is for: in force, or 422.
async fn applied_for(
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

fn check_form(form: &Value) -> Result<(), Error> {
    if serde_json::to_vec(form).map_or(0, |b| b.len()) > 64 * 1024 {
        return Err(Error::bad_request("form", "at most 64 KiB"));
    }
    Ok(())
}

/// The version in force of `code`, or 422 naming `implementation_code`.
async fn offered(pool: &PgPool, code: &ImplementationCode) -> Result<ItemVersion, Error> {
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

/// The case an Idempotency-Key of this caller already created.
async fn existing(
    pool: &PgPool,
    principal: &Principal,
    key: Option<&str>,
) -> Result<Option<Case>, Error> {
    let Some(key) = key else {
        return Ok(None);
    };
    let id: Option<Uuid> = sqlx::query_scalar(
        "select id from cases where coalesce(applicant_id, entered_by) = $1 and idempotency_key = $2",
    )
    .bind(principal.account)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    match id {
        Some(id) => Ok(Some(get(pool, principal, id).await?)),
        None => Ok(None),
    }
}

/// A new draft: who applies, through which channel, where.
struct Opening<'a> {
    item: ItemVersion,
    /// For a bundle application: the bundle version, whose members become parts.
    bundle: Option<catalogue::BundleVersion>,
    receiving_region: String,
    /// The receiving region's lineage (province first, itself last): at a window, where the
    /// case goes decides whether it is transferred. None online (全程网办).
    lineage: Option<Vec<String>>,
    channel: &'static str,
    applicant_id: Option<Uuid>,
    applicant_kind: &'static str,
    applicant_name: Option<String>,
    applicant_document: Option<String>,
    entered_by: Option<Uuid>,
    form: &'a Value,
}

/// Stores the draft and its first history entry; a parallel retry with the same key that won
/// the race gives its case back instead.
async fn open(
    pool: &PgPool,
    principal: &Principal,
    key: Option<&str>,
    opening: Opening<'_>,
) -> Result<(Case, bool), Error> {
    let mut tx = pool.begin().await?;
    let id = Uuid::now_v7();
    let item = &opening.item;
    let lineage = opening.lineage.as_deref().unwrap_or_default();
    let mode = match &opening.bundle {
        // A bundle is joint when any of its parts is.
        Some(bundle) => {
            let joint = bundle.members.iter().any(|m| {
                crate::domain::mode(opening.channel, "part", lineage, &m.region_code) == "joint"
            });
            if joint {
                "joint"
            } else {
                crate::domain::mode(opening.channel, "bundle", lineage, &item.region_code)
            }
        }
        None => crate::domain::mode(opening.channel, "item", lineage, &item.region_code),
    };
    let inserted = sqlx::query(
        "insert into cases (id, implementation_code, item_version, receiving_region, handling_region,
             channel, applicant_id, applicant_kind, applicant_name, applicant_document, entered_by,
             status, form, idempotency_key, visits, kind, bundle_id, bundle_version, mode)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', $12, $13, $14, $15, $16, $17,
             $18)",
    )
    .bind(id)
    .bind(&item.code)
    .bind(item.version)
    .bind(&opening.receiving_region)
    .bind(&item.region_code)
    .bind(opening.channel)
    .bind(opening.applicant_id)
    .bind(opening.applicant_kind)
    .bind(&opening.applicant_name)
    .bind(&opening.applicant_document)
    .bind(opening.entered_by)
    .bind(opening.form)
    .bind(key)
    // Taken in at a window: the applicant came once.
    .bind(i32::from(opening.channel == "window"))
    .bind(if opening.bundle.is_some() { "bundle" } else { "item" })
    .bind(opening.bundle.as_ref().map(|b| b.id))
    .bind(opening.bundle.as_ref().map(|b| b.version))
    .bind(mode)
    .execute(&mut *tx)
    .await;
    match inserted
        .map_err(|err| Error::conflict_on(err, &[("cases_idempotency_key", "duplicate", "")]))
    {
        Ok(_) => {}
        Err(Error::Conflict { .. }) => {
            drop(tx);
            let case = existing(pool, principal, key).await?;
            return case
                .map(|c| (c, false))
                .ok_or_else(|| Error::internal("the idempotent case vanished"));
        }
        Err(err) => return Err(err),
    }
    record(
        &mut tx,
        id,
        Some(principal.account),
        "created",
        None,
        Status::Draft,
        json!({ "item_version": item.version, "channel": opening.channel }),
    )
    .await?;
    if let Some(bundle) = &opening.bundle {
        parts::open(&mut tx, id, bundle, opening.channel, lineage).await?;
    }
    tx.commit().await?;
    Ok((get(pool, principal, id).await?, true))
}

/// A provided file as stored.
pub struct StoredFile {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// The file provided for `material_code` of the case, for whoever may see the case: the
/// applicant, and the staff of the receiving and the handling region (资料流转: a transferred
/// case's materials reach the handling region this way). A part of a bundle application reads
/// its item's material from the application's combined entry, so a region deciding only that
/// part gets its materials.
pub async fn material(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    material_code: &str,
) -> Result<StoredFile, Error> {
    let mut conn = pool.acquire().await?;
    let row = load(&mut conn, principal, id, false).await?;
    let (holder, code) = match (
        row.kind.as_str(),
        row.parent_id,
        row.bundle_id,
        row.bundle_version,
    ) {
        ("part", Some(parent), Some(bundle), Some(version)) => {
            let bundle = catalogue::bundle_version(&mut conn, bundle, version).await?;
            let entry = bundle
                .entry_of(material_code)
                .ok_or_else(|| Error::NotFound(format!("material {material_code} of case {id}")))?;
            (parent, entry.to_owned())
        }
        _ => (row.id, material_code.to_owned()),
    };
    let file: Option<(String, String, String, Vec<u8>)> = sqlx::query_as(
        "select filename, content_type, sha256, content from attachments
         where case_id = $1 and material_code = $2",
    )
    .bind(holder)
    .bind(&code)
    .fetch_optional(&mut *conn)
    .await?;
    let (filename, content_type, sha256, content) =
        file.ok_or_else(|| Error::NotFound(format!("a file for material {material_code}")))?;
    Ok(StoredFile {
        filename,
        content_type,
        sha256,
        content,
    })
}

/// File types a material may be provided as.
pub const ACCEPTED_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// Stores (or replaces) the file for one material of a draft or a case under correction.
pub async fn attach(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    material_code: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_applicant(principal, &row)?;
    let status = row.status()?;
    // After acceptance only a 容缺 material still owed may arrive.
    let owed: Option<NaiveDate> = if status == Status::Accepted {
        sqlx::query_scalar(
            "select deadline from deferred_materials
             where case_id = $1 and material_code = $2 and supplied_at is null",
        )
        .bind(id)
        .bind(material_code)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        None
    };
    match owed {
        Some(_) => status.allow(Action::SupplyDeferred)?,
        None => status.allow(Action::Edit)?,
    }
    let listing = listing(&mut tx, &row).await?;
    let Some(material_code) = listing.listed_code(material_code) else {
        return Err(Error::unprocessable(
            "material_code",
            format!(
                "{material_code} is not on the material list of {}",
                listing.name
            ),
        ));
    };
    let material_code = material_code.as_str();
    if !ACCEPTED_TYPES.contains(&content_type) {
        return Err(Error::Unprocessable {
            field: "content-type".into(),
            message: format!(
                "{content_type:?} is not accepted: {}",
                ACCEPTED_TYPES.join(", ")
            ),
        });
    }
    if content.is_empty() {
        return Err(Error::bad_request("body", "the file is empty"));
    }
    use sha2::Digest;
    let sha256 = hex(&sha2::Sha256::digest(content));
    sqlx::query(
        "insert into attachments (id, case_id, material_code, filename, content_type, size, sha256, content, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (case_id, material_code) do update set filename = excluded.filename,
             content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256,
             content = excluded.content, uploaded_by = excluded.uploaded_by, uploaded_at = now()",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(material_code)
    .bind(filename)
    .bind(content_type)
    .bind(content.len() as i32)
    .bind(&sha256)
    .bind(content)
    .bind(principal.account)
    .execute(&mut *tx)
    .await?;
    if let Some(deadline) = owed {
        let now = Utc::now();
        sqlx::query(
            "update deferred_materials set supplied_at = $3 where case_id = $1 and material_code = $2",
        )
        .bind(id)
        .bind(material_code)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = events::DeferredMaterialSupplied {
            case: Some(row.reference()),
            material_code: material_code.to_owned(),
            late: local_today(now) > deadline,
            supplied_at: Some(tongban_events::timestamp(now)),
        };
        publish(&mut tx, &row, &event).await?;
    }
    record(
        &mut tx,
        id,
        Some(principal.account),
        if owed.is_some() {
            "deferred_material_supplied"
        } else {
            "material_provided"
        },
        Some(status),
        status,
        json!({ "material_code": material_code, "sha256": sha256, "size": content.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn provided(conn: &mut PgConnection, id: Uuid) -> Result<BTreeSet<String>, Error> {
    let codes: Vec<String> =
        sqlx::query_scalar("select material_code from attachments where case_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(codes.into_iter().collect())
}

/// The materials an e-certificate stands in for.
async fn certified(conn: &mut PgConnection, id: Uuid) -> Result<BTreeSet<String>, Error> {
    let codes: Vec<String> =
        sqlx::query_scalar("select material_code from case_certificates where case_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(codes.into_iter().collect())
}

/// 一证通办: for each government-issued material the applicant did not provide as a file, takes
/// the applicant's valid e-certificate of that type, if there is one, and records which (those
/// recorded at an earlier submission are replaced).
async fn take_certificates(
    conn: &mut PgConnection,
    row: &Row,
    listed: &[crate::domain::ListedMaterial],
    provided: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<BTreeSet<String>, Error> {
    if row.submissions > 0 {
        sqlx::query("delete from case_certificates where case_id = $1")
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
    }
    let Some(holder) = row.applicant_id else {
        return Ok(BTreeSet::new());
    };
    let (codes, types): (Vec<&str>, Vec<&str>) = listed
        .iter()
        .filter(|m| {
            m.source == "government"
                && !m.certificate_type.is_empty()
                && !provided.contains(&m.code)
        })
        .map(|m| (m.code.as_str(), m.certificate_type.as_str()))
        .unzip();
    if codes.is_empty() {
        return Ok(BTreeSet::new());
    }
    // The newest valid certificate of each type, recorded for its material, in one statement.
    let certified: Vec<String> = sqlx::query_scalar(
        "insert into case_certificates (case_id, material_code, certificate_id)
         select distinct on (w.code) $1, w.code, c.certificate_id
         from unnest($3::text[], $4::text[]) as w (code, certificate_type)
         join certificates c on c.holder_account_id = $2 and c.certificate_type = w.certificate_type
         where c.revoked_at is null and (c.valid_until is null or c.valid_until >= $5)
         order by w.code, c.issued_at desc
         returning material_code",
    )
    .bind(row.id)
    .bind(holder)
    .bind(&codes)
    .bind(&types)
    .bind(local_today(now))
    .fetch_all(&mut *conn)
    .await?;
    Ok(certified.into_iter().collect())
}

/// What a submission answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Submission {
    pub case: Case,
    /// The query password for looking the case up by number (查询密码); also on the receipt.
    pub query_password: String,
}

/// Submits a draft, or resubmits after the correction notice. Every required material must be
/// provided (422 listing the missing ones). The first submission gives the case its number,
/// from `numbers` once the checks have passed.
pub async fn submit(
    pool: &PgPool,
    numbers: &CaseNumbers,
    principal: &Principal,
    id: Uuid,
) -> Result<Submission, Error> {
    let mut tx = pool.begin().await?;
    let mut row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_applicant(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Submit)?;
    let pinned = if row.number.is_none() {
        repin(&mut tx, &mut row).await?
    } else {
        None
    };
    let listing = match pinned {
        Some(item) => Listing::of(item),
        None => listing(&mut tx, &row).await?,
    };
    let item = &listing.item;
    let provided = provided(&mut tx, id).await?;
    let certified =
        take_certificates(&mut tx, &row, &listing.materials, &provided, Utc::now()).await?;
    let states = check_materials(&listing.materials, &provided, &certified)?;
    let now = Utc::now();
    if row.number.is_none() {
        row.number = Some(
            numbers
                .next(&item.code, local_today(now))
                .await?
                .to_string(),
        );
        row.query_password = Some(query_password());
    }
    let row: Row = sqlx::query_as(&format!(
        "update cases set status = 'submitted', number = $2, query_password = $3, submissions = $4,
             submitted_at = $5
         where id = $1
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(&row.number)
    .bind(&row.query_password)
    .bind(row.submissions + 1)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| {
        Error::conflict_on(
            err,
            &[("cases_number_key", "number_taken", "retry the submission")],
        )
    })?;
    record(
        &mut tx,
        id,
        Some(principal.account),
        "submitted",
        Some(from),
        Status::Submitted,
        json!({ "submission": row.submissions, "number": row.number, "item_version": row.item_version }),
    )
    .await?;
    let event = events::CaseSubmitted {
        case: Some(row.reference()),
        materials: states
            .iter()
            .map(|s| events::MaterialState {
                material_code: s.material_code.clone(),
                state: s.state.clone(),
            })
            .collect(),
        submission: row.submissions as u32,
        submitted_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    if let Some(bundle) = &listing.bundle {
        parts::submit(&mut tx, numbers, principal, &row, bundle, &states, now).await?;
    }
    let query_password = row.query_password.clone().unwrap_or_default();
    let case = view_listed(&mut tx, row, &listing).await?;
    tx.commit().await?;
    Ok(Submission {
        case,
        query_password,
    })
}

/// A case is pinned to the version in force when it is first submitted: a draft opened under
/// an older version moves to the current one (its files for materials no longer listed are
/// simply not counted); an item withdrawn meanwhile is a 422, and a bundle changed meanwhile a
/// 409 (its parts were made from the old members: start a new application). Returns an
/// item's version in force (`None` for a bundle).
async fn repin(conn: &mut PgConnection, row: &mut Row) -> Result<Option<ItemVersion>, Error> {
    if row.kind == "bundle" {
        let id = row
            .bundle_id
            .ok_or_else(|| Error::internal("a bundle case without its bundle"))?;
        let current = catalogue::offered_bundle(conn, id).await?;
        return match current {
            Some(bundle) if Some(bundle.version) == row.bundle_version => Ok(None),
            Some(_) => Err(Error::Conflict {
                code: "bundle_changed",
                message: "the bundle changed since this application was opened: open a new one"
                    .into(),
            }),
            None => Err(Error::unprocessable(
                "bundle_id",
                "the bundle is no longer offered",
            )),
        };
    }
    let current = catalogue::offered(conn, &row.implementation_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable("implementation_code", "the item is no longer offered")
        })?;
    if current.version != row.item_version {
        sqlx::query("update cases set item_version = $2 where id = $1")
            .bind(row.id)
            .bind(current.version)
            .execute(&mut *conn)
            .await?;
        row.item_version = current.version;
    }
    Ok(Some(current))
}

/// Sends the one-time correction notice (一次性告知): everything to fix, at once. A case gets
/// one notice; a second is refused (409).
pub async fn request_correction(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    items: &[CorrectionItem],
) -> Result<Case, Error> {
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Decide)?;
    let listing = listing(&mut tx, &row).await?;
    if items.is_empty() || items.len() > 100 {
        return Err(Error::bad_request("items", "list 1 to 100 things to fix"));
    }
    for (n, fix) in items.iter().enumerate() {
        if listing.listed_code(&fix.material_code).is_none() {
            return Err(Error::unprocessable(
                format!("items[{n}].material_code"),
                format!("{} is not on the item's material list", fix.material_code),
            ));
        }
        let reason = fix.reason.trim().chars().count();
        if reason == 0 || reason > 200 {
            return Err(Error::bad_request(
                format!("items[{n}].reason"),
                "must be 1 to 200 characters",
            ));
        }
    }
    let now = Utc::now();
    // One notice per round: before the first acceptance, and after each returned transfer.
    sqlx::query("insert into correction_notices (case_id, items, requested_by, requested_at, round) values ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(json!(items))
        .bind(principal.account)
        .bind(now)
        .bind(row.returns)
        .execute(&mut *tx)
        .await
        .map_err(|err| {
            Error::conflict_on(err, &[(
                "correction_notices_pkey",
                "correction_already_requested",
                "the one-time notice was already sent: accept or refuse the resubmission",
            )])
        })?;
    sqlx::query("update cases set status = 'needs_correction' where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        id,
        Some(principal.account),
        "correction_requested",
        Some(from),
        Status::NeedsCorrection,
        json!({ "items": items }),
    )
    .await?;
    let event = events::CorrectionRequested {
        case: Some(row.reference()),
        items: items
            .iter()
            .map(|i| events::CorrectionItem {
                material_code: i.material_code.clone(),
                reason: i.reason.trim().to_owned(),
            })
            .collect(),
        requested_by: principal.account.to_string(),
        requested_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::NeedsCorrection, "", now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}

/// A deferrable material accepted as missing (容缺受理).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deferral {
    pub material_code: String,
    /// Working days the applicant has to supply it (1-30).
    pub within_working_days: u32,
}

/// Accepts the case (受理). Every deferrable material still missing must be listed as a
/// deferral with its deadline (容缺受理 against the applicant's commitment); the promised due date
/// is computed in the handling centre's working days from today.
/// `now` is the moment of acceptance: the time-limit clock counts from its date.
pub async fn accept(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    deferrals: &[Deferral],
    commitment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let commitment = commitment.map(str::trim).unwrap_or_default();
    if !deferrals.is_empty() && (commitment.is_empty() || commitment.chars().count() > 500) {
        return Err(Error::bad_request(
            "commitment",
            "容缺受理 needs the applicant's written commitment (1-500 characters)",
        ));
    }
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Decide)?;
    let listing = listing(&mut tx, &row).await?;
    let provided = provided(&mut tx, id).await?;
    let states = check_materials(
        &listing.materials,
        &provided,
        &certified(&mut tx, id).await?,
    )?;
    let missing: BTreeMap<&str, &MaterialState> = states
        .iter()
        .filter(|s| s.state == "missing" && s.necessity == "deferrable")
        .map(|s| (s.material_code.as_str(), s))
        .collect();
    for (n, deferral) in deferrals.iter().enumerate() {
        if !missing.contains_key(deferral.material_code.as_str()) {
            return Err(Error::unprocessable(
                format!("deferred[{n}].material_code"),
                "only a deferrable (容缺后补) material that is missing can be deferred",
            ));
        }
        if !(1..=30).contains(&deferral.within_working_days) {
            return Err(Error::bad_request(
                format!("deferred[{n}].within_working_days"),
                "must be 1 to 30",
            ));
        }
    }
    let deferred: BTreeSet<&str> = deferrals.iter().map(|d| d.material_code.as_str()).collect();
    let undecided: Vec<&str> = missing
        .keys()
        .filter(|c| !deferred.contains(*c))
        .copied()
        .collect();
    if !undecided.is_empty() {
        return Err(Error::unprocessable(
            "deferred",
            format!(
                "deferrable materials are missing: {}; accept them as 容缺 with a deadline, or request a correction",
                undecided.join(", ")
            ),
        ));
    }
    let today = local_today(now);
    let calendar = catalogue::calendar(&mut tx, &row.handling_region).await?;
    // A bundle is due when its last part is; each part by its own item and handling centre.
    let (due, part_case_ids) = match row.kind.as_str() {
        "bundle" => parts::accept(&mut tx, principal, &row, today, now).await?,
        _ => (
            calendar
                .due(today, listing.item.promised, &[])
                .ok_or_else(|| Error::internal("the promised limit is out of range"))?,
            Vec::new(),
        ),
    };
    let mut deferred_events = Vec::new();
    for deferral in deferrals {
        let deadline = calendar
            .due(
                today,
                TimeLimit::working_days(deferral.within_working_days),
                &[],
            )
            .ok_or_else(|| Error::internal("deadline out of range"))?;
        sqlx::query(
            "insert into deferred_materials (case_id, material_code, deadline, commitment)
             values ($1, $2, $3, $4)
             on conflict (case_id, material_code) do update
                 set deadline = excluded.deadline, commitment = excluded.commitment, overdue_at = null",
        )
        .bind(id)
        .bind(&deferral.material_code)
        .bind(deadline.date)
        .bind(commitment)
        .execute(&mut *tx)
        .await?;
        deferred_events.push(events::DeferredMaterial {
            material_code: deferral.material_code.clone(),
            deadline: deadline.date.to_string(),
        });
    }
    sqlx::query(
        "update cases set status = 'accepted', due_date = $2, due_date_provisional = $3, decided_at = $4,
             decided_by = $5
         where id = $1",
    )
    .bind(id)
    .bind(due.date)
    .bind(due.provisional)
    .bind(now)
    .bind(principal.account)
    .execute(&mut *tx)
    .await?;
    // Accepted again after a returned transfer: the next round goes to the handling region.
    let round = row.returns as u32 + 1;
    record(&mut tx, id, Some(principal.account), "accepted", Some(from), Status::Accepted,
        json!({ "due_date": due.date, "round": round, "deferred": deferred_events.iter().map(|d| &d.material_code).collect::<Vec<_>>() })).await?;
    let event = events::CaseAccepted {
        case: Some(row.reference()),
        accepted_by: principal.account.to_string(),
        accepted_at: Some(tongban_events::timestamp(now)),
        due_date: due.date.to_string(),
        due_date_provisional: due.provisional,
        deferred: deferred_events,
        commitment: commitment.to_owned(),
        part_case_ids,
        round,
    };
    publish(&mut tx, &row, &event).await?;
    tx.commit().await?;
    get(pool, principal, id).await
}

/// Does not accept the case (不予受理), with the written reason the law requires.
pub async fn refuse(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<Case, Error> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 500 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Decide)?;
    let now = Utc::now();
    sqlx::query(
        "update cases set status = 'refused', refusal_reason = $2, decided_at = $3, decided_by = $4 where id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(now)
    .bind(principal.account)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        id,
        Some(principal.account),
        "refused",
        Some(from),
        Status::Refused,
        json!({ "reason": reason }),
    )
    .await?;
    let event = events::CaseRefused {
        case: Some(row.reference()),
        reason: reason.to_owned(),
        refused_by: principal.account.to_string(),
        refused_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::Refused, reason, now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}

/// The case with its materials and notice, for whoever may see it.
pub async fn get(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Case, Error> {
    let mut conn = pool.acquire().await?;
    let row = load(&mut conn, principal, id, false).await?;
    view(&mut conn, row).await
}

async fn view(conn: &mut PgConnection, row: Row) -> Result<Case, Error> {
    let listing = listing(conn, &row).await?;
    view_listed(conn, row, &listing).await
}

/// What hangs off a case (files, 容缺 deadlines, e-certificates, the correction notice, a
/// bundle's parts), read in one statement.
#[derive(sqlx::FromRow)]
struct Children {
    attachments: sqlx::types::Json<Vec<Attached>>,
    deferred: sqlx::types::Json<Vec<Deferred>>,
    certificates: sqlx::types::Json<Vec<Certified>>,
    correction: Option<sqlx::types::Json<Vec<CorrectionItem>>>,
    parts: sqlx::types::Json<Vec<PartRef>>,
}

#[derive(Deserialize)]
struct Attached {
    material_code: String,
    #[serde(flatten)]
    info: AttachmentInfo,
}

#[derive(Deserialize)]
struct Deferred {
    material_code: String,
    deadline: NaiveDate,
    supplied_at: Option<DateTime<Utc>>,
    overdue: bool,
}

#[derive(Deserialize)]
struct Certified {
    material_code: String,
    certificate_id: Uuid,
}

/// The case as answered, its materials as `listing` lists them.
async fn view_listed(conn: &mut PgConnection, row: Row, listing: &Listing) -> Result<Case, Error> {
    let children: Children = sqlx::query_as(
        "select
             coalesce((select json_agg(a) from (
                 select material_code, filename, content_type, size, sha256, uploaded_at
                 from attachments where case_id = $1) a), '[]') as attachments,
             coalesce((select json_agg(d) from (
                 select material_code, deadline, supplied_at, overdue_at is not null as overdue
                 from deferred_materials where case_id = $1) d), '[]') as deferred,
             coalesce((select json_agg(c) from (
                 select material_code, certificate_id
                 from case_certificates where case_id = $1) c), '[]') as certificates,
             (select items from correction_notices where case_id = $1
              order by round desc limit 1) as correction,
             coalesce((select json_agg(p order by p.implementation_code) from (
                 select id, number, implementation_code, item_version, handling_region, status,
                        due_date
                 from cases where parent_id = $1) p), '[]') as parts",
    )
    .bind(row.id)
    .fetch_one(&mut *conn)
    .await?;
    let mut attachments: BTreeMap<String, AttachmentInfo> = children
        .attachments
        .0
        .into_iter()
        .map(|a| (a.material_code, a.info))
        .collect();
    let deferred: BTreeMap<String, Deferred> = children
        .deferred
        .0
        .into_iter()
        .map(|d| (d.material_code.clone(), d))
        .collect();
    let certificates: BTreeMap<String, Uuid> = children
        .certificates
        .0
        .into_iter()
        .map(|c| (c.material_code, c.certificate_id))
        .collect();
    let correction = children.correction;
    let parts = children.parts.0;
    let status = row.status()?;
    Ok(Case {
        parts,
        kind: row.kind,
        parent_id: row.parent_id,
        bundle_id: row.bundle_id,
        materials: listing
            .materials
            .iter()
            .map(|m| CaseMaterial {
                material_code: m.code.clone(),
                name: m.name.clone(),
                necessity: m.necessity.clone(),
                attachment: attachments.remove(&m.code),
                certificate_id: certificates.get(&m.code).copied(),
                deferred_until: deferred.get(&m.code).map(|d| d.deadline),
                supplied_at: deferred.get(&m.code).and_then(|d| d.supplied_at),
                overdue: deferred.get(&m.code).is_some_and(|d| d.overdue),
            })
            .collect(),
        correction: correction.map(|c| c.0),
        id: row.id,
        number: row.number,
        implementation_code: row.implementation_code,
        item_version: row.item_version,
        item_name: listing.name.clone(),
        receiving_region: row.receiving_region,
        handling_region: row.handling_region,
        channel: row.channel,
        mode: row.mode,
        returns: row.returns,
        returned: row.returned,
        applicant_id: row.applicant_id,
        applicant_kind: row.applicant_kind,
        applicant_name: row.applicant_name,
        applicant_document: row.applicant_document,
        entered_by: row.entered_by,
        status,
        submissions: row.submissions,
        visits: row.visits,
        form: row.form,
        due_date: row.due_date,
        due_date_provisional: row.due_date_provisional,
        created_at: row.created_at,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        refusal_reason: row.refusal_reason,
        withdrawal_reason: row.withdrawal_reason,
        conclusion: row.conclusion,
        conclusion_reason: row.conclusion_reason,
        concluded_at: row.concluded_at,
        results: row.results,
        delivery: row.delivery,
        delivered_at: row.delivered_at,
    })
}

/// The case's history, oldest first.
pub async fn history(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, Error> {
    let mut conn = pool.acquire().await?;
    load(&mut conn, principal, id, false).await?;
    Ok(sqlx::query_as(
        "select at, actor, action, from_status, to_status, detail from case_history where case_id = $1 order by seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The acceptance receipt (受理回执).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub number: String,
    pub query_password: String,
    pub item_name: String,
    pub implementation_code: String,
    pub handling_region: String,
    pub accepted_at: DateTime<Utc>,
    pub due_date: Option<NaiveDate>,
    pub due_date_provisional: bool,
    /// The materials accepted: provided, or deferred with their deadline.
    pub materials: Vec<CaseMaterial>,
}

/// The receipt of an accepted case (409 before acceptance).
pub async fn receipt(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Receipt, Error> {
    let mut conn = pool.acquire().await?;
    let row = load(&mut conn, principal, id, false).await?;
    if !matches!(
        row.status()?,
        Status::Accepted | Status::Concluded | Status::Delivered
    ) {
        return Err(Error::Conflict {
            code: "not_accepted",
            message: "a receipt is issued when the case is accepted".into(),
        });
    }
    let password = row.query_password.clone().unwrap_or_default();
    let case = view(&mut conn, row).await?;
    Ok(Receipt {
        number: case.number.unwrap_or_default(),
        query_password: password,
        item_name: case.item_name,
        implementation_code: case.implementation_code,
        handling_region: case.handling_region,
        accepted_at: case.decided_at.unwrap_or(case.created_at),
        due_date: case.due_date,
        due_date_provisional: case.due_date_provisional,
        materials: case
            .materials
            .into_iter()
            .filter(|m| {
                m.attachment.is_some() || m.certificate_id.is_some() || m.deferred_until.is_some()
            })
            .collect(),
    })
}

/// What anyone with the number and the query password can read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub number: String,
    pub item_name: String,
    pub status: Status,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
}

/// Looks a case up by number and query password; a wrong password and an unknown number answer
/// alike (404), so numbers cannot be probed.
pub async fn lookup(pool: &PgPool, number: &str, password: &str) -> Result<Progress, Error> {
    let mut conn = pool.acquire().await?;
    let row: Option<Row> =
        sqlx::query_as(&format!("select {COLUMNS} from cases where number = $1"))
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row.filter(|r| {
        r.query_password
            .as_deref()
            .is_some_and(|p| same_secret(p, password))
    }) else {
        return Err(Error::NotFound(
            "no case with this number and password".into(),
        ));
    };
    let listing = listing(&mut conn, &row).await?;
    Ok(Progress {
        number: row.number.clone().unwrap_or_default(),
        item_name: listing.name,
        status: row.status()?,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        due_date: row.due_date,
    })
}

/// Withdraws the application before a decision (the applicant, or the clerk who entered it).
pub async fn withdraw(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<Case, Error> {
    let reason = reason.trim();
    if reason.chars().count() > 500 {
        return Err(Error::bad_request("reason", "at most 500 characters"));
    }
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_applicant(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Withdraw)?;
    let now = Utc::now();
    sqlx::query("update cases set status = 'withdrawn', withdrawal_reason = $2, decided_at = $3 where id = $1")
        .bind(id)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        id,
        Some(principal.account),
        "withdrawn",
        Some(from),
        Status::Withdrawn,
        json!({ "reason": reason }),
    )
    .await?;
    // A draft never went anywhere: only a submitted case's withdrawal is news to others.
    if from != Status::Draft {
        let event = events::CaseWithdrawn {
            case: Some(row.reference()),
            reason: reason.to_owned(),
            withdrawn_at: Some(tongban_events::timestamp(now)),
        };
        publish(&mut tx, &row, &event).await?;
    }
    if row.kind == "bundle" {
        parts::follow(&mut tx, principal, &row, Status::Withdrawn, reason, now).await?;
    }
    tx.commit().await?;
    get(pool, principal, id).await
}

/// Why the applicant came to the hall.
pub const VISIT_PURPOSES: [&str; 4] = ["intake", "supply", "pickup", "other"];

/// Counts a visit of the applicant to a hall for this case (最多跑一次 made measurable). For a
/// clerk whose scope covers the receiving region.
pub async fn record_visit(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    purpose: &str,
) -> Result<Case, Error> {
    let mut tx = pool.begin().await?;
    let visited = count_visit(&mut tx, principal, id, purpose).await?;
    crate::db::ratings::insert_visit(
        &mut tx,
        principal,
        Some(id),
        &visited.receiving_region,
        purpose,
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    get(pool, principal, id).await
}

/// Counts a visit for the case in the caller's transaction, with its history entry and event;
/// the case as a rating of the visit needs it.
pub(crate) async fn count_visit(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    purpose: &str,
) -> Result<Rated, Error> {
    if !VISIT_PURPOSES.contains(&purpose) {
        return Err(Error::bad_request(
            "purpose",
            format!("one of {}", VISIT_PURPOSES.join(", ")),
        ));
    }
    let row = load(conn, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let visits: i32 =
        sqlx::query_scalar("update cases set visits = visits + 1 where id = $1 returning visits")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let status = row.status()?;
    record(
        conn,
        id,
        Some(principal.account),
        "visit",
        Some(status),
        status,
        json!({ "purpose": purpose, "visits": visits }),
    )
    .await?;
    let now = Utc::now();
    let mut case = row.reference();
    case.visits = visits as u32;
    let event = events::VisitRecorded {
        case: Some(case),
        purpose: purpose.to_owned(),
        visits: visits as u32,
        recorded_by: principal.account.to_string(),
        recorded_at: Some(tongban_events::timestamp(now)),
    };
    publish(conn, &row, &event).await?;
    rated_from(conn, row).await
}

/// A case as its rating needs it: what and where it is, who handled it (谁办理谁负责), and what
/// its events say about it.
#[derive(Debug, Clone)]
pub struct Rated {
    pub id: Uuid,
    pub number: Option<String>,
    pub kind: String,
    pub status: String,
    pub applicant_id: Option<Uuid>,
    pub receiving_region: String,
    pub handling_region: String,
    pub implementation_code: String,
    /// The department that decided it (none for a 一件事 application: its parts' departments).
    pub department_id: Option<Uuid>,
    /// Who answers for it: the approver who decided it; for a 一件事 application, the clerk who
    /// accepted it (the one face of the front office).
    pub handler: Option<Uuid>,
    pub reference: events::CaseRef,
    pub regions: Vec<String>,
}

/// The case `id` as its rating needs it, for `principal` (404 when not theirs to see), locked.
pub(crate) async fn rated(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Rated, Error> {
    let row = load(conn, principal, id, true).await?;
    rated_from(conn, row).await
}

/// The case `id` as its rating needs it, for the platform itself (a visit's rating device has
/// no account), locked.
pub(crate) async fn rated_by_system(conn: &mut PgConnection, id: Uuid) -> Result<Rated, Error> {
    let row: Row = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    rated_from(conn, row).await
}

async fn rated_from(conn: &mut PgConnection, row: Row) -> Result<Rated, Error> {
    let (decided_by, concluded_by, department_id): (Option<Uuid>, Option<Uuid>, Option<Uuid>) =
        sqlx::query_as(
            "select decided_by, concluded_by, handling_department_id from cases where id = $1",
        )
        .bind(row.id)
        .fetch_one(&mut *conn)
        .await?;
    let handler = if row.kind == "bundle" {
        decided_by
    } else {
        concluded_by
    };
    Ok(Rated {
        id: row.id,
        number: row.number.clone(),
        kind: row.kind.clone(),
        status: row.status.clone(),
        applicant_id: row.applicant_id,
        receiving_region: row.receiving_region.clone(),
        handling_region: row.handling_region.clone(),
        implementation_code: row.implementation_code.clone(),
        department_id,
        handler,
        reference: row.reference(),
        regions: row.regions(),
    })
}

/// Flags every 容缺 material whose deadline passed before `today` unsupplied, each with its
/// `DeferredMaterialOverdue` event, in one transaction; returns how many. Safe to run in every
/// replica at once: a row already flagged by another is skipped.
pub async fn flag_overdue(pool: &PgPool, today: NaiveDate) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let flagged: Vec<(Uuid, String, NaiveDate, DateTime<Utc>)> = sqlx::query_as(
        "update deferred_materials set overdue_at = now()
         where (case_id, material_code) in (
             select case_id, material_code from deferred_materials
             where supplied_at is null and overdue_at is null and deadline < $1
             order by deadline limit 500
             for update skip locked)
         returning case_id, material_code, deadline, overdue_at",
    )
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    for (case_id, material_code, deadline, at) in &flagged {
        let row: Row = sqlx::query_as(&format!("select {COLUMNS} from cases where id = $1"))
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        record(
            &mut tx,
            *case_id,
            None,
            "deferred_material_overdue",
            Some(row.status()?),
            row.status()?,
            json!({ "material_code": material_code, "deadline": deadline }),
        )
        .await?;
        let event = events::DeferredMaterialOverdue {
            case: Some(row.reference()),
            material_code: material_code.clone(),
            deadline: deadline.to_string(),
            flagged_at: Some(tongban_events::timestamp(*at)),
        };
        publish(&mut tx, &row, &event).await?;
    }
    tx.commit().await?;
    Ok(flagged.len())
}

/// A 容缺 material past its deadline, as the overdue report lists it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct OverdueMaterial {
    pub case_id: Uuid,
    pub number: Option<String>,
    pub receiving_region: String,
    pub handling_region: String,
    pub material_code: String,
    pub deadline: NaiveDate,
    pub overdue_at: DateTime<Utc>,
}

/// Overdue 容缺 materials of cases received or handled in `region` or below it, oldest first.
pub async fn overdue(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
) -> Result<Vec<OverdueMaterial>, Error> {
    if !principal.can(Power::Supervise, region) {
        principal.require(Power::AcceptCases, region)?;
    }
    // Regions nest by code prefix for role coverage (RoleBinding::covers); the report follows.
    let pattern = format!("{}%", region.prefix());
    Ok(sqlx::query_as(
        "select c.id as case_id, c.number, c.receiving_region, c.handling_region, d.material_code,
                d.deadline, d.overdue_at
         from deferred_materials d join cases c on c.id = d.case_id
         where d.overdue_at is not null and d.supplied_at is null
           and (c.receiving_region like $1 or c.handling_region like $1)
         order by d.deadline, c.number limit 1000",
    )
    .bind(pattern)
    .fetch_all(pool)
    .await?)
}

/// Records approval's conclusion (办结) of a case that was accepted: the result now awaits
/// delivery. A part of a bundle application concludes on its own; the bundle concludes when its
/// last part does (approved when every part was). Returns whether anything changed (a case
/// that is not awaiting a conclusion is left alone).
#[allow(clippy::too_many_arguments)]
pub async fn conclude(
    conn: &mut PgConnection,
    id: Uuid,
    decision: &str,
    reason: &str,
    results: Value,
    at: DateTime<Utc>,
    decided_by: Option<Uuid>,
    department: Option<Uuid>,
) -> Result<bool, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row.filter(|r| r.status == "accepted") else {
        return Ok(false);
    };
    sqlx::query(
        "update cases set status = 'concluded', conclusion = $2, conclusion_reason = $3, results = $4,
             concluded_at = $5, concluded_by = $6, handling_department_id = $7
         where id = $1",
    )
    .bind(id)
    .bind(decision)
    .bind(reason)
    .bind(&results)
    .bind(at)
    .bind(decided_by)
    .bind(department)
    .execute(&mut *conn)
    .await?;
    record(
        conn,
        id,
        None,
        "concluded",
        Some(Status::Accepted),
        Status::Concluded,
        json!({ "decision": decision, "reason": reason }),
    )
    .await?;
    if let Some(parent) = row.parent_id {
        let (open, refused): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where status = 'accepted'),
                    count(*) filter (where conclusion = 'refused')
             from cases where parent_id = $1",
        )
        .bind(parent)
        .fetch_one(&mut *conn)
        .await?;
        if open == 0 {
            let decision = if refused == 0 { "approved" } else { "refused" };
            let results: Value = sqlx::query_scalar(
                "select coalesce(jsonb_agg(r), '[]') from cases, jsonb_array_elements(results) r where parent_id = $1",
            )
            .bind(parent)
            .fetch_one(&mut *conn)
            .await?;
            Box::pin(conclude(
                conn, parent, decision, "", results, at, None, None,
            ))
            .await?;
        }
    }
    Ok(true)
}

/// How the result goes out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// pickup (at a window; counts a visit), post, or electronic.
    pub method: String,
    /// For post.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

/// Delivers the result of a concluded case (统一窗口出件), by a clerk whose scope covers the
/// receiving region (or, posting a transferred case's result, a handler of the handling
/// region); a bundle's parts go out with it.
pub async fn deliver(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    delivery: &Delivery,
) -> Result<Case, Error> {
    let text = |field: &str, value: &Option<String>| -> Result<String, Error> {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        if value.is_empty() || value.chars().count() > 50 {
            return Err(Error::bad_request(
                field,
                "a posted result needs it (1-50 characters)",
            ));
        }
        Ok(value.to_owned())
    };
    let (carrier, tracking) = match delivery.method.as_str() {
        "post" => (
            text("carrier", &delivery.carrier)?,
            text("tracking_number", &delivery.tracking_number)?,
        ),
        "pickup" | "electronic" => (String::new(), String::new()),
        _ => return Err(Error::bad_request("method", "pickup, post or electronic")),
    };
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    // 异地送达: the handling region may post a transferred case's result straight to the
    // applicant instead of sending it back to the receiving window.
    let posted_by_handling = row.mode == "collect_elsewhere"
        && delivery.method == "post"
        && principal.can(Power::HandleCases, &row.region("handling")?);
    if !posted_by_handling {
        require_clerk(principal, &row)?;
    }
    let from = row.status()?;
    from.allow(Action::Deliver)?;
    let now = Utc::now();
    let details =
        json!({ "method": delivery.method, "carrier": carrier, "tracking_number": tracking });
    // The bundle and its parts go out together.
    let visit = i32::from(delivery.method == "pickup");
    sqlx::query(
        "update cases set status = 'delivered', delivery = $2, delivered_at = $3,
             visits = visits + case when id = $1 then $4 else 0 end
         where id = $1 or parent_id = $1",
    )
    .bind(id)
    .bind(&details)
    .bind(now)
    .bind(visit)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        id,
        Some(principal.account),
        "delivered",
        Some(from),
        Status::Delivered,
        details.clone(),
    )
    .await?;
    let mut case = row.reference();
    case.visits += visit as u32;
    let event = events::CaseDelivered {
        case: Some(case),
        method: delivery.method.clone(),
        carrier,
        tracking_number: tracking,
        delivered_by: principal.account.to_string(),
        delivered_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    tx.commit().await?;
    get(pool, principal, id).await
}

/// The handling region sent round `round` of the case's transfer back (kind: not_competent or
/// materials_defective): the case returns to its receiving window, and a part takes its bundle
/// with it (the applicant deals with one case). Returns whether anything changed: a rejection
/// of an earlier round, or of a case no longer accepted, is passed over.
pub async fn transfer_returned(
    conn: &mut PgConnection,
    id: Uuid,
    round: i32,
    returned: Value,
    at: DateTime<Utc>,
) -> Result<bool, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row.filter(|r| r.status == "accepted" && r.returns + 1 == round) else {
        return Ok(false);
    };
    let mut cases = vec![(row.id, round)];
    if let Some(parent) = row.parent_id {
        let bundle: Option<i32> = sqlx::query_scalar(
            "select returns from cases where id = $1 and status = 'accepted' for update",
        )
        .bind(parent)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(returns) = bundle {
            cases.push((parent, returns + 1));
        }
    }
    for (case, round) in cases {
        sqlx::query(
            "update cases set status = 'returned', returns = $2, returned = $3 where id = $1",
        )
        .bind(case)
        .bind(round)
        .bind(&returned)
        .execute(&mut *conn)
        .await?;
        record_at(
            conn,
            case,
            Some(at),
            None,
            "transfer_returned",
            Some(Status::Accepted),
            Status::Returned,
            json!({ "round": round, "part": (case != id).then_some(id), "returned": returned }),
        )
        .await?;
    }
    Ok(true)
}
