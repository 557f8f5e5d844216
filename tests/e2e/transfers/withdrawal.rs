//! A 一件事 application ended before its decision ends every part, wherever it is (issue 25):
//! refused at 赫山区's window after 安化县 sent its part back, while 长沙县 had taken its own part
//! over and claimed it; or withdrawn by its applicant while the parts are handled. Every part's
//! work item closes, 长沙县's transfer is cancelled, and nobody can take it over or work it.

use std::time::Duration;

use serde_json::{Value, json};

use super::bundle::{
    a_bundle_of_three_regions_items_is_published, a_heshan_clerk_and_an_approver_in_each_region,
    the_bundle_is_taken_in_once_the_regions_agreed, two_parts_go_out_as_transfers,
};
use super::{ANHUA, CHANGSHA_COUNTY, case_where};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post};

/// The bundle taken in at 赫山区 and accepted, its two transfers sent, and 长沙县 having taken
/// its part over and claimed it: (clerk, approvers by region, bundle case, parts by region,
/// transfers).
struct Handled {
    clerk: String,
    approvers: Vec<String>,
    id: String,
    parts: Vec<(String, String)>,
    transfers: Vec<Value>,
}

impl Handled {
    fn part_in(&self, region: &str) -> String {
        self.parts
            .iter()
            .find(|(r, _)| r == region)
            .unwrap()
            .1
            .clone()
    }

    fn transfer_to(&self, region: &str) -> String {
        self.transfers
            .iter()
            .find(|t| t["handling_region"] == region)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The approver of `region` (the regions in the order the setup made them).
    fn approver_in(&self, region: &str) -> &str {
        let at = [HESHAN, CHANGSHA_COUNTY, ANHUA]
            .iter()
            .position(|r| *r == region)
            .unwrap();
        &self.approvers[at]
    }
}

async fn taken_over_and_claimed_in_changsha(test: &TestPlatform) -> Handled {
    let (bundle_id, changsha_item, anhua_item, province) =
        a_bundle_of_three_regions_items_is_published(test).await;
    let (clerk, intake, approvers) =
        a_heshan_clerk_and_an_approver_in_each_region(test, &bundle_id).await;
    let (id, parts) = the_bundle_is_taken_in_once_the_regions_agreed(
        test,
        &clerk,
        &intake,
        &changsha_item,
        &anhua_item,
        &province,
    )
    .await;
    let transfers = two_parts_go_out_as_transfers(test, &clerk, &id, &approvers).await;
    let handled = Handled {
        clerk,
        approvers,
        id,
        parts,
        transfers,
    };
    // 长沙县 takes its part over and claims it; 赫山区's own part is claimed at home.
    let changsha = handled.approver_in(CHANGSHA_COUNTY);
    let (status, body) = post(
        test,
        changsha,
        &format!(
            "/api/crossregion/v1/transfers/{}/accept",
            handled.transfer_to(CHANGSHA_COUNTY)
        ),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for region in [CHANGSHA_COUNTY, HESHAN] {
        let part = handled.part_in(region);
        let token = handled.approver_in(region);
        work_item_in(test, token, &part, "in_progress").await;
        let (status, body) = post(
            test,
            token,
            &format!("/api/approval/v1/work-items/{part}/steps/2/claim"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{region}: {body}");
    }
    handled
}

/// Waits until `token` sees the work item of `case` in `state`; returns it.
async fn work_item_in(test: &TestPlatform, token: &str, case: &str, state: &str) -> Value {
    eventually(
        "the work item to reach its state",
        Duration::from_secs(30),
        || async {
            let response = test
                .get_as(token, &format!("/api/approval/v1/work-items/{case}"))
                .await;
            let item: Value = response.json().await.ok()?;
            (item["state"] == state).then_some(item)
        },
    )
    .await
}

/// Every part's work item ended in `state`, out of its queue and not workable; 长沙县's
/// transfer cancelled and not to be taken over.
async fn every_part_ended(test: &TestPlatform, handled: &Handled, state: &str) {
    for region in [HESHAN, CHANGSHA_COUNTY, ANHUA] {
        let part = handled.part_in(region);
        let token = handled.approver_in(region);
        let item = work_item_in(test, token, &part, state).await;
        assert!(item["reason"].is_string(), "{region}: {item}");
        let queue = test
            .get_json_as(
                token,
                &format!("/api/approval/v1/work-items?region_code={region}"),
            )
            .await;
        assert!(
            !queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["case_id"] == part.as_str()),
            "{region}: {queue}"
        );
        let history = test
            .get_json_as(
                token,
                &format!("/api/approval/v1/work-items/{part}/history"),
            )
            .await;
        assert!(
            history
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == state),
            "{region}: {history}"
        );
    }
    let changsha = handled.approver_in(CHANGSHA_COUNTY);
    let part = handled.part_in(CHANGSHA_COUNTY);
    let (status, body) = post(
        test,
        changsha,
        &format!("/api/approval/v1/work-items/{part}/steps/2/decide"),
        json!({ "decision": "approve", "opinion": "同意" }),
    )
    .await;
    assert_eq!(status, 409, "an ended part is decided by nobody: {body}");
    let transfer = handled.transfer_to(CHANGSHA_COUNTY);
    let cancelled = eventually(
        "the transfer to be cancelled",
        Duration::from_secs(30),
        || async {
            let view = test
                .get_json_as(
                    &handled.clerk,
                    &format!("/api/crossregion/v1/transfers/{transfer}"),
                )
                .await;
            (view["state"] == "cancelled").then_some(view)
        },
    )
    .await;
    assert_eq!(cancelled["location"], "receiving_region", "{cancelled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_returned_bundle_refused_at_the_window_closes_every_parts_work_item() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let handled = taken_over_and_claimed_in_changsha(&test).await;
    // 安化县 sends its part back: the application returns to 赫山区's window, which refuses it.
    let anhua = handled.approver_in(ANHUA);
    let (status, _) = post(
        &test,
        anhua,
        &format!(
            "/api/crossregion/v1/transfers/{}/reject",
            handled.transfer_to(ANHUA)
        ),
        json!({ "kind": "materials_defective", "reason": "卫生许可申请书缺少签字" }),
    )
    .await;
    assert_eq!(status, 200);
    case_where(&test, &handled.clerk, &handled.id, "returned").await;
    let (status, refused) = post(
        &test,
        &handled.clerk,
        &format!("/api/acceptance/v1/cases/{}/refuse", handled.id),
        json!({ "reason": "申请人未在期限内补齐卫生许可材料" }),
    )
    .await;
    assert_eq!(
        (status, refused["status"].as_str()),
        (200, Some("refused")),
        "{refused}"
    );
    let statuses: Vec<&str> = refused["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["refused"; 3], "every part, accepted ones too");
    every_part_ended(&test, &handled, "refused_at_window").await;
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_withdrawn_while_its_parts_are_handled_closes_every_parts_work_item() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let handled = taken_over_and_claimed_in_changsha(&test).await;
    // Withdrawn (by the clerk who entered it for the applicant) while 安化县 has not answered.
    let (status, withdrawn) = post(
        &test,
        &handled.clerk,
        &format!("/api/acceptance/v1/cases/{}/withdraw", handled.id),
        json!({ "reason": "申请人决定不再开办" }),
    )
    .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn")),
        "{withdrawn}"
    );
    every_part_ended(&test, &handled, "withdrawn").await;
    // 安化县's transfer, never answered, is cancelled too: nobody takes a withdrawn case over.
    let anhua = handled.transfer_to(ANHUA);
    eventually(
        "安化县's transfer to be cancelled",
        Duration::from_secs(30),
        || async {
            let view = test
                .get_json_as(
                    &handled.clerk,
                    &format!("/api/crossregion/v1/transfers/{anhua}"),
                )
                .await;
            (view["state"] == "cancelled").then_some(())
        },
    )
    .await;
    let (status, body) = post(
        &test,
        handled.approver_in(ANHUA),
        &format!("/api/crossregion/v1/transfers/{anhua}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    test.stop().await;
}
