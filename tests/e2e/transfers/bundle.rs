//! 多地联办: a 一件事 bundle of three regions' items, taken in at 赫山区 only, each part decided at
//! home, one sent back and again, the whole delivered where it was taken in.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    ANHUA, CHANGSHA_COUNTY, case_where, item_of, submitted_and_accepted, taken_in_once_agreed,
    transfer_of,
};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_three_region_bundle_is_taken_in_once_decided_at_home_and_delivered_where_it_came_in() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (bundle_id, changsha_item, anhua_item, province) =
        a_bundle_of_three_regions_items_is_published(&test).await;
    let (clerk, intake, approvers) =
        a_heshan_clerk_and_an_approver_in_each_region(&test, &bundle_id).await;
    let (id, parts) = the_bundle_is_taken_in_once_the_regions_agreed(
        &test,
        &clerk,
        &intake,
        &changsha_item,
        &anhua_item,
        &province,
    )
    .await;
    let transfers = two_parts_go_out_as_transfers(&test, &clerk, &id, &approvers).await;
    let second = anhua_sends_its_part_back_and_only_that_part_goes_again(
        &test, &approvers, &transfers, &id, &parts, &clerk,
    )
    .await;
    anhua_reads_the_materials_entered_once(&test, &id, &parts, &approvers).await;
    each_region_decides_its_part_at_home(&test, &approvers, &transfers, &parts, &second).await;
    the_application_is_delivered_where_it_came_in(&test, &id, &clerk).await;
    test.stop().await;
}

pub(super) async fn a_bundle_of_three_regions_items_is_published(
    test: &TestPlatform,
) -> (String, String, String, String) {
    let province = test.staff_token().await.to_owned();
    let (heshan_item, lead) = item_of(
        test,
        ("014300001000", "个体工商户登记"),
        HESHAN,
        "赫山区市场监督管理局",
        811,
    )
    .await;
    let (changsha_item, _) = item_of(
        test,
        ("014300003000", "食品经营许可"),
        CHANGSHA_COUNTY,
        "长沙县市场监督管理局",
        812,
    )
    .await;
    let (anhua_item, _) = item_of(
        test,
        ("014300004000", "卫生许可"),
        ANHUA,
        "安化县卫生健康局",
        813,
    )
    .await;
    let codes = [
        heshan_item.clone(),
        changsha_item.clone(),
        anhua_item.clone(),
    ];
    let (status, draft) = post(
        test,
        &province,
        "/api/catalogue/v1/bundles",
        json!({ "region_code": HESHAN, "spec": {
            "name": "开办餐饮店一件事（跨域）", "description": "三地事项一窗受理",
            "lead_department_credit_code": lead, "items": codes,
        }}),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let bundle_id = draft["id"].as_str().unwrap().to_owned();
    let (status, _) = post(
        test,
        &province,
        &format!("/api/catalogue/v1/bundles/{bundle_id}/publish"),
        json!({ "version": 1 }),
    )
    .await;
    assert_eq!(status, 200);
    test.eventually_counts(
        "every service to learn the items and the bundle",
        "select (select count(*) from acceptance.offered_bundles)
              + (select count(*) from approval.item_versions)
              + (select count(*) from crossregion.items where department_id is not null)",
        7,
    )
    .await;
    (bundle_id, changsha_item, anhua_item, province)
}

pub(super) async fn a_heshan_clerk_and_an_approver_in_each_region(
    test: &TestPlatform,
    bundle_id: &str,
) -> (String, Value, Vec<String>) {
    let admin = test.admin("joint.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "joint.heshan.clerk", "window_clerk", HESHAN)
        .await;
    let mut approvers = Vec::new();
    for (name, region) in [
        ("joint.heshan", HESHAN),
        ("joint.changsha", CHANGSHA_COUNTY),
        ("joint.anhua", ANHUA),
    ] {
        approvers.push(
            test.staff_with_role(&admin, name, "approver", region)
                .await
                .1,
        );
    }
    let id_card = tongban_kernel::IdCardNumber::complete("43090319850505321").unwrap();
    let intake = json!({
        "bundle_id": bundle_id, "receiving_region": HESHAN,
        "applicant": { "kind": "citizen", "name": "孙七", "id_type": "resident_id_card",
                       "document_number": id_card.as_str() },
    });
    (clerk, intake, approvers)
}

pub(super) async fn the_bundle_is_taken_in_once_the_regions_agreed(
    test: &TestPlatform,
    clerk: &str,
    intake: &Value,
    changsha_item: &str,
    anhua_item: &str,
    province: &str,
) -> (String, Vec<(String, String)>) {
    // Without an agreement for the other regions' items, the bundle cannot be taken in; the
    // refusal names the member.
    let (status, refused) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        intake.clone(),
    )
    .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("receiving_region")),
        "{refused}"
    );
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains(changsha_item) || message.contains(anhua_item),
        "{message}"
    );
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (status, _) = post(
        test,
        province,
        "/api/crossregion/v1/agreements",
        json!({ "title": "开办餐饮店多地联办", "mode": "joint", "items": [changsha_item, anhua_item],
                "collecting_regions": [HESHAN], "effective_from": today }),
    )
    .await;
    assert_eq!(status, 201);
    let case = taken_in_once_agreed(test, clerk, intake).await;
    assert_eq!(case["mode"], "joint", "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    let accepted = submitted_and_accepted(test, clerk, &case).await;
    let parts: Vec<(String, String)> = accepted["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["handling_region"].as_str().unwrap().to_owned(),
                p["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (id, parts)
}

pub(super) async fn two_parts_go_out_as_transfers(
    test: &TestPlatform,
    clerk: &str,
    id: &str,
    approvers: &[String],
) -> Vec<Value> {
    let id = id.to_owned();
    // 赫山区's own part is local; the other two go out as transfers, one to each region.
    let transfers = eventually("two transfers", Duration::from_secs(30), || async {
        let listed = test
            .get_json_as(
                clerk,
                "/api/crossregion/v1/transfers?side=receiving&region_code=430903000000",
            )
            .await;
        let listed = listed.as_array()?.clone();
        (listed.len() == 2).then_some(listed)
    })
    .await;
    assert!(
        transfers
            .iter()
            .all(|t| t["mode"] == "joint" && t["kind"] == "part")
    );
    assert!(transfers.iter().all(|t| t["parent_case_id"] == id.as_str()));
    // A page at a time, newest first.
    let first = test
        .get_json_as(clerk, "/api/crossregion/v1/transfers?limit=1")
        .await;
    let second = test
        .get_json_as(
            clerk,
            &format!(
                "/api/crossregion/v1/transfers?limit=1&after={}",
                first[0]["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        (first[0]["id"].clone(), second[0]["id"].clone()),
        (transfers[0]["id"].clone(), transfers[1]["id"].clone())
    );
    let transfer_to = |region: &str| {
        transfers
            .iter()
            .find(|t| t["handling_region"] == region)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let anhua = &approvers[2];
    assert_eq!(
        test.get_as(
            anhua,
            &format!(
                "/api/crossregion/v1/transfers/{}",
                transfer_to(CHANGSHA_COUNTY)
            )
        )
        .await
        .status(),
        404,
        "安化县 sees its own part's transfer, not 长沙县's"
    );
    transfers
}

async fn anhua_sends_its_part_back_and_only_that_part_goes_again(
    test: &TestPlatform,
    approvers: &[String],
    transfers: &[Value],
    id: &str,
    parts: &[(String, String)],
    clerk: &str,
) -> Value {
    let id = id.to_owned();
    let anhua = &approvers[2];
    let transfer_to = |region: &str| {
        transfers
            .iter()
            .find(|t| t["handling_region"] == region)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let path = |action: &str| format!("/api/acceptance/v1/cases/{id}/{action}");
    let part_in = |region: &str| {
        parts
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, id)| id.clone())
            .unwrap()
    };
    // 安化县 sends its part back: the whole application returns to 赫山区's window, the other
    // parts stay with their back offices; accepted again, only that part goes out again.
    let (status, _) = post(
        test,
        anhua,
        &format!(
            "/api/crossregion/v1/transfers/{}/reject",
            transfer_to(ANHUA)
        ),
        json!({ "kind": "materials_defective", "reason": "卫生许可申请书缺少签字" }),
    )
    .await;
    assert_eq!(status, 200);
    let back = case_where(test, clerk, &id, "returned").await;
    let statuses: Vec<(String, String)> = back["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["handling_region"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(ANHUA.to_owned(), "returned".to_owned())),
        "{statuses:?}"
    );
    assert!(statuses.contains(&(CHANGSHA_COUNTY.to_owned(), "accepted".to_owned())));
    let (status, again) = post(test, clerk, &path("accept"), json!({})).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (200, Some("accepted")),
        "{again}"
    );
    let second = transfer_of(test, clerk, &part_in(ANHUA), 2).await;
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from crossregion.transfers where case_id = '{}'",
            part_in(CHANGSHA_COUNTY)
        ))
        .await,
        1,
        "长沙县's part was not sent twice"
    );
    second
}

async fn anhua_reads_the_materials_entered_once(
    test: &TestPlatform,
    id: &str,
    parts: &[(String, String)],
    approvers: &[String],
) {
    let part_in = |region: &str| {
        parts
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, id)| id.clone())
            .unwrap()
    };
    let anhua = &approvers[2];
    // 安化县 reads its part's materials, entered once for the whole application.
    let part = part_in(ANHUA);
    let part_view = test
        .get_json_as(anhua, &format!("/api/acceptance/v1/cases/{part}"))
        .await;
    let material = part_view["materials"][0]["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = test
        .get_as(
            anhua,
            &format!("/api/acceptance/v1/cases/{part}/materials/{material}"),
        )
        .await;
    assert_eq!(file.status(), 200, "{material}");
    let content_type = file.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(
        file.bytes().await.unwrap().as_ref(),
        crate::files::scan(&content_type),
        "the file as entered"
    );
    assert_eq!(
        test.get_as(
            anhua,
            &format!("/api/acceptance/v1/cases/{id}/materials/{material}")
        )
        .await
        .status(),
        404,
        "the application itself is 赫山区's"
    );
}

async fn each_region_decides_its_part_at_home(
    test: &TestPlatform,
    approvers: &[String],
    transfers: &[Value],
    parts: &[(String, String)],
    second: &Value,
) {
    let (heshan, changsha, anhua) = (&approvers[0], &approvers[1], &approvers[2]);
    let transfer_to = |region: &str| {
        transfers
            .iter()
            .find(|t| t["handling_region"] == region)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let part_in = |region: &str| {
        parts
            .iter()
            .find(|(r, _)| r == region)
            .map(|(_, id)| id.clone())
            .unwrap()
    };
    // Each region takes its part over and decides it at home.
    for (token, transfer) in [
        (changsha, transfer_to(CHANGSHA_COUNTY)),
        (anhua, second["id"].as_str().unwrap().to_owned()),
    ] {
        let (status, body) = post(
            test,
            token,
            &format!("/api/crossregion/v1/transfers/{transfer}/accept"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    for (token, region) in [
        (heshan, HESHAN),
        (changsha, CHANGSHA_COUNTY),
        (anhua, ANHUA),
    ] {
        let part = part_in(region);
        eventually(
            "the part to be workable",
            Duration::from_secs(30),
            || async {
                let item = test
                    .get_json_as(token, &format!("/api/approval/v1/work-items/{part}"))
                    .await;
                (item["state"] == "in_progress" && item["transfer"] != "pending").then_some(())
            },
        )
        .await;
        let step = |action: &str| format!("/api/approval/v1/work-items/{part}/steps/2/{action}");
        assert_eq!(
            post(test, token, &step("claim"), json!({})).await.0,
            200,
            "{region}"
        );
        let (status, body) = post(
            test,
            token,
            &step("decide"),
            json!({ "decision": "approve", "opinion": "同意" }),
        )
        .await;
        assert_eq!(status, 200, "{region}: {body}");
    }
}

async fn the_application_is_delivered_where_it_came_in(test: &TestPlatform, id: &str, clerk: &str) {
    let path = |action: &str| format!("/api/acceptance/v1/cases/{id}/{action}");
    // The application concludes with its last part, at 赫山区, which delivers it in one go;
    // both transfers end with it.
    case_where(test, clerk, id, "concluded").await;
    let (status, _) = post(test, clerk, &path("deliver"), json!({ "method": "pickup" })).await;
    assert_eq!(status, 200);
    eventually("both transfers to end", Duration::from_secs(30), || async {
        let listed = test
            .get_json_as(
                clerk,
                &format!("/api/crossregion/v1/transfers?state=delivered&region_code={HESHAN}"),
            )
            .await;
        (listed.as_array()?.len() == 2).then_some(())
    })
    .await;
}
