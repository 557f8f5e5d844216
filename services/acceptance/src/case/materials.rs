//! The files of a case: provided (or replaced) before the decision, a 容缺 material supplied
//! after acceptance, and reading a file back.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use crate::db::catalogue::{self};

use super::local_today;
use super::state::{Action, Status};
use super::store::{listing, load, publish, record, require_applicant, require_not_part};

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
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    material_code: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
    now: DateTime<Utc>,
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

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
