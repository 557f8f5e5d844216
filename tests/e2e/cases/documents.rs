//! The documents a hall prints (issue 25): 受理通知书, 一次性告知书, 补正材料收取凭证 and
//! 不予受理通知书, rendered by the platform from the case and printed by a real Chromium
//! (`tests/browser/documents.mjs`) to A4 PDFs of one or two pages that carry the case number,
//! the applicant's name and the seal's name. The PDFs and screenshots are kept under
//! `target/test-output/documents/`.

use super::*;
use crate::dashboard::{CHROMIUM, browser_tools, print_documents};

/// A window case of 王五 taken in at 赫山区's hall by `clerk`, with the two required
/// materials, submitted: (id, material codes, number).
async fn window_case(
    test: &TestPlatform,
    clerk: &str,
    code: &str,
    n: u32,
) -> (String, Vec<String>, String) {
    let id_card = IdCardNumber::complete(&format!("43090319850505{n:03}")).unwrap();
    let (status, case) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        json!({
            "implementation_code": code, "receiving_region": HESHAN,
            "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card",
                           "document_number": id_card.as_str(), "phone": "13912345678" },
        }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    let materials: Vec<String> = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["material_code"].as_str().unwrap().to_owned())
        .collect();
    for material in &materials[..2] {
        assert_eq!(
            upload(test, clerk, &id, material, "application/pdf")
                .await
                .0,
            204
        );
    }
    let (status, submitted) = submit(test, clerk, &id).await;
    assert_eq!(status, 200, "{submitted}");
    let number = submitted["case"]["number"].as_str().unwrap().to_owned();
    (id, materials, number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_printable_document_prints_to_one_or_two_a4_pages_with_number_name_and_seal() {
    let browser = browser_tools();
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("print.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "print.clerk", "window_clerk", HESHAN)
        .await;
    let (_, sibling) = test
        .staff_with_role(&admin, "print.sibling", "window_clerk", ANHUA)
        .await;
    let seal = "赫山区政务服务中心综合受理专用章";
    let documents = |id: &str| format!("/api/acceptance/v1/cases/{id}/documents");

    // One case corrected, resubmitted and accepted with a 容缺 material.
    let (accepted, materials, number) = window_case(&test, &clerk, &code, 61).await;
    let (status, body) = status_and_body(
        test.get_as(
            &clerk,
            &format!("{}/correction-notice", documents(&accepted)),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("no_correction_notice"))
    );
    let fix = json!({ "items": [{ "material_code": materials[0], "reason": "申请书未签名" }] });
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{accepted}/correction"),
        fix,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = status_and_body(
        test.get_as(
            &clerk,
            &format!("{}/corrections-received", documents(&accepted)),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("not_resubmitted"))
    );
    assert_eq!(
        upload(&test, &clerk, &accepted, &materials[0], "application/pdf")
            .await
            .0,
        204
    );
    let (status, _) = submit(&test, &clerk, &accepted).await;
    assert_eq!(status, 200);
    let (status, body) = status_and_body(
        test.http
            .post(test.url(&format!("{}/receipt", documents(&accepted))))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_accepted")));
    accepted_deferring(&test, &clerk, &accepted, &materials).await;

    // Another refused.
    let (refused, _, refused_number) = window_case(&test, &clerk, &code, 62).await;
    let (status, body) = status_and_body(
        test.get_as(&clerk, &format!("{}/refusal", documents(&refused)))
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_refused")));
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{refused}/refuse"),
        json!({ "reason": "申请事项不属于本机关职权范围" }),
    )
    .await;
    assert_eq!(status, 200);
    // Another county's clerk cannot print them.
    let (status, _) = status_and_body(
        test.get_as(&sibling, &format!("{}/refusal", documents(&refused)))
            .await,
    )
    .await;
    assert_eq!(status, 404);

    let spec = json!({ "documents": [
        { "name": "receipt", "method": "POST", "token": clerk,
          "url": test.url(&format!("{}/receipt", documents(&accepted))),
          "expect": ["受理通知书", number, "王五", seal, "容缺后补", "查询密码"] },
        { "name": "correction-notice", "token": clerk,
          "url": test.url(&format!("{}/correction-notice", documents(&accepted))),
          "expect": ["一次性告知书", number, "王五", seal, "申请书未签名"] },
        { "name": "corrections-received", "token": clerk,
          "url": test.url(&format!("{}/corrections-received", documents(&accepted))),
          "expect": ["补正材料收取凭证", number, "王五", seal, "申请书未签名"] },
        { "name": "refusal", "token": clerk,
          "url": test.url(&format!("{}/refusal", documents(&refused))),
          "expect": ["不予受理通知书", refused_number, "王五", seal,
                     "申请事项不属于本机关职权范围", "行政复议", "行政诉讼"] },
    ]});
    if !browser {
        eprintln!(
            "skipped the printing: node, {CHROMIUM} or tests/browser/node_modules is missing"
        );
        test.stop().await;
        return;
    }
    print_documents("documents", spec, 2).await;
    test.stop().await;
}
