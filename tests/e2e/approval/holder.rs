//! The applicant downstream (issue 25): a case 赫山区's window takes in for a named citizen and
//! 长沙县 decides. The transfer and the back office's work item name the applicant (name, masked
//! document, real-name level); the e-certificate names its holder under its seal; the window
//! that took the case in, and hands the result out, reads the certificate, while another
//! county's clerk and a clerk restricted to another department do not.

use super::*;
use crate::transfers::{
    CHANGSHA_COUNTY, Staff, collected_in_heshan, submitted_and_accepted, transfer_of,
    work_item_where,
};

/// The citizen the window takes the case in for.
const NAME: &str = "钱七";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_holder_is_named_downstream_and_the_collecting_window_reads_the_certificate() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (code, staff) = collected_in_heshan(&test).await;
    let id_card = tongban_kernel::IdCardNumber::complete("43090319880808123").unwrap();
    let masked = id_card.masked();

    let id = taken_in_with_identity_checked(&test, &staff, &code, id_card.as_str()).await;
    let tid = the_transfer_names_the_applicant(&test, &staff, &id, &masked).await;
    the_work_item_names_the_applicant(&test, &staff, &id, &tid, &masked).await;
    let certificate = the_certificate_names_its_holder(&test, &staff, &id, &masked).await;
    the_collecting_window_reads_it_and_nobody_else(&test, &staff, &certificate).await;
    test.stop().await;
}

/// 赫山区's clerk takes the case in for 钱七, checks the original ID (level 3), and accepts it;
/// the case's id.
async fn taken_in_with_identity_checked(
    test: &TestPlatform,
    staff: &Staff,
    code: &str,
    id_card: &str,
) -> String {
    let (status, case) = post(
        test,
        &staff.heshan_clerk,
        "/api/acceptance/v1/cases/intake",
        json!({
            "implementation_code": code, "receiving_region": HESHAN,
            "applicant": { "kind": "citizen", "name": NAME, "id_type": "resident_id_card",
                           "document_number": id_card },
        }),
    )
    .await;
    assert_eq!(
        (status, case["mode"].as_str()),
        (201, Some("collect_elsewhere")),
        "{case}"
    );
    let id = case["id"].as_str().unwrap().to_owned();
    let (status, checked) = post(
        test,
        &staff.heshan_clerk,
        &format!("/api/acceptance/v1/cases/{id}/identity-check"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, checked["real_name_level"].as_i64()),
        (200, Some(3)),
        "{checked}"
    );
    submitted_and_accepted(test, &staff.heshan_clerk, &case).await;
    id
}

async fn the_transfer_names_the_applicant(
    test: &TestPlatform,
    staff: &Staff,
    id: &str,
    masked: &str,
) -> String {
    let applicant = json!({ "kind": "citizen", "name": NAME, "document_masked": masked,
                            "real_name_level": 3 });
    for token in [&staff.heshan_clerk, &staff.changsha] {
        let transfer = transfer_of(test, token, id, 1).await;
        assert_eq!(transfer["applicant"], applicant, "{transfer}");
    }
    let transfer = transfer_of(test, &staff.changsha, id, 1).await;
    transfer["id"].as_str().unwrap().to_owned()
}

async fn the_work_item_names_the_applicant(
    test: &TestPlatform,
    staff: &Staff,
    id: &str,
    tid: &str,
    masked: &str,
) {
    let (status, taken) = post(
        test,
        &staff.changsha,
        &format!("/api/crossregion/v1/transfers/{tid}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{taken}");
    let item = work_item_where(test, &staff.changsha, id, "transfer", "accepted").await;
    let named = |item: &Value| {
        (
            item["applicant_kind"].as_str().map(str::to_owned),
            item["applicant_name"].as_str().map(str::to_owned),
            item["applicant_document_masked"]
                .as_str()
                .map(str::to_owned),
            item["real_name_level"].as_i64(),
        )
    };
    let expected = (
        Some("citizen".to_owned()),
        Some(NAME.to_owned()),
        Some(masked.to_owned()),
        Some(3),
    );
    assert_eq!(named(&item), expected, "{item}");
    let queue = test
        .get_json_as(
            &staff.changsha,
            &format!("/api/approval/v1/work-items?region_code={CHANGSHA_COUNTY}"),
        )
        .await;
    let listed = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_id"] == id)
        .unwrap_or_else(|| panic!("{queue}"));
    assert_eq!(
        named(listed),
        expected,
        "the queue names them too: {listed}"
    );
}

/// 长沙县 approves: the certificate names 钱七 with the masked document, sealed, and verifies.
/// The certificate's id.
async fn the_certificate_names_its_holder(
    test: &TestPlatform,
    staff: &Staff,
    id: &str,
    masked: &str,
) -> String {
    let step = |action: &str| format!("/api/approval/v1/work-items/{id}/steps/2/{action}");
    assert_eq!(
        post(test, &staff.changsha, &step("claim"), json!({}))
            .await
            .0,
        200
    );
    let (status, decided) = post(
        test,
        &staff.changsha,
        &step("decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    let certificate = decided["certificates"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{decided}"))
        .to_owned();
    let sealed = test
        .get_json_as(
            &staff.changsha,
            &format!("/api/approval/v1/certificates/{certificate}"),
        )
        .await;
    let holder = &sealed["document"]["holder"];
    assert_eq!(
        (
            holder["kind"].as_str(),
            holder["name"].as_str(),
            holder["document_masked"].as_str()
        ),
        (Some("citizen"), Some(NAME), Some(masked)),
        "{sealed}"
    );
    // The name is under the seal: the certificate verifies, and another name does not.
    let verify = |document: &Value| {
        let body = json!({ "document": document, "signature": sealed["signature"] });
        let request = test
            .http
            .post(test.url("/api/approval/v1/certificates/verify"))
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(verify(&sealed["document"]).await["status"], "valid");
    let mut renamed = sealed["document"].clone();
    renamed["holder"]["name"] = json!("孙八");
    assert_eq!(verify(&renamed).await["status"], "altered");
    certificate
}

/// 赫山区's window clerk (who hands the licence out) reads the certificate though the work item
/// is 长沙县's; 安化县's clerk and approver, and a 赫山区 clerk restricted to another department,
/// get 404.
async fn the_collecting_window_reads_it_and_nobody_else(
    test: &TestPlatform,
    staff: &Staff,
    certificate: &str,
) {
    let path = format!("/api/approval/v1/certificates/{certificate}");
    let read = test.get_as(&staff.heshan_clerk, &path).await;
    assert_eq!(read.status(), 200, "the collecting window");
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["document"]["holder"]["name"], NAME);
    assert_eq!(
        test.get_as(&staff.heshan_supervisor, &path).await.status(),
        200,
        "the collecting region's supervisor"
    );
    let admin = test.admin("holder.admin", "430000000000").await;
    let restricted = test
        .staff_of_department(
            &admin,
            "heshan.other.clerk",
            "window_clerk",
            HESHAN,
            &uuid::Uuid::now_v7().to_string(),
        )
        .await;
    for (who, token) in [
        ("安化县's clerk", &staff.anhua_clerk),
        ("安化县's approver", &staff.anhua_approver),
        ("a clerk of another department", &restricted),
    ] {
        assert_eq!(test.get_as(token, &path).await.status(), 404, "{who}");
    }
}
