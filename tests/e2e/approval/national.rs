//! National cryptography on e-certificates (issue 29): the SM2 seal, verified here and by
//! OpenSSL and gmssl; the GB/T 36904 identifier and its type code list; the seal key sealed
//! under the KEK; and a certificate sealed with Ed25519 before, which still verifies.

use super::*;

/// The seal is SM2 over SM3 with the default identifier, its record names what GB/T 38540
/// names, OpenSSL and gmssl verify it and not a one-byte change; the certificate is named by a
/// GB/T 36904 identifier that finds it, and a wrong check character is refused naming it.
pub(super) async fn it_is_sealed_with_sm2_and_named_after_gb_t_36904(
    test: &TestPlatform,
    applicant: &str,
    sealed: &Value,
    certificate_id: &str,
) {
    let document = &sealed["document"];
    assert_eq!(document["seal"]["algorithm"], "SM2", "{document}");
    assert_eq!(
        document["seal"]["signature_algorithm"],
        "1.2.156.10197.1.501"
    );
    assert_eq!(document["seal"]["distinguishing_id"], "1234567812345678");
    let record = &sealed["seal"];
    assert_eq!(record["seal_id"], document["seal"]["key_id"]);
    assert_eq!(
        record["signer"]["credit_code"],
        document["issuer"]["credit_code"]
    );
    assert_eq!(record["hash_algorithm"], "1.2.156.10197.1.401");
    assert_eq!(
        record["signed_data"].as_str().unwrap().as_bytes(),
        tongban_approval::certificate::seal::canonical(document)
    );
    let signed = crate::gm::Signed::of_record(record);
    if crate::gm::tools() {
        let dir = tempfile::tempdir().unwrap();
        assert!(crate::gm::openssl_verifies(&signed, dir.path()));
        assert!(!crate::gm::openssl_verifies(&signed.changed(), dir.path()));
        assert_eq!(
            crate::gm::gmssl_verifies(&[signed.clone(), signed.changed()]),
            [true, false]
        );
    }

    let identifier = document["identifier"].as_str().unwrap();
    let parsed: tongban_kernel::CertificateId = identifier.parse().unwrap();
    assert_eq!(
        parsed.type_code(),
        "11430000MB1C00001G001",
        "营业执照 on the code list"
    );
    assert_eq!(parsed.issuer().as_str(), document["issuer"]["credit_code"]);
    assert_eq!(parsed.version(), 1);
    let found = test
        .get_json_as(
            applicant,
            &format!("/api/approval/v1/certificates/{identifier}"),
        )
        .await;
    assert_eq!(found["document"]["id"], certificate_id);
    let status = test
        .get_json(&test.url(&format!(
            "/api/approval/v1/certificates/{identifier}/status"
        )))
        .await
        .unwrap();
    assert_eq!(
        (status["valid"].as_bool(), status["identifier"].as_str()),
        (Some(true), Some(identifier))
    );
    let check = parsed.check_character();
    let other = if check == '0' { '1' } else { '0' };
    let wrong = format!("{}{other}", &identifier[..identifier.len() - 1]);
    let refused = test
        .http
        .get(test.url(&format!("/api/approval/v1/certificates/{wrong}/status")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["field"], "id", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{check} is expected")),
        "{body}"
    );
}

/// A certificate sealed with the department's Ed25519 key before SM2 came in (made here as the
/// platform made them then) still verifies, and the seal's public keys list both.
pub(super) async fn a_certificate_sealed_with_ed25519_before_still_verifies<F, Fut>(
    test: &TestPlatform,
    sealed: &Value,
    credit_code: &str,
    verify: &F,
) where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    use tongban_approval::certificate::seal::{SEALED, Seal};
    let old = Seal::generate();
    let vault = test.platform.settings.secrets.vault().unwrap();
    sqlx::query(
        "insert into approval.department_seals
             (department_credit_code, key_id, sealed_private_key, public_key, created_at)
         values ($1, $2, $3, $4, now() - interval '1 year')",
    )
    .bind(credit_code)
    .bind(&old.key_id)
    .bind(vault.seal(&SEALED.context(credit_code), &old.key.to_bytes()))
    .bind(old.key.verifying_key().to_bytes().to_vec())
    .execute(&test.db)
    .await
    .unwrap();
    let id = uuid::Uuid::now_v7();
    let mut document = sealed["document"].clone();
    let fields = document.as_object_mut().unwrap();
    fields.remove("identifier");
    fields.insert("id".into(), json!(id));
    fields.insert(
        "seal".into(),
        json!({ "key_id": old.key_id, "algorithm": "Ed25519" }),
    );
    let signature = old.sign(&document);
    sqlx::query(
        "insert into approval.certificates (id, case_id, certificate_type, holder_account_id,
             issuer_credit_code, document, signature, key_id, issued_at)
         select $1, case_id, certificate_type, holder_account_id, issuer_credit_code, $2, $3, $4,
                issued_at - interval '1 year'
         from approval.certificates where id = $5",
    )
    .bind(id)
    .bind(&document)
    .bind(&signature)
    .bind(&old.key_id)
    .bind(uuid::Uuid::parse_str(sealed["document"]["id"].as_str().unwrap()).unwrap())
    .execute(&test.db)
    .await
    .unwrap();
    let verified = verify(json!({ "document": document, "signature": signature })).await;
    assert_eq!(verified["status"], "valid", "{verified}");
    let mut changed = document.clone();
    changed["type"] = json!("营业执照（副本）");
    let verified = verify(json!({ "document": changed, "signature": signature })).await;
    assert_eq!(verified["status"], "altered", "{verified}");
    let seal = test
        .get_json(&test.url(&format!("/api/approval/v1/seals/{credit_code}")))
        .await
        .unwrap();
    let keys: Vec<(&str, &str, bool)> = seal["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["algorithm"].as_str().unwrap(),
                k["key_id"].as_str().unwrap(),
                k["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (
                "SM2",
                sealed["document"]["seal"]["key_id"].as_str().unwrap(),
                true
            ),
            ("Ed25519", old.key_id.as_str(), false)
        ]
    );
}

/// The department's seal key as the database holds it: sealed under the KEK, so whoever reads
/// the table has no key. Even the key itself (opened here with the platform's own KEK) re-seals
/// a changed certificate that verification calls `altered`: it is not what was issued.
pub(super) async fn the_seal_key_in_the_database_is_useless_without_the_kek<F, Fut>(
    test: &TestPlatform,
    credit_code: &str,
    tampered: &Value,
    verify: &F,
) where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    use tongban_approval::certificate::sm2_seal::{SEALED, Signer, Sm2Seal};
    use tongban_vault::sm2::Sm2Key;
    let (key_id, sealed, public): (String, Vec<u8>, Vec<u8>) = sqlx::query_as(
        "select key_id, sealed_private_key, public_key
         from approval.department_sm2_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert!(
        sealed.windows(32).all(|window| {
            Sm2Key::from_bytes(window).is_none_or(|key| key.public().to_sec1() != public)
        }),
        "no 32 bytes of the stored value are the seal's key"
    );
    let other =
        tongban_vault::Vault::from_base64(&tongban_vault::Vault::generate_kek(), "").unwrap();
    assert!(other.open(&SEALED.context(credit_code), &sealed).is_err());

    let vault = test.platform.settings.secrets.vault().unwrap();
    let secret = vault.open(&SEALED.context(credit_code), &sealed).unwrap();
    let stolen = Sm2Seal {
        key_id,
        key: Sm2Key::from_bytes(&secret).unwrap(),
    };
    assert_eq!(
        stolen.key.public().to_sec1(),
        public,
        "the KEK opens the department's seal key (the test above is not vacuous)"
    );
    let signer = Signer {
        credit_code: credit_code.into(),
        name: String::new(),
    };
    let (signature, _) = stolen.sign(tampered, signer, chrono::Utc::now());
    let resealed = verify(json!({ "document": tampered, "signature": signature })).await;
    assert_eq!(
        (resealed["valid"].as_bool(), resealed["status"].as_str()),
        (Some(false), Some("altered")),
        "{resealed}"
    );
}

/// The certificate type code list: public to read; a provincial catalogue admin adds a type,
/// nobody else may; a malformed code and a name already listed are refused, naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_province_extends_the_certificate_type_list() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let list = test
        .get_json(&test.url("/api/approval/v1/certificate-types"))
        .await
        .unwrap();
    let listed = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["type_code"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        listed(&list, "营业执照").as_deref(),
        Some("11430000MB1C00001G001")
    );
    assert_eq!(
        listed(&list, "其他证照").as_deref(),
        Some("11430000MB1C00001G999")
    );

    let province = test.staff_token().await.to_owned();
    let admin = test.admin("types.admin", "430000000000").await;
    let (_, county) = test
        .staff_with_role(&admin, "types.county", "catalogue_admin", "430903000000")
        .await;
    let put = |token: String, code: &str, name: &str| {
        let request = test
            .http
            .put(test.url(&format!("/api/approval/v1/certificate-types/{code}")))
            .bearer_auth(token)
            .json(&json!({ "name": name }));
        async move { request.send().await.unwrap() }
    };
    let code = format!("{}101", crate::harness::credit_code(77));
    let added = put(province.clone(), &code, "道路运输经营许可证").await;
    assert_eq!(added.status(), 200);
    let list = test
        .get_json(&test.url("/api/approval/v1/certificate-types"))
        .await
        .unwrap();
    assert_eq!(listed(&list, "道路运输经营许可证"), Some(code.clone()));

    let refused = put(
        county,
        &format!("{}102", crate::harness::credit_code(77)),
        "渔业捕捞许可证",
    )
    .await;
    assert_eq!(
        refused.status(),
        403,
        "a county's catalogue admin does not keep the list"
    );
    let malformed = put(province.clone(), "11430000MB1C00001X101", "渔业捕捞许可证").await;
    assert_eq!(malformed.status(), 422);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["field"], "type_code", "{body}");
    let taken = put(
        province,
        &format!("{}103", crate::harness::credit_code(77)),
        "营业执照",
    )
    .await;
    assert_eq!(taken.status(), 409);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["code"], "type_name_taken", "{body}");
    test.stop().await;
}
