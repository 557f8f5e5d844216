//! A day in two halls, through the console's pages alone (headless Chromium): a walk-in taken in
//! at 赫山区 for 长沙县's item under an agreement, accepted with a 容缺 deferral and its notice
//! printed; the transfer taken over at 长沙县's desk; its 审核 and 批准 worked by two approvers;
//! the paper result posted back and received; the certificate handed out at 赫山区 with the
//! visit's rating QR. What each page did is read back from the services afterwards. And the
//! intake and acceptance with the keyboard alone.

use std::time::Duration;

use serde_json::{Value, json};

use super::{in_the_browser, walk_in};
use crate::dashboard::{CHROMIUM, browser_tools};
use crate::harness::{BrokerStorage, TestPlatform, eventually, staff_password};
use crate::items::{HESHAN, spec};
use crate::transfers::CHANGSHA_COUNTY;

/// The browser's arguments for `username`, with `more`.
fn as_user(username: &str, more: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut args = vec![
        ("username", username.to_owned()),
        ("password", staff_password(username)),
    ];
    args.extend_from_slice(more);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_day_in_two_halls_through_the_pages_alone() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    // Arranged beforehand: 长沙县's item with 审核 and 批准, and the agreement that lets 赫山区
    // collect it (异地代收代办).
    let mut item = spec(5, "none");
    item["steps"] = json!([
        { "name": "受理", "role": "window_clerk", "time_limit": { "value": 1, "unit": "working_days" } },
        { "name": "审核", "role": "approver", "time_limit": { "value": 2, "unit": "working_days" } },
        { "name": "批准", "role": "approver", "time_limit": { "value": 2, "unit": "working_days" } }
    ]);
    let (_, staff) = crate::transfers::collected_in_heshan_with(&test, item).await;
    let admin = test.admin("day.admin", "430000000000").await;
    test.staff_with_role(&admin, "changsha.signer", "approver", CHANGSHA_COUNTY)
        .await;

    // 赫山区's window: the walk-in, accepted with a deferral, the notice printed.
    let mut args = walk_in("heshan.collector", "个体工商户登记", "43090319850707123");
    args.push(("mode", "异地代收代办".to_owned()));
    let report = in_the_browser(&test, "walk-in", &args).await;
    let number = report["number"].as_str().unwrap().to_owned();
    let case = test
        .get_json_as(
            &staff.heshan_clerk,
            &format!("/api/acceptance/v1/cases/{number}"),
        )
        .await;
    let id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            case["status"].as_str(),
            case["receiving_region"].as_str(),
            case["handling_region"].as_str()
        ),
        (Some("accepted"), Some(HESHAN), Some(CHANGSHA_COUNTY)),
        "{case}"
    );
    let transfer = crate::transfers::transfer_of(&test, &staff.changsha, &id, 1).await;
    let tid = transfer["id"].as_str().unwrap().to_owned();

    // 长沙县: taken over at the desk, 审核 by one approver, 批准 by another.
    let numbered = |more: &[(&'static str, String)]| {
        let mut more = more.to_vec();
        more.push(("number", number.clone()));
        more
    };
    in_the_browser(&test, "desk", &as_user("changsha.approver", &numbered(&[]))).await;
    in_the_browser(
        &test,
        "back-office",
        &as_user(
            "changsha.approver",
            &numbered(&[
                ("action", "complete".into()),
                ("step", "审核".into()),
                ("shots", "day-review".into()),
            ]),
        ),
    )
    .await;
    in_the_browser(
        &test,
        "back-office",
        &as_user(
            "changsha.signer",
            &numbered(&[("step", "批准".into()), ("shots", "day-decide".into())]),
        ),
    )
    .await;
    returned(&test, &staff.heshan_clerk, &tid).await;

    // The paper result by post, 长沙县 to 赫山区, and handed out at 赫山区's window.
    let tracking = numbered(&[("tracking", "EA123456789CN".into())]);
    in_the_browser(
        &test,
        "post-result",
        &as_user("changsha.approver", &tracking),
    )
    .await;
    in_the_browser(
        &test,
        "receive-result",
        &as_user("heshan.collector", &tracking),
    )
    .await;
    in_the_browser(
        &test,
        "hand-out",
        &as_user(
            "heshan.collector",
            &numbered(&[("applicant", "张三".into())]),
        ),
    )
    .await;

    the_services_hold_what_the_pages_did(&test, &staff.changsha, &staff.heshan_clerk, &id, &tid)
        .await;
}

/// Waits until the decision has come back to 赫山区 (the transfer returned).
async fn returned(test: &TestPlatform, clerk: &str, tid: &str) {
    eventually(
        "the result returned to 赫山区",
        Duration::from_secs(30),
        || async {
            let t = test
                .get_json_as(clerk, &format!("/api/crossregion/v1/transfers/{tid}"))
                .await;
            (t["state"] == "returned").then_some(())
        },
    )
    .await;
}

async fn the_services_hold_what_the_pages_did(
    test: &TestPlatform,
    changsha: &str,
    heshan: &str,
    id: &str,
    tid: &str,
) {
    let item = test
        .get_json_as(changsha, &format!("/api/approval/v1/work-items/{id}"))
        .await;
    assert_eq!(item["state"], "approved", "{item}");
    let by = |position: i64| {
        item["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["position"] == position)
            .map(|s| s["completed_by"].clone())
            .unwrap_or(Value::Null)
    };
    assert!(
        by(2).is_string() && by(3).is_string() && by(2) != by(3),
        "{item}"
    );
    let case = test
        .get_json_as(heshan, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    assert_eq!(case["status"], "delivered", "{case}");
    let transfer = eventually("the transfer to end", Duration::from_secs(30), || async {
        let t = test
            .get_json_as(heshan, &format!("/api/crossregion/v1/transfers/{tid}"))
            .await;
        (t["state"] == "delivered").then_some(t)
    })
    .await;
    let legs: Vec<(&str, bool)> = transfer["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["direction"].as_str().unwrap(),
                l["received_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(legs, [("result_to_receiving", true)], "{transfer}");
    let visits = test
        .scalar(&format!(
            "select count(*) from acceptance.visits where case_id = '{id}' and purpose = 'pickup'"
        ))
        .await;
    assert_eq!(visits, 1, "the visit, to be rated by its code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_walk_in_is_taken_in_and_accepted_with_the_keyboard_alone() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    crate::cases::item_in_force(&test).await;
    let admin = test.admin("keys.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "keys.clerk", "window_clerk", HESHAN)
        .await;
    let report = in_the_browser(
        &test,
        "keyboard-walk-in",
        &walk_in("keys.clerk", "个体工商户登记", "43090319850808123"),
    )
    .await;
    let number = report["number"].as_str().unwrap();
    let case = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{number}"))
        .await;
    assert_eq!(
        (case["status"].as_str(), case["real_name_level"].as_i64()),
        (Some("accepted"), Some(3)),
        "{case}"
    );
}
