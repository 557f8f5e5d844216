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

use super::identifier;
use super::sm2_seal::{self, Signer};
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

/// The document of e-certificate `id` (named `identifier`) of `spec` for the applicant of `row`,
/// to be sealed with SM2 seal `key_id`.
#[allow(clippy::too_many_arguments)]
fn document(
    id: Uuid,
    identifier: &str,
    spec: &ResultSpec,
    row: &Row,
    issuer: &Issuer,
    key_id: &str,
    valid_until: Option<NaiveDate>,
    now: Now,
) -> Value {
    json!({
        "id": id,
        "identifier": identifier,
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
        "seal": sm2_seal::named(key_id),
    })
}

/// What the results of one decision are issued under.
pub struct Issuing<'a> {
    pub vault: &'a Vault,
    pub row: &'a Row,
    /// For certificates that expire.
    pub valid_until: Option<NaiveDate>,
    pub now: Now,
    /// The approver who decided (the audit chain names them as the issuer's hand).
    pub by: Uuid,
}

/// Identifies, seals (SM2), stores, audits and announces one e-certificate of `spec`; its id.
async fn seal_one(
    tx: &mut PgConnection,
    issuing: &Issuing<'_>,
    issuer: &Issuer,
    spec: &ResultSpec,
) -> Result<String, Error> {
    let Issuing {
        vault,
        row,
        valid_until,
        now,
        by,
    } = *issuing;
    let seal = sm2_seal::stored(tx, vault, &issuer.credit_code, now.at).await?;
    let id = Uuid::now_v7();
    let identifier = identifier::identify(tx, &spec.name, &issuer.credit_code, id)
        .await?
        .to_string();
    let document = document(
        id,
        &identifier,
        spec,
        row,
        issuer,
        &seal.key_id,
        valid_until,
        now,
    );
    let signer = Signer {
        credit_code: issuer.credit_code.clone(),
        name: issuer.name.clone(),
    };
    let (signature, record) = seal.sign(&document, signer, now.at);
    sqlx::query(
        "insert into certificates (id, case_id, certificate_type, holder_account_id,
             issuer_credit_code, document, signature, key_id, issued_at, identifier, seal)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .bind(&identifier)
    .bind(Jsonb(&record))
    .execute(&mut *tx)
    .await?;
    let audited = json!({ "certificate_id": id, "case_number": row.case_number,
        "type": spec.name, "issuer": issuer.credit_code, "data_hash": record.data_hash });
    let action = tongban_audit::Action {
        actor: Some(by),
        action: "certificate_issued",
        subject: &identifier,
        detail: &audited,
        at: now.at,
    };
    tongban_audit::append(tx, action).await?;
    let key = id.to_string();
    let event = events::CertificateIssued {
        certificate_id: key.clone(),
        identifier,
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
    issuing: &Issuing<'_>,
) -> Result<Vec<events::IssuedResult>, Error> {
    let row = issuing.row;
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
            seal_one(tx, issuing, &issuer, &spec).await?
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
