//! Faults on purpose, under load: the broker goes away and comes back while windows submit and
//! accept cases. Every accepted case's event reaches every service that consumes it, and none
//! is applied twice. (A service killed with SIGKILL and PostgreSQL restarted are tested against
//! the `tongban` binary itself: `services/tongban/tests/faults.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use tongban_events::Event as _;
use tongban_events::acceptance::v1::CaseAccepted;

use crate::cases::{citizen, item_in_force_in, upload};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post};

const CASES: usize = 240;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_killed_under_a_load_of_cases_loses_no_event_and_applies_none_twice() {
    // Arrange: a durable broker (its log survives it), an item in force, a window clerk, and
    // 240 drafts with their required materials. Sessions last longer than the broker is away,
    // as on a busy cluster, so the consumers come back to the same group.
    let mut test = TestPlatform::start_with(BrokerStorage::Durable, |s| {
        s.kafka.session_timeout_ms = 30_000;
    })
    .await;
    let code = item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 501, "county").await;
    let (_, applicant) = citizen(&test, 9).await;
    let admin = test.admin("faults.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "faults.clerk", "window_clerk", HESHAN)
        .await;
    let drafts: Vec<(String, String)> = futures::stream::iter(0..CASES)
        .map(|_| async {
            let (status, draft) = post(
                &test,
                &applicant,
                "/api/acceptance/v1/cases",
                json!({ "implementation_code": code }),
            )
            .await;
            assert_eq!(status, 201, "{draft}");
            let id = draft["id"].as_str().unwrap().to_owned();
            let materials = draft["materials"].as_array().unwrap();
            for material in &materials[..2] {
                let material = material["material_code"].as_str().unwrap();
                let (status, body) =
                    upload(&test, &applicant, &id, material, "application/pdf").await;
                assert_eq!(status, 204, "{body}");
            }
            (
                id,
                materials[2]["material_code"].as_str().unwrap().to_owned(),
            )
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // Act: eight windows submit and accept the cases; a quarter of the way in, the broker is
    // stopped (every connection to it drops at once), and started again half way.
    let accepted = Arc::new(AtomicUsize::new(0));
    let mut broker = test.platform.broker.take().expect("embedded broker");
    let load = futures::stream::iter(drafts.iter())
        .map(|(id, deferrable)| {
            let (test, applicant, clerk, accepted) = (&test, &applicant, &clerk, accepted.clone());
            async move {
                let (status, body) = post(
                    test,
                    applicant,
                    &format!("/api/acceptance/v1/cases/{id}/submit"),
                    json!({}),
                )
                .await;
                assert_eq!(status, 200, "submitting {id}: {body}");
                let deferral = json!({ "commitment": "本人承诺按期补齐",
                    "deferred": [{ "material_code": deferrable, "within_working_days": 5 }] });
                let (status, body) = post(
                    test,
                    clerk,
                    &format!("/api/acceptance/v1/cases/{id}/accept"),
                    deferral,
                )
                .await;
                assert_eq!(status, 200, "accepting {id}: {body}");
                accepted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .buffer_unordered(8)
        .collect::<()>();
    let fault = async {
        let reaching = |n: usize| {
            let accepted = accepted.clone();
            async move {
                while accepted.load(Ordering::SeqCst) < n {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        reaching(CASES / 4).await;
        broker.stop().await;
        let stopped_at = accepted.load(Ordering::SeqCst);
        reaching(CASES / 2).await;
        broker.start_again().await.expect("the broker starts again");
        (stopped_at, accepted.load(Ordering::SeqCst))
    };
    let ((), (stopped_at, restarted_at)) = tokio::join!(load, fault);
    test.platform.broker = Some(broker);
    assert!(
        restarted_at > stopped_at && restarted_at < CASES,
        "cases were accepted while the broker was away ({stopped_at} → {restarted_at}) and after"
    );

    // Assert: every consumer of CaseAccepted applies all 240, once each.
    let per_consumer = |schema: &str| {
        format!(
            "select count(*) from {schema}.inbox i join acceptance.outbox o on o.id = i.event_id
             where o.ce_type = '{}'",
            CaseAccepted::TYPE
        )
    };
    for schema in ["approval", "crossregion", "notification", "insight"] {
        let sql = per_consumer(schema);
        eventually(
            &format!("{schema} to apply every CaseAccepted"),
            Duration::from_secs(120),
            || async { (test.scalar(&sql).await >= CASES as i64).then_some(()) },
        )
        .await;
        assert_eq!(test.scalar(&sql).await, CASES as i64, "{schema}: once each");
    }
    assert_eq!(
        test.scalar("select count(*) from acceptance.outbox where sent_at is null")
            .await,
        0,
        "the relay published everything it held while the broker was away"
    );
    // The effects, counted: one work item per case, the applicant told once per case, the
    // statistics counting each case accepted once.
    assert_eq!(
        test.scalar("select count(*) from approval.work_items")
            .await,
        CASES as i64
    );
    assert_eq!(
        test.scalar("select count(distinct case_id) from approval.work_items")
            .await,
        CASES as i64
    );
    let told = test
        .scalar(&format!(
            "select count(*) from notification.messages where event_type = '{}' and channel = 'inbox'",
            CaseAccepted::TYPE
        ))
        .await;
    assert_eq!(told, CASES as i64, "one inbox message per accepted case");
    assert_eq!(
        test.scalar("select count(*) from insight.cases where accepted_on is not null and accepted_round = 1")
            .await,
        CASES as i64
    );

    test.stop().await;
}
