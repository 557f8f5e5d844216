//! A certificate's public status (public, no account needed): what a relying party (a bank, a
//! landlord, another department) needs when it scans the QR code on a printed certificate —
//! whether it stands, who issued it, what it is, when, for whom (masked), and the SHA-256 of
//! the sealed document so the digest printed on the face can be compared. Nothing more: the
//! full document stays with its holder and the staff in scope.

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_kernel::{Error, ErrorBody, Json, Path, Result};

use super::seal;
use super::verify::certificate_row;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(public_status))
}

/// A certificate's public status (public, no account needed; the QR code on its printed face
/// leads here): valid, revoked or expired, who issued it and when, the holder masked, and the
/// SHA-256 of the sealed document to compare with the one printed on the face.
#[utoipa::path(get, path = "/v1/certificates/{id}/status", tag = "certificates",
    params(("id" = String, Path, description = "the certificate's UUID or its GB/T 36904 identifier")),
    responses((status = 200, body = CertificateStatus), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn public_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CertificateStatus>> {
    let id = super::identifier::resolve(&state.pool, &id).await?;
    Ok(Json(status(&state.pool, id, state.now().today).await?))
}

/// Where a certificate stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Issued, not revoked, within its validity.
    Valid,
    /// Revoked (吊销、注销) by the issuing department.
    Revoked,
    /// Past its `valid_until`.
    Expired,
}

/// The holder as a stranger may see them: a citizen's name and document masked; an
/// enterprise's name and unified social credit code (public registration data) as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MaskedHolder {
    /// `citizen` or `enterprise`.
    pub kind: String,
    /// A citizen's name with all but the surname's first character masked (王*); absent on
    /// certificates issued before holders were named.
    pub name: Option<String>,
    /// The ID document masked as issued, or an enterprise's credit code.
    pub document_masked: String,
}

/// What the QR code on a printed certificate leads to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificateStatus {
    pub certificate_id: Uuid,
    /// Its identifier after GB/T 36904; absent on certificates issued before identifiers.
    pub identifier: Option<String>,
    pub status: Standing,
    /// True only when `status` is `valid`.
    pub valid: bool,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The certificate's type (营业执照 ...).
    pub certificate_type: String,
    /// The issuing department's name and unified social credit code.
    pub issuer_name: String,
    pub issuer_credit_code: String,
    /// The day it was issued, in China.
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub holder: MaskedHolder,
    /// SHA-256 (lowercase hex) of the sealed document's canonical JSON: the value printed
    /// under "文档摘要" on the certificate's face.
    pub document_sha256: String,
}

/// The SHA-256 of `document`'s canonical form, lowercase hex.
pub fn digest(document: &Value) -> String {
    Sha256::digest(seal::canonical(document))
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `name` with every character after the first masked (王五 → 王*, 欧阳娜娜 → 欧***).
pub fn masked_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    chars.next().map_or_else(String::new, |first| {
        std::iter::once(first).chain(chars.map(|_| '*')).collect()
    })
}

/// The holder of `document` as the public status shows them.
pub fn masked_holder(document: &Value) -> MaskedHolder {
    let holder = &document["holder"];
    let kind = holder["kind"].as_str().unwrap_or_default().to_owned();
    let name = holder["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            if kind == "enterprise" {
                n.to_owned()
            } else {
                masked_name(n)
            }
        });
    let document_masked = holder["credit_code"]
        .as_str()
        .or_else(|| holder["document_masked"].as_str())
        .unwrap_or_default()
        .to_owned();
    MaskedHolder {
        kind,
        name,
        document_masked,
    }
}

/// A date field of `document` (`YYYY-MM-DD`), if present.
pub fn date(document: &Value, field: &str) -> Option<NaiveDate> {
    document[field].as_str()?.parse().ok()
}

/// Where `document` stands on `today`, revoked at `revoked_at` or not.
pub fn standing(document: &Value, revoked_at: Option<DateTime<Utc>>, today: NaiveDate) -> Standing {
    match (revoked_at, date(document, "valid_until")) {
        (Some(_), _) => Standing::Revoked,
        (None, Some(until)) if until < today => Standing::Expired,
        _ => Standing::Valid,
    }
}

/// The public status of certificate `id` on `today`; 404 when none was issued under it.
pub async fn status(pool: &PgPool, id: Uuid, today: NaiveDate) -> Result<CertificateStatus> {
    let mut conn = pool.acquire().await?;
    let found = certificate_row(&mut conn, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("certificate {id}")))?;
    let document = &found.document;
    let status = standing(document, found.revoked_at, today);
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    Ok(CertificateStatus {
        certificate_id: id,
        identifier: document["identifier"].as_str().map(str::to_owned),
        status,
        valid: status == Standing::Valid,
        revoked_at: found.revoked_at,
        certificate_type: text(&document["type"]),
        issuer_name: text(&document["issuer"]["name"]),
        issuer_credit_code: text(&document["issuer"]["credit_code"]),
        issued_on: date(document, "valid_from"),
        valid_until: date(document, "valid_until"),
        holder: masked_holder(document),
        document_sha256: digest(document),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_citizen_is_masked_and_an_enterprise_is_not() {
        let citizen = json!({ "holder": { "kind": "citizen", "name": "欧阳娜娜",
            "document_masked": "430903********0012" } });
        assert_eq!(
            masked_holder(&citizen),
            MaskedHolder {
                kind: "citizen".into(),
                name: Some("欧***".into()),
                document_masked: "430903********0012".into(),
            }
        );
        let enterprise = json!({ "holder": { "kind": "enterprise", "name": "益阳某某有限公司",
            "document_masked": "91430900MA4L000000", "credit_code": "91430900MA4L000000" } });
        assert_eq!(
            masked_holder(&enterprise).name.as_deref(),
            Some("益阳某某有限公司")
        );
        let unnamed = json!({ "holder": { "kind": "citizen", "document_masked": "4309**" } });
        assert_eq!(
            masked_holder(&unnamed).name,
            None,
            "issued before holders were named"
        );
        assert_eq!(masked_name(" 王五 "), "王*");
        assert_eq!(masked_name(""), "");
    }

    #[test]
    fn revoked_wins_then_expiry() {
        let today: NaiveDate = "2026-12-05".parse().unwrap();
        let lasting = json!({ "valid_from": "2026-01-01", "valid_until": null });
        let lapsed = json!({ "valid_from": "2020-01-01", "valid_until": "2026-12-04" });
        assert_eq!(standing(&lasting, None, today), Standing::Valid);
        assert_eq!(standing(&lapsed, None, today), Standing::Expired);
        assert_eq!(
            standing(&lasting, Some(DateTime::UNIX_EPOCH), today),
            Standing::Revoked
        );
        let last_day = json!({ "valid_until": "2026-12-05" });
        assert_eq!(standing(&last_day, None, today), Standing::Valid);
    }

    #[test]
    fn the_digest_is_of_the_canonical_form() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":"证"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":"证","b":1}"#).unwrap();
        assert_eq!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
        assert!(
            digest(&a)
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_uppercase())
        );
    }
}
