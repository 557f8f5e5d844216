//! The first claim right after a take-over (issue 25): 长沙县's approver takes a transfer over
//! and claims its work item at once, with no pause; approval hears of the take-over by an event
//! tens of milliseconds later, and the claim waits for it instead of answering
//! `transfer_pending`. A claim on a transfer nobody took over still answers 409, with
//! `Retry-After`.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{collected_in_heshan, taken_in, transfer_of, work_item_where};
use crate::harness::{BrokerStorage, TestPlatform};
use crate::items::post;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_right_after_the_take_over_succeeds_every_time() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (code, staff) = collected_in_heshan(&test).await;
    let mut waiting = Vec::new();
    for n in 1..=6 {
        let case = taken_in(&test, &staff.heshan_clerk, &code, 300 + n).await;
        let id = case["id"].as_str().unwrap().to_owned();
        let transfer = transfer_of(&test, &staff.changsha, &id, 1).await;
        work_item_where(&test, &staff.changsha, &id, "state", "in_progress").await;
        let item = work_item_where(&test, &staff.changsha, &id, "transfer", "pending").await;
        assert_eq!(item["state"], "in_progress");
        waiting.push((id, transfer["id"].as_str().unwrap().to_owned()));
    }
    let claim = |id: &str| format!("/api/approval/v1/work-items/{id}/steps/2/claim");
    let (untaken, _) = waiting.pop().unwrap();

    // Taken over, then claimed at once: five times in a row, every claim succeeds.
    for (id, transfer) in &waiting {
        let (status, taken) = post(
            &test,
            &staff.changsha,
            &format!("/api/crossregion/v1/transfers/{transfer}/accept"),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{taken}");
        let (status, claimed) = post(&test, &staff.changsha, &claim(id), json!({})).await;
        assert_eq!(status, 200, "{claimed}");
        assert_eq!(claimed["transfer"], "accepted", "{claimed}");
    }

    // Nobody took the last one over: the claim waits, then says so and when to try again.
    let started = Instant::now();
    let refused = test
        .post_as(&staff.changsha, &claim(&untaken), json!({}))
        .await;
    assert_eq!(refused.status(), 409);
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited");
    assert_eq!(refused.headers()["retry-after"], "2");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "transfer_pending", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("take the transfer over"),
        "{body}"
    );
    test.stop().await;
}
