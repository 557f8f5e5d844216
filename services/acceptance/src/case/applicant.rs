//! Who applies, as the hall that serves them sees them (issue 25): the name, the document
//! masked, the phone masked, and the real-name level on the case. An online applicant's
//! identity is asked of identity with their own token when the draft is opened (the answer
//! they wait on); a window applicant's is what the clerk entered from the document.
//!
//! The full document number is kept twice, neither time readable from a copy of the
//! database: as HMAC-SHA256 under a key of the service's own (sealed under the KEK), which
//! staff search finds a case by without a plain index of ID numbers; and sealed under the KEK
//! for the one reader who needs it, the accepting clerk's identity check (recorded in the
//! history as an access).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::PgPool;
use uuid::Uuid;
use zeroize::Zeroizing;

use tongban_kernel::{CreditCode, Error, IdType, PhoneNumber};
use tongban_runtime::config::HttpSettings;
use tongban_vault::Vault;
use tongban_vault::store::Column;

/// Where a case's full document number is kept, sealed under the KEK.
pub const SEALED: Column = Column {
    schema: "acceptance",
    table: "cases",
    key: "id",
    column: "applicant_document_sealed",
};

const INDEX_KEY: &str = "document_index_key";

/// An applicant as a case records them.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// citizen or enterprise.
    pub kind: &'static str,
    pub name: String,
    /// The document number in full, normalized (upper case, no spaces).
    pub document: Zeroizing<String>,
    /// As shown to staff: an ID number's first six and last four; a credit code whole.
    pub document_masked: String,
    /// 138****5678, when the applicant gave a phone.
    pub phone_masked: Option<String>,
}

impl Applicant {
    /// A citizen with a document of `id_type`, or an enterprise (`id_type` none) with its credit
    /// code; 400 naming `field` for a number that is not one.
    pub fn new(
        name: String,
        id_type: Option<IdType>,
        number: &str,
        phone: Option<&str>,
        field: &str,
    ) -> Result<Self, Error> {
        let (kind, document, document_masked) = match id_type {
            Some(id_type) => {
                let number = id_type
                    .normalize(number)
                    .map_err(|e| Error::bad_request(field, e))?;
                let masked = id_type.mask(&number);
                ("citizen", number, masked)
            }
            None => {
                let code: CreditCode = number.trim().parse().map_err(
                    |e: tongban_kernel::credit::InvalidCreditCode| {
                        Error::bad_request(field, e.to_string())
                    },
                )?;
                ("enterprise", code.to_string(), code.to_string())
            }
        };
        let phone_masked = phone
            .and_then(|p| p.parse::<PhoneNumber>().ok())
            .map(|p| p.masked());
        Ok(Self {
            kind,
            name,
            document: Zeroizing::new(document),
            document_masked,
            phone_masked,
        })
    }
}

/// What identity answers at `/v1/accounts/me/applicant`.
#[derive(Deserialize)]
struct Answer {
    kind: String,
    name: String,
    id_type: Option<IdType>,
    document_number: String,
    phone: Option<String>,
}

/// Reads applicants' identities from identity, and keeps their document numbers (indexed and
/// sealed).
pub struct Identities {
    key: Zeroizing<Vec<u8>>,
    vault: Vault,
    client: reqwest::Client,
    /// Identity's base URL.
    identity: String,
}

impl Identities {
    /// The service's index key (made and sealed the first time), and identity at
    /// `http.upstreams["identity"]`.
    pub async fn load(pool: &PgPool, vault: Vault, http: &HttpSettings) -> Result<Self, Error> {
        let key = super::password::service_key(pool, &vault, INDEX_KEY).await?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_idle_timeout(http.client_idle_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::internal)?;
        Ok(Self {
            key,
            vault,
            client,
            identity: http.upstream("identity").to_owned(),
        })
    }

    /// The applicant behind `bearer` (the caller's own access token), as identity knows them.
    /// 503 when identity cannot be asked: the draft waits for it rather than open nameless.
    pub async fn of_token(&self, bearer: &str) -> Result<Applicant, Error> {
        let url = format!("{}/v1/accounts/me/applicant", self.identity);
        let unavailable = |e: String| Error::Unavailable(format!("identity ({url}): {e}"));
        let response = self
            .client
            .get(&url)
            .bearer_auth(bearer)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("answered {}", response.status())));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let id_type = match answer.kind.as_str() {
            "enterprise" => None,
            _ => Some(answer.id_type.unwrap_or(IdType::ResidentIdCard)),
        };
        Applicant::new(
            answer.name,
            id_type,
            &answer.document_number,
            answer.phone.as_deref(),
            "applicant",
        )
        .map_err(|e| unavailable(format!("an applicant identity acceptance cannot read: {e}")))
    }

    /// What search finds a document number by: HMAC-SHA256 of the number as written on the
    /// document (trimmed, spaces dropped, upper case).
    pub fn index(&self, document: &str) -> Vec<u8> {
        let normal: String = document
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(normal.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The full number sealed for case `case`.
    pub fn seal(&self, case: Uuid, document: &str) -> Vec<u8> {
        self.vault
            .seal(&SEALED.context(&case.to_string()), document.as_bytes())
    }

    /// The full number of case `case` from its sealed blob.
    pub fn open(&self, case: Uuid, blob: &[u8]) -> Result<Zeroizing<String>, Error> {
        let plain = self
            .vault
            .open(&SEALED.context(&case.to_string()), blob)
            .map_err(|e| {
                Error::internal(format!("the applicant's document of case {case}: {e}"))
            })?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_citizen_is_shown_masked_and_an_enterprise_by_its_credit_code() {
        let number = tongban_kernel::IdCardNumber::complete("43090319900101123").unwrap();
        let typed = format!(" {} ", number.as_str().to_ascii_lowercase());
        let citizen = Applicant::new(
            "李四".into(),
            Some(IdType::ResidentIdCard),
            &typed,
            Some("13812345678"),
            "applicant",
        )
        .unwrap();
        assert_eq!(citizen.kind, "citizen");
        assert_eq!(citizen.document.as_str(), number.as_str());
        assert_eq!(citizen.document_masked, number.masked());
        assert_eq!(citizen.phone_masked.as_deref(), Some("138****5678"));
        let bad = Applicant::new(
            "李四".into(),
            Some(IdType::ResidentIdCard),
            "123",
            None,
            "f",
        );
        assert_eq!(bad.unwrap_err().status(), 400);

        let code = CreditCode::complete("91430903MA4L0Q8X2").unwrap();
        let enterprise =
            Applicant::new("某公司".into(), None, code.as_str(), Some("x"), "applicant").unwrap();
        assert_eq!(enterprise.kind, "enterprise");
        assert_eq!(enterprise.document_masked, code.as_str());
        assert_eq!(
            enterprise.phone_masked, None,
            "a phone that is not one is not shown"
        );
    }

    #[test]
    fn the_index_finds_a_number_however_it_was_typed_and_only_under_its_key() {
        let identities = |key: u8| Identities {
            key: Zeroizing::new(vec![key; 32]),
            vault: Vault::new(&[1u8; 16], &[]),
            client: reqwest::Client::new(),
            identity: String::new(),
        };
        let one = identities(7);
        assert_eq!(
            one.index("43090319900101123x"),
            one.index(" 430903 19900101123X")
        );
        assert_ne!(
            one.index("43090319900101123X"),
            one.index("43090319900101124X")
        );
        assert_ne!(
            identities(8).index("43090319900101123X"),
            one.index("43090319900101123X")
        );
        let id = Uuid::now_v7();
        let sealed = one.seal(id, "43090319900101123X");
        assert_eq!(
            one.open(id, &sealed).unwrap().as_str(),
            "43090319900101123X"
        );
        assert!(
            one.open(Uuid::now_v7(), &sealed).is_err(),
            "sealed for its own case"
        );
    }
}
