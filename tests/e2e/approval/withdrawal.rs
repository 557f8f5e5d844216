//! Withdrawal until the decision (撤回申请, issue 25): an accepted case being handled is withdrawn
//! by its applicant; its work item closes undecided, leaves the queue, is neither warned of nor
//! escalated when its due date passes, and the applicant's inbox says it was withdrawn. A
//! concluded case cannot be withdrawn, and the answer says why.

use std::time::Duration;

use serde_json::json;

use tongban_runtime::Clock;

use super::{
    accepted_case, concluded, day, department_of, handle_step, opened, staff, three_step_item,
};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post};
use tongban_approval::config::ApprovalSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accepted_case_withdrawn_by_its_applicant_stops_the_work_and_its_clock() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<ApprovalSettings>()
            .unwrap()
            .timer_sweep_secs = 1;
    })
    .await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 41).await;
    // Accepted on Monday 11-02 (due 11-16); 承办 claimed it.
    assert!(clock.set_today(day("2026-11-02")));
    let (case, accepted) = accepted_case(&test, &applicant, &staff.clerk, &code).await;
    opened(&test, &staff.supervisor, &case).await;
    let (_, chengban) = &staff.approvers[0];
    let step =
        |n: u32, action: &str| format!("/api/approval/v1/work-items/{case}/steps/{n}/{action}");
    assert_eq!(
        post(&test, chengban, &step(2, "claim"), json!({})).await.0,
        200
    );

    // The applicant withdraws it while it is handled: 200, and the work stops.
    let (status, withdrawn) = post(
        &test,
        &applicant,
        &format!("/api/acceptance/v1/cases/{case}/withdraw"),
        json!({ "reason": "已不需要办理" }),
    )
    .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn")),
        "{withdrawn}"
    );
    // The withdrawal has its own time; the window's acceptance keeps its.
    assert!(accepted["decided_at"].is_string(), "{accepted}");
    assert_eq!(
        withdrawn["decided_at"], accepted["decided_at"],
        "{withdrawn}"
    );
    assert!(withdrawn["withdrawn_at"].is_string(), "{withdrawn}");
    let item = eventually(
        "the work item to close",
        Duration::from_secs(30),
        || async {
            let item = test
                .get_json_as(
                    &staff.supervisor,
                    &format!("/api/approval/v1/work-items/{case}"),
                )
                .await;
            (item["state"] == "withdrawn").then_some(item)
        },
    )
    .await;
    assert_eq!(item["reason"], "已不需要办理", "{item}");
    let queue = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}"),
        )
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 0, "{queue}");
    let history = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items/{case}/history"),
        )
        .await;
    let ended = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "withdrawn")
        .unwrap_or_else(|| panic!("no withdrawal in {history}"));
    assert_eq!(ended["detail"]["clock"], "stopped", "{ended}");
    assert_eq!(ended["detail"]["reason"], "已不需要办理", "{ended}");
    let (status, body) = post(
        &test,
        chengban,
        &step(2, "complete"),
        json!({ "opinion": "同意" }),
    )
    .await;
    assert_eq!(status, 409, "nobody works a withdrawn case: {body}");

    // The applicant hears of it.
    let inbox = crate::notification::inbox_with(&test, &applicant, "case_withdrawn").await;
    let notice = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == "case_withdrawn")
        .unwrap()
        .clone();
    assert_eq!(notice["subject"], "办件已撤回", "{notice}");
    assert!(
        notice["body"].as_str().unwrap().contains("已停止"),
        "{notice}"
    );

    // Its due date passes: no yellow warning, no red escalation.
    assert!(clock.set_today(day("2026-11-17")));
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let count = |action: &str| {
        format!(
            "select count(*) from approval.work_item_history
             where case_id = '{case}' and action = '{action}'"
        )
    };
    assert_eq!(test.scalar(&count("warned")).await, 0);
    assert_eq!(test.scalar(&count("escalated")).await, 0);

    // A concluded case is decided: too late to withdraw, in words.
    assert!(clock.set_today(day("2026-11-18")));
    let (other, _) = accepted_case(&test, &applicant, &staff.clerk, &code).await;
    opened(&test, &staff.supervisor, &other).await;
    handle_step(&test, &staff.approvers[0].1, &other, 2, "同意").await;
    handle_step(&test, &staff.approvers[1].1, &other, 3, "同意承办意见").await;
    let decide = |action: &str| format!("/api/approval/v1/work-items/{other}/steps/4/{action}");
    let (_, pizhun) = &staff.approvers[2];
    assert_eq!(
        post(&test, pizhun, &decide("claim"), json!({})).await.0,
        200
    );
    let (status, body) = post(
        &test,
        pizhun,
        &decide("decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    concluded(&test, &applicant, &other).await;
    let (status, refused) = post(
        &test,
        &applicant,
        &format!("/api/acceptance/v1/cases/{other}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("illegal_transition")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("concluded, its result awaiting hand-out"),
        "{refused}"
    );
    test.stop().await;
}
