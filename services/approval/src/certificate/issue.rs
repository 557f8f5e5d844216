//! Issuing the results of an approved case: each result the item names; licences and
//! certificates marked as e-certificates are sealed by the department and announced.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgConnection;
use sqlx::types::Json as Jsonb;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::Error;
use tongban_vault::Vault;

use super::seal;
use crate::work_item::store::{self, Now, Row};

#[derive(Debug, Clone, Deserialize)]
struct ResultSpec {
    name: String,
    kind: String,
    #[serde(default)]
    e_certificate: bool,
}

/// Who issues a case's certificates: the item's department.
struct Issuer {
    credit_code: String,
    name: String,
}

/// Whom a certificate names (sealed with it): the applicant's account, kind and name, and a
/// citizen's document masked, or an enterprise's unified social credit code (public, so it
/// stands as it is, also under `credit_code`). Certificates issued before the name was kept
/// have no `name` and keep verifying: what is signed is each one's own document.
fn holder(row: &Row) -> Value {
    named(
        row.applicant_id,
        &row.applicant_kind,
        &row.applicant_name,
        &row.applicant_document_masked,
    )
}

fn named(account: Option<Uuid>, kind: &str, name: &str, document: &str) -> Value {
    let mut holder = json!({
        "account_id": account,
        "kind": kind,
        "name": name,
        "document_masked": document,
    });
    if kind == "enterprise" {
        holder["credit_code"] = json!(document);
    }
    holder
}

/// The document of e-certificate `id` of `spec` for the applicant of `row`.
fn document(
    id: Uuid,
    spec: &ResultSpec,
    row: &Row,
    issuer: &Issuer,
    key_id: &str,
    valid_until: Option<NaiveDate>,
    now: Now,
) -> Value {
    json!({
        "id": id,
        "type": spec.name,
        "kind": spec.kind,
        "holder": holder(row),
        "issuer": {
            "credit_code": issuer.credit_code,
            "name": issuer.name,
            "region_code": row.handling_region,
        },
        "case_number": row.case_number,
        "implementation_code": row.implementation_code,
        "item_name": row.item_name,
        "valid_from": now.today,
        "valid_until": valid_until,
        "issued_at": now.at,
        "seal": { "key_id": key_id, "algorithm": "Ed25519" },
    })
}

/// Seals, stores and announces one e-certificate of `spec`; its id.
async fn seal_one(
    tx: &mut PgConnection,
    vault: &Vault,
    row: &Row,
    spec: &ResultSpec,
    issuer: &Issuer,
    valid_until: Option<NaiveDate>,
    now: Now,
) -> Result<String, Error> {
    let seal = seal::stored(tx, vault, &issuer.credit_code, now.at).await?;
    let id = Uuid::now_v7();
    let document = document(id, spec, row, issuer, &seal.key_id, valid_until, now);
    let signature = seal.sign(&document);
    sqlx::query(
        "insert into certificates (id, case_id, certificate_type, holder_account_id,
             issuer_credit_code, document, signature, key_id, issued_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(row.case_id)
    .bind(&spec.name)
    .bind(row.applicant_id)
    .bind(&issuer.credit_code)
    .bind(&document)
    .bind(&signature)
    .bind(&seal.key_id)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    let key = id.to_string();
    let event = events::CertificateIssued {
        certificate_id: key.clone(),
        certificate_type: spec.name.clone(),
        holder_account_id: row.applicant_id.map(|a| a.to_string()).unwrap_or_default(),
        holder_document_masked: row.applicant_document_masked.clone(),
        issuer_credit_code: issuer.credit_code.clone(),
        case_number: row.case_number.clone(),
        valid_from: now.today.to_string(),
        valid_until: valid_until.map(|d| d.to_string()).unwrap_or_default(),
        issued_at: Some(tongban_events::timestamp(now.at)),
    };
    store::publish_certificate(tx, row, id, &event).await?;
    Ok(key)
}

/// Issues the results of an approved case: each result named by the item; licences and
/// certificates marked as e-certificates are sealed by the department and announced.
pub async fn issue_results(
    tx: &mut PgConnection,
    vault: &Vault,
    row: &Row,
    valid_until: Option<NaiveDate>,
    now: Now,
) -> Result<Vec<events::IssuedResult>, Error> {
    let specs: Option<Jsonb<Vec<ResultSpec>>> = sqlx::query_scalar(
        "select results from item_versions where implementation_code = $1 and version = $2",
    )
    .bind(&row.implementation_code)
    .bind(row.item_version)
    .fetch_optional(&mut *tx)
    .await?;
    let credit_code = row.department_credit_code.clone().unwrap_or_default();
    let name: Option<String> =
        sqlx::query_scalar("select name from department_directory where credit_code = $1 limit 1")
            .bind(&credit_code)
            .fetch_optional(&mut *tx)
            .await?;
    let issuer = Issuer {
        credit_code,
        name: name.unwrap_or_default(),
    };
    let mut issued = Vec::new();
    for spec in specs.map(|s| s.0).unwrap_or_default() {
        let sealed = spec.e_certificate && matches!(spec.kind.as_str(), "licence" | "certificate");
        let certificate_id = if sealed {
            seal_one(tx, vault, row, &spec, &issuer, valid_until, now).await?
        } else {
            String::new()
        };
        issued.push(events::IssuedResult {
            name: spec.name,
            certificate_id,
        });
    }
    Ok(issued)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::named;

    #[test]
    fn a_citizen_is_named_with_the_masked_document_an_enterprise_with_its_credit_code() {
        let citizen = named(None, "citizen", "钱七", "430903********1234");
        assert_eq!(
            citizen,
            json!({ "account_id": null, "kind": "citizen", "name": "钱七",
                    "document_masked": "430903********1234" })
        );
        let enterprise = named(None, "enterprise", "某某餐饮店", "91430903MA4L000001");
        assert_eq!(enterprise["name"], "某某餐饮店");
        assert_eq!(enterprise["credit_code"], "91430903MA4L000001");
        assert_eq!(enterprise["document_masked"], "91430903MA4L000001");
    }
}
