//! The files of a case: provided (or replaced) before the decision, a 容缺 material supplied
//! after acceptance, and reading a file back.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use crate::db::catalogue::{self};
use crate::domain::FileType;

use super::local_today;
use super::state::{Action, Status};
use super::store::{Row, listing, load, note, publish, require_applicant, require_not_part};

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
pub const ACCEPTED_TYPES: [&str; 3] = [
    FileType::Pdf.media_type(),
    FileType::Jpeg.media_type(),
    FileType::Png.media_type(),
];

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
    let owed = owed_deadline(&mut tx, status, id, material_code).await?;
    match owed {
        Some(_) => status.allow(Action::SupplyDeferred)?,
        None => status.allow(Action::Edit)?,
    }
    let material_code = listed_code(&mut tx, &row, material_code).await?;
    let material_code = material_code.as_str();
    check_file(content_type, content)?;
    use sha2::Digest;
    let sha256 = hex(&sha2::Sha256::digest(content));
    let upload = Upload {
        material_code,
        filename,
        content_type,
        content,
        sha256: &sha256,
    };
    store_file(&mut tx, id, principal.account, &upload).await?;
    if let Some(deadline) = owed {
        mark_supplied(&mut tx, &row, material_code, deadline, now).await?;
    }
    let action = if owed.is_some() {
        "deferred_material_supplied"
    } else {
        "material_provided"
    };
    let detail = json!({ "material_code": material_code, "sha256": sha256, "size": content.len() });
    note(
        &mut tx,
        &row,
        Entry::new(now, Some(principal.account), action, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// After acceptance only a 容缺 material still owed may arrive: its deadline, if it is owed.
async fn owed_deadline(
    tx: &mut PgConnection,
    status: Status,
    id: Uuid,
    material_code: &str,
) -> Result<Option<NaiveDate>, Error> {
    if status != Status::Accepted {
        return Ok(None);
    }
    Ok(sqlx::query_scalar(
        "select deadline from deferred_materials
         where case_id = $1 and material_code = $2 and supplied_at is null",
    )
    .bind(id)
    .bind(material_code)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The material's code as the case's material list holds it.
async fn listed_code(
    tx: &mut PgConnection,
    row: &Row,
    material_code: &str,
) -> Result<String, Error> {
    let listing = listing(tx, row).await?;
    listing.listed_code(material_code).ok_or_else(|| {
        Error::unprocessable(
            "material_code",
            format!(
                "{material_code} is not on the material list of {}",
                listing.name
            ),
        )
    })
}

/// A file of an accepted type, not empty, whose content is of the type it declares (a page of
/// HTML sent as `application/pdf` is refused, not stored and served back as a PDF).
fn check_file(content_type: &str, content: &[u8]) -> Result<(), Error> {
    let Some(declared) = FileType::declared(content_type) else {
        return Err(Error::Unprocessable {
            field: "content-type".into(),
            message: format!(
                "{content_type:?} is not accepted: {}",
                ACCEPTED_TYPES.join(", ")
            ),
        });
    };
    if content.is_empty() {
        return Err(Error::bad_request("body", "the file is empty"));
    }
    if !declared.matches(content) {
        return Err(Error::unprocessable(
            "body",
            format!(
                "the content is not a {} as declared by content-type {}: it does not start with the {} signature",
                declared.name(),
                declared.media_type(),
                declared.name()
            ),
        ));
    }
    Ok(())
}

/// A checked file for one material.
struct Upload<'a> {
    material_code: &'a str,
    filename: &'a str,
    content_type: &'a str,
    content: &'a [u8],
    sha256: &'a str,
}

/// Stores the file, replacing the material's earlier one.
async fn store_file(
    tx: &mut PgConnection,
    id: Uuid,
    account: Uuid,
    upload: &Upload<'_>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into attachments (id, case_id, material_code, filename, content_type, size, sha256, content, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (case_id, material_code) do update set filename = excluded.filename,
             content_type = excluded.content_type, size = excluded.size, sha256 = excluded.sha256,
             content = excluded.content, uploaded_by = excluded.uploaded_by, uploaded_at = now()",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(upload.material_code)
    .bind(upload.filename)
    .bind(upload.content_type)
    .bind(upload.content.len() as i32)
    .bind(upload.sha256)
    .bind(upload.content)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A 容缺 material supplied: marked, and announced (late when past its deadline).
async fn mark_supplied(
    tx: &mut PgConnection,
    row: &Row,
    material_code: &str,
    deadline: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update deferred_materials set supplied_at = $3 where case_id = $1 and material_code = $2",
    )
    .bind(row.id)
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
    publish(tx, row, &event).await
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_checked_against_its_declared_type_by_its_content() {
        assert!(check_file("application/pdf", b"%PDF-1.4\n").is_ok());
        assert!(check_file("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR").is_ok());
        assert!(check_file("image/jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF").is_ok());
        let html = b"<html><body>not a scan</body></html>";
        match check_file("application/pdf", html) {
            Err(Error::Unprocessable { field, message }) => {
                assert_eq!(field, "body");
                assert!(message.contains("not a PDF as declared"), "{message}");
            }
            other => panic!("HTML as a PDF: {other:?}"),
        }
        match check_file("image/jpeg", b"\x89PNG\r\n\x1a\n") {
            Err(Error::Unprocessable { message, .. }) => {
                assert!(message.contains("not a JPEG"), "{message}");
            }
            other => panic!("a PNG as a JPEG: {other:?}"),
        }
        assert!(matches!(
            check_file("text/html", html),
            Err(Error::Unprocessable { field, .. }) if field == "content-type"
        ));
        assert!(matches!(
            check_file("application/pdf", b""),
            Err(Error::BadRequest { .. })
        ));
    }
}
