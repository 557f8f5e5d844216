//! A certificate's printable face (issue 25): an approved case's e-certificate printed by a
//! real Chromium (`tests/browser/documents.mjs`) to one A4 page with its identifier, the
//! holder's masked document, the department's seal and a QR code of its public status; that
//! status, read without an account, says valid, then revoked once the department revokes it.
//! The PDF and screenshot are kept under `target/test-output/certificate-face/`.

use super::*;
use crate::dashboard::{CHROMIUM, browser_tools, print_documents};

/// The value of `text` between `before` and the next `<` in `page`.
fn printed_after<'a>(page: &'a str, before: &str) -> &'a str {
    let start = page
        .find(before)
        .unwrap_or_else(|| panic!("{before} in the face"))
        + before.len();
    page[start..].split('<').next().unwrap().trim()
}

/// `case` taken through its three steps by the department's approvers and approved; the id of
/// the e-certificate it issued.
async fn approved_certificate(test: &TestPlatform, staff: &Staff, case: &str) -> String {
    let [(_, a), (_, b), (_, c)] = &staff.approvers;
    opened(test, a, case).await;
    handle_step(test, a, case, 2, "材料齐全").await;
    handle_step(test, b, case, 3, "同意").await;
    let claim = format!("/api/approval/v1/work-items/{case}/steps/4/claim");
    assert_eq!(post(test, c, &claim, json!({})).await.0, 200);
    let (status, approved) = post(
        test,
        c,
        &format!("/api/approval/v1/work-items/{case}/steps/4/decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    approved["certificates"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_certificates_face_prints_on_one_a4_page_and_its_qr_status_follows_revocation() {
    let browser = browser_tools();
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 41).await;
    let (case, _) = accepted_case(&test, &applicant, &staff.clerk, &code).await;
    let id = approved_certificate(&test, &staff, &case).await;
    let certificate = test
        .get_json_as(&applicant, &format!("/api/approval/v1/certificates/{id}"))
        .await;
    let masked = certificate["document"]["holder"]["document_masked"]
        .as_str()
        .unwrap()
        .to_owned();
    let issuer = certificate["document"]["issuer"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(masked.contains('*') && !issuer.is_empty(), "{certificate}");
    // Named when the case knew the applicant's name (certificates before that were not).
    let name = certificate["document"]["holder"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Same access as the certificate: its holder and the staff who see the case.
    let face = format!("/api/approval/v1/certificates/{id}/face");
    // The face names it by its GB/T 36904 identifier, and its QR code leads to the status
    // under that name.
    let identifier = certificate["document"]["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let status_path = format!("/api/approval/v1/certificates/{identifier}/status");
    assert_eq!(test.get_as(&staff.sibling, &face).await.status(), 404);
    assert_eq!(
        test.get_as(&staff.other_department, &face).await.status(),
        404
    );
    let anonymous = test.http.get(test.url(&face)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let page = test.get_as(&staff.supervisor, &face).await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    let page = page.text().await.unwrap();
    assert!(page.contains("<svg "), "the QR code is inline SVG");
    assert!(
        page.contains(&format!("证照标识：{identifier}")),
        "the identifier is printed"
    );
    assert!(
        page.contains(&format!("<p>http://127.0.0.1:8080{status_path}</p>")),
        "the status URL printed under approval.public_url (its default: the gateway here)"
    );
    let printed_digest = printed_after(&page, "文档摘要（SHA-256）：").to_owned();

    // The status the QR code leads to, without an account: valid, holder masked, same digest.
    let status = test.get_json(&test.url(&status_path)).await.unwrap();
    assert_eq!(
        (status["status"].as_str(), status["valid"].as_bool()),
        (Some("valid"), Some(true)),
        "{status}"
    );
    assert_eq!(status["document_sha256"], printed_digest.as_str());
    assert_eq!(status["issuer_name"], issuer.as_str());
    assert_eq!(status["certificate_type"], "营业执照");
    assert_eq!(status["holder"]["document_masked"], masked.as_str());
    assert!(
        name.chars().count() < 2 || !status.to_string().contains(&name),
        "the holder's name is masked: {status}"
    );
    assert!(
        status.get("document").is_none() && status.get("signature").is_none(),
        "not the certificate itself: {status}"
    );
    let unknown = format!(
        "/api/approval/v1/certificates/{}/status",
        uuid::Uuid::now_v7()
    );
    let unknown = test.http.get(test.url(&unknown)).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    if browser {
        let spec = json!({ "documents": [
            { "name": "certificate-face", "token": applicant, "url": test.url(&face),
              "expect": ["营业执照", identifier, masked, name, issuer, format!("{issuer}电子印章"),
                         status_path, printed_digest] },
        ]});
        print_documents("certificate-face", spec, 1).await;
    } else {
        eprintln!(
            "skipped the printing: node, {CHROMIUM} or tests/browser/node_modules is missing"
        );
    }

    // Revoked by the department: the status says so, and when.
    let [_, _, (_, c)] = &staff.approvers;
    let revoke = format!("/api/approval/v1/certificates/{id}/revoke");
    assert_eq!(
        post(&test, c, &revoke, json!({ "reason": "申请人申请注销" }))
            .await
            .0,
        200
    );
    let status = test.get_json(&test.url(&status_path)).await.unwrap();
    assert_eq!(
        (
            status["status"].as_str(),
            status["valid"].as_bool(),
            status["revoked_at"].is_string()
        ),
        (Some("revoked"), Some(false), true),
        "{status}"
    );
    let page = test.get_as(&applicant, &face).await.text().await.unwrap();
    assert!(page.contains("本证照已于"), "the face says it was revoked");
    test.stop().await;
}
