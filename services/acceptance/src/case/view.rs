//! What the API shows of a case: its schema types and the read queries (the case with its
//! materials, its history, the receipt, and what the public progress lookup answers).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{CaseNumber, Error, Principal};

use super::state::Status;
use super::store::{Listing, Row, listing, load};

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
    /// The applicant's name and document, masked (an enterprise's credit code whole): from
    /// identity for an online applicant, from the document shown at a window. None for a case
    /// opened before applicants were recorded this way.
    pub applicant_name: Option<String>,
    pub applicant_document: Option<String>,
    /// The applicant's mobile number, masked (138****5678), when they gave one.
    pub applicant_phone: Option<String>,
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
    /// When the window accepted or refused it (受理 or 不予受理).
    pub decided_at: Option<DateTime<Utc>>,
    pub refusal_reason: Option<String>,
    pub withdrawal_reason: Option<String>,
    /// When the applicant withdrew it (撤回).
    pub withdrawn_at: Option<DateTime<Utc>>,
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
    /// The real-name level (实名等级) the applicant has shown for this case: online, their
    /// account's level when they submitted; at a window, 3 once a clerk checked the original ID.
    pub real_name_level: u8,
    /// The level the item (a bundle: the most demanding member) needs for acceptance.
    pub real_name_level_needed: u8,
    /// Who checked the applicant's original ID at a window, and when.
    pub identity_check: Option<IdentityCheck>,
}

/// A window clerk's check of the applicant's original ID (核验身份证原件).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityCheck {
    pub checked_by: Uuid,
    pub checked_at: DateTime<Utc>,
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

/// The case with its materials and notice, for whoever may see it.
/// The case a path names, by its id or by its case number (a staff member at the counter reads
/// the number off a receipt), as [`get`] shows it. 400 for neither; 404 alike for a number
/// nobody was given and a case out of the caller's scope.
pub async fn find(pool: &PgPool, principal: &Principal, id_or_number: &str) -> Result<Case, Error> {
    let raw = id_or_number.trim();
    if let Ok(id) = Uuid::parse_str(raw) {
        return get(pool, principal, id).await;
    }
    let number: CaseNumber = raw.parse().map_err(|_| {
        Error::bad_request("id", "a case id (UUID) or a case number (43 characters)")
    })?;
    let not_found = || Error::NotFound(format!("case {number}"));
    let id: Uuid = sqlx::query_scalar("select id from cases where number = $1")
        .bind(number.as_str())
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)?;
    get(pool, principal, id).await.map_err(|err| match err {
        Error::NotFound(_) => not_found(),
        err => err,
    })
}

pub async fn get(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Case, Error> {
    let mut conn = pool.acquire().await?;
    let row = load(&mut conn, principal, id, false).await?;
    view(&mut conn, row).await
}

pub(super) async fn view(conn: &mut PgConnection, row: Row) -> Result<Case, Error> {
    let listing = listing(conn, &row).await?;
    view_listed(conn, row, &listing).await
}

/// What hangs off a case (files, 容缺 deadlines, e-certificates, the correction notice, a
/// bundle's parts), read in one statement.
#[derive(sqlx::FromRow)]
pub(super) struct Children {
    attachments: sqlx::types::Json<Vec<Attached>>,
    deferred: sqlx::types::Json<Vec<Deferred>>,
    certificates: sqlx::types::Json<Vec<Certified>>,
    correction: Option<sqlx::types::Json<Vec<CorrectionItem>>>,
    parts: sqlx::types::Json<Vec<PartRef>>,
}

#[derive(Deserialize)]
pub(super) struct Attached {
    material_code: String,
    #[serde(flatten)]
    info: AttachmentInfo,
}

#[derive(Deserialize)]
pub(super) struct Deferred {
    material_code: String,
    deadline: NaiveDate,
    supplied_at: Option<DateTime<Utc>>,
    overdue: bool,
}

#[derive(Deserialize)]
pub(super) struct Certified {
    material_code: String,
    certificate_id: Uuid,
}

/// The case as answered, its materials as `listing` lists them.
pub(super) async fn view_listed(
    conn: &mut PgConnection,
    row: Row,
    listing: &Listing,
) -> Result<Case, Error> {
    let children = children(conn, row.id).await?;
    let parts = children.parts.0;
    let correction = children.correction;
    let materials = materials(
        listing,
        children.attachments.0,
        children.deferred.0,
        children.certificates.0,
    );
    let status = row.status()?;
    let identity_check =
        row.identity_checked_by
            .zip(row.identity_checked_at)
            .map(|(checked_by, checked_at)| IdentityCheck {
                checked_by,
                checked_at,
            });
    Ok(Case {
        real_name_level: crate::domain::real_name_level(row.real_name_level),
        real_name_level_needed: super::real_name::needed(listing),
        identity_check,
        parts,
        kind: row.kind,
        parent_id: row.parent_id,
        bundle_id: row.bundle_id,
        materials,
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
        applicant_phone: row.applicant_phone,
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
        withdrawn_at: row.withdrawn_at,
        conclusion: row.conclusion,
        conclusion_reason: row.conclusion_reason,
        concluded_at: row.concluded_at,
        results: row.results,
        delivery: row.delivery,
        delivered_at: row.delivered_at,
    })
}

/// What hangs off the case, in one statement.
async fn children(conn: &mut PgConnection, id: Uuid) -> Result<Children, Error> {
    Ok(sqlx::query_as(
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
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Every listed material with its file, 容缺 deadline and e-certificate.
fn materials(
    listing: &Listing,
    attachments: Vec<Attached>,
    deferred: Vec<Deferred>,
    certificates: Vec<Certified>,
) -> Vec<CaseMaterial> {
    let mut attachments: BTreeMap<String, AttachmentInfo> = attachments
        .into_iter()
        .map(|a| (a.material_code, a.info))
        .collect();
    let deferred: BTreeMap<String, Deferred> = deferred
        .into_iter()
        .map(|d| (d.material_code.clone(), d))
        .collect();
    let certificates: BTreeMap<String, Uuid> = certificates
        .into_iter()
        .map(|c| (c.material_code, c.certificate_id))
        .collect();
    listing
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
        .collect()
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
    let case = view(&mut conn, row).await?;
    Ok(Receipt {
        number: case.number.unwrap_or_default(),
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
    /// When the window accepted it (受理).
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was decided: concluded by the department (办结: approved or refused), or
    /// refused at the window; none while that is still to come.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the applicant withdrew it (撤回), if they did.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// approved or refused, once concluded.
    pub conclusion: Option<String>,
    pub due_date: Option<NaiveDate>,
}
