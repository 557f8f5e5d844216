//! A certificate's printable face (打印版电子证照, issue 25): the sealed document laid out on an
//! A4 page in Chinese — its type and identifier, the holder, what it certifies, the issuing
//! department with its seal, the issue date — and a QR code of its public status, with that
//! URL printed under it and the document's SHA-256, so whoever is handed the paper can check
//! it stands and that it is the document that was sealed.
//!
//! Read through [`verify::get`], so the face is shown to exactly those who may read the
//! certificate (404 to anyone else). The page has its own style and no script: it is served
//! with a policy that allows its inline style sheet and nothing else (the QR code is inline
//! SVG, not an image fetched from anywhere).

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Path, Printable, Result};

use super::status::{date, digest};
use super::verify::{self, SealedCertificate};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(face_page))
}

/// A labelled line of the face.
pub struct Line {
    pub label: String,
    pub value: String,
}

fn line(label: &str, value: impl Into<String>) -> Line {
    Line {
        label: label.to_owned(),
        value: value.into(),
    }
}

#[derive(Template)]
#[template(path = "certificate/face.html")]
pub struct Face {
    /// The certificate's type (营业执照 ...).
    pub title: String,
    pub id: String,
    pub holder: Vec<Line>,
    /// What it certifies: the document's data fields.
    pub fields: Vec<Line>,
    pub issuer_name: String,
    pub issuer_credit_code: String,
    /// The seal's name and its key id, as the face shows the electronic seal.
    pub seal_name: String,
    pub seal_key: String,
    /// The issue date in China (2026年12月05日).
    pub issued_on: String,
    /// The QR code of `status_url`, inline SVG made here (not typed by anyone).
    pub qr_svg: String,
    pub status_url: String,
    pub digest: String,
    /// Set when revoked: when, and why.
    pub revoked: Option<String>,
}

/// The public status URL of certificate `id` under the platform's public `base` URL.
pub fn status_url(base: &str, id: &str) -> String {
    format!(
        "{}/api/approval/v1/certificates/{id}/status",
        base.trim().trim_end_matches('/')
    )
}

/// `text` as a QR code (error correction M: a crease or a stamp over a corner still scans),
/// an `<svg>` element to inline in HTML, labelled for screen readers.
pub fn qr_svg(text: &str) -> Result<String> {
    tongban_kernel::printable::qr_svg(text, "核验二维码")
}

/// A day in China, as certificates write it.
fn written(date: chrono::NaiveDate) -> String {
    date.format("%Y年%m月%d日").to_string()
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

/// Who holds it: a citizen by name (when the certificate names them) and masked document; an
/// enterprise by name and unified social credit code.
fn holder(document: &Value) -> Vec<Line> {
    let holder = &document["holder"];
    let name = text(&holder["name"]);
    if holder["kind"] == "enterprise" {
        let code = holder["credit_code"]
            .as_str()
            .or_else(|| holder["document_masked"].as_str())
            .unwrap_or_default();
        return vec![line("持证主体", name), line("统一社会信用代码", code)];
    }
    let mut lines = Vec::new();
    if !name.trim().is_empty() {
        lines.push(line("持证人", name));
    }
    lines.push(line("证件号码", text(&holder["document_masked"])));
    lines
}

/// The document's fields the face lays out elsewhere, or shows under their own label here.
const LAID_OUT: &[&str] = &[
    "id",
    "identifier",
    "type",
    "kind",
    "holder",
    "issuer",
    "seal",
    "issued_at",
    "valid_from",
    "valid_until",
    "item_name",
    "implementation_code",
    "case_number",
    "data",
];

/// What it certifies: the item it was issued under, its validity, then every other field of
/// the document (a `data` object's entries first) under its own name.
fn fields(document: &Value) -> Vec<Line> {
    let mut lines = vec![
        line("许可事项", text(&document["item_name"])),
        line("事项编码", text(&document["implementation_code"])),
        line("办件编号", text(&document["case_number"])),
    ];
    let from = date(document, "valid_from")
        .map(written)
        .unwrap_or_default();
    let until = date(document, "valid_until").map_or_else(|| "长期".to_owned(), written);
    lines.push(line("有效期限", format!("{from} 至 {until}")));
    let data = document["data"].as_object().into_iter().flatten();
    let rest = document
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !LAID_OUT.contains(&key.as_str()));
    lines.extend(data.chain(rest).map(|(key, value)| line(key, text(value))));
    lines.retain(|l| !l.value.trim().is_empty());
    lines
}

/// The face of `sealed`, its QR code pointing under `public_url`.
pub fn face(sealed: &SealedCertificate, public_url: &str) -> Result<Face> {
    let document = &sealed.document;
    // Its GB/T 36904 identifier; the UUID for certificates issued before identifiers.
    let id = document["identifier"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| text(&document["id"]));
    let status_url = status_url(public_url, &id);
    let issued_on = document["issued_at"]
        .as_str()
        .and_then(|at| at.parse::<DateTime<Utc>>().ok())
        .map(tongban_runtime::clock::local_date)
        .or_else(|| date(document, "valid_from"))
        .map(written)
        .unwrap_or_default();
    let issuer_name = text(&document["issuer"]["name"]);
    Ok(Face {
        title: text(&document["type"]),
        holder: holder(document),
        fields: fields(document),
        seal_name: format!("{issuer_name}电子印章"),
        seal_key: text(&document["seal"]["key_id"]),
        issuer_credit_code: text(&document["issuer"]["credit_code"]),
        issuer_name,
        issued_on,
        qr_svg: qr_svg(&status_url)?,
        status_url,
        digest: digest(document),
        revoked: sealed.revoked_at.map(|at| {
            format!(
                "本证照已于{}注销：{}",
                written(tongban_runtime::clock::local_date(at)),
                sealed.revoke_reason.as_deref().unwrap_or_default()
            )
        }),
        id,
    })
}

/// The certificate's printable face (A4, Chinese), with a QR code of its public status: for
/// whoever may read the certificate (its holder, the staff who see its case).
#[utoipa::path(get, path = "/v1/certificates/{id}/face", tag = "certificates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "the certificate's UUID or its GB/T 36904 identifier")),
    responses(
    (status = 200, description = "the printable certificate", content_type = "text/html", body = String),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody),
))]
async fn face_page(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<impl IntoResponse> {
    let id = super::identifier::resolve(&state.pool, &id).await?;
    let sealed = verify::get(&state.pool, &principal, id).await?;
    let body = face(&sealed, &state.public_url)?
        .render()
        .map_err(|e| Error::internal(format!("the certificate's template: {e}")))?;
    Ok(Printable(body))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn sealed(holder: Value) -> SealedCertificate {
        SealedCertificate {
            document: json!({
                "id": "0193a4f2-0000-7000-8000-000000000001",
                "type": "营业执照", "kind": "licence", "holder": holder,
                "issuer": { "credit_code": "11430900MB0000001X", "name": "赫山区市场监督管理局",
                            "region_code": "430903000000" },
                "case_number": "N".repeat(20), "implementation_code": "C".repeat(31),
                "item_name": "个体工商户登记", "valid_from": "2026-12-05", "valid_until": null,
                "issued_at": "2026-12-04T17:00:00Z",
                "data": { "经营范围": "<b>餐饮服务</b>" },
                "seal": { "key_id": "abcdefghijklmnop", "algorithm": "Ed25519" },
            }),
            signature: "s".into(),
            revoked_at: None,
            revoke_reason: None,
            seal: None,
        }
    }

    #[test]
    fn the_status_url_is_under_the_public_base() {
        assert_eq!(
            status_url("https://zwfw.example.cn/ ", "X"),
            "https://zwfw.example.cn/api/approval/v1/certificates/X/status"
        );
        assert_eq!(
            status_url("http://127.0.0.1:8080", "X"),
            "http://127.0.0.1:8080/api/approval/v1/certificates/X/status"
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_element() {
        let svg = qr_svg(&status_url(
            "http://127.0.0.1:8080",
            &Uuid::nil().to_string(),
        ))
        .unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="核验二维码""#));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn a_face_names_the_holder_the_issuer_and_escapes_the_data() {
        let citizen =
            json!({ "kind": "citizen", "name": "王五", "document_masked": "430903********0012" });
        let page = face(&sealed(citizen), "http://127.0.0.1:8080")
            .unwrap()
            .render()
            .unwrap();
        for expected in [
            "营业执照",
            "0193a4f2-0000-7000-8000-000000000001",
            "王五",
            "430903********0012",
            "赫山区市场监督管理局电子印章",
            "2026年12月05日",
            "长期",
            "经营范围",
            "/api/approval/v1/certificates/0193a4f2-0000-7000-8000-000000000001/status",
            "<svg ",
        ] {
            assert!(page.contains(expected), "{expected} missing");
        }
        assert!(!page.contains("<b>餐饮服务"), "data is escaped");
        let enterprise = json!({ "kind": "enterprise", "name": "益阳某某有限公司",
            "document_masked": "91430900MA4L000000", "credit_code": "91430900MA4L000000" });
        let page = face(&sealed(enterprise), "http://x")
            .unwrap()
            .render()
            .unwrap();
        assert!(page.contains("统一社会信用代码") && page.contains("91430900MA4L000000"));
        let unnamed = json!({ "kind": "citizen", "document_masked": "430903********0012" });
        let lines = holder(&sealed(unnamed).document);
        assert_eq!(lines.len(), 1, "only the masked document");
    }
}
