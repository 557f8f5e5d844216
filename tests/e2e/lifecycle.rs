//! The life cycle Kubernetes drives: SIGTERM under load. Readiness turns false at once while
//! requests are still served (time for the Service to drop the pod), then the listener closes,
//! what is in flight finishes, consumers stop and commit, the outbox relay publishes what the
//! last requests committed. No request that was sent fails, no event is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::harness::{BrokerStorage, TestPlatform, credit_code};
use tongban_gateway::config::GatewaySettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_fails_no_request_and_loses_no_event() {
    let mut test = TestPlatform::start_with(BrokerStorage::Durable, |s| {
        s.http.shutdown_delay_ms = 1_000;
        s.http.shutdown_grace_ms = 10_000;
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_subject_per_second = 10_000;
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_subject_burst = 10_000;
    })
    .await;
    let token = test.staff_token().await.to_owned();

    // The process's SIGTERM goes to the platform's shutdown, as `tongban` wires it. (The
    // listener made here first installs the handler before anything sends the signal.)
    let mut installed =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    tokio::spawn(tongban_runtime::shutdown::cancel_on_signal(
        test.platform.shutdown_token(),
    ));
    tokio::spawn(async move { installed.recv().await });

    // A load balancer: it polls the gateway's readiness and takes the pod out of rotation when
    // it fails; clients send only while the pod is in rotation.
    let in_rotation = Arc::new(AtomicBool::new(true));
    let balancer = {
        let (http, ready, in_rotation) =
            (test.http.clone(), test.url("/readyz"), in_rotation.clone());
        tokio::spawn(async move {
            loop {
                let status = http
                    .get(&ready)
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16());
                if status != Some(200) {
                    in_rotation.store(false, Ordering::SeqCst);
                    return Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let next = Arc::new(AtomicU32::new(0));
    let outcomes = Arc::new(Mutex::new(Vec::<Result<u16, String>>::new()));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (http, url, token) = (
                test.http.clone(),
                test.url("/api/catalogue/v1/departments"),
                token.clone(),
            );
            let (in_rotation, next, outcomes) =
                (in_rotation.clone(), next.clone(), outcomes.clone());
            tokio::spawn(async move {
                while in_rotation.load(Ordering::SeqCst) {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let sent = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&serde_json::json!({
                            "region_code": "430903000000",
                            "name": format!("生命周期部门{n:05}"),
                            "credit_code": credit_code(20_000 + n),
                        }))
                        .send()
                        .await;
                    let outcome = match sent {
                        Ok(response) => Ok(response.status().as_u16()),
                        Err(err) => Err(format!("{err}")),
                    };
                    outcomes.lock().await.push(outcome);
                }
            })
        })
        .collect();

    // Load for a while, then SIGTERM.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let signalled = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out_of_rotation = balancer.await.unwrap();
    for client in clients {
        client.await.unwrap();
    }
    test.platform.wait().await.expect("a clean stop");
    let stopped = Instant::now();

    // Readiness went false first, well before the listener closed (after the 1 s delay).
    let flipped = out_of_rotation - signalled;
    assert!(
        flipped < Duration::from_millis(800),
        "readiness took {flipped:?}"
    );
    assert!(stopped - signalled >= Duration::from_millis(1_000));
    assert!(
        stopped - signalled < Duration::from_secs(15),
        "within the grace period"
    );
    // Every request that was sent got its answer, and every answer was a success.
    let outcomes = outcomes.lock().await.clone();
    let created = outcomes.iter().filter(|o| **o == Ok(201)).count();
    assert!(created >= 20, "some load: {created}");
    let failed: Vec<_> = outcomes.iter().filter(|o| **o != Ok(201)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        outcomes.len()
    );

    // The relay published what the last requests committed before the process ended.
    assert_eq!(
        test.scalar("select count(*) from catalogue.outbox where sent_at is null")
            .await,
        0,
        "nothing left unpublished"
    );
    assert_eq!(
        test.scalar("select count(*) from catalogue.departments where name like '生命周期部门%'")
            .await,
        created as i64
    );
    // Started again, the consumers pick up where they committed: every department counted once.
    test.restart().await;
    test.eventually_counts(
        "approval to count every department once",
        "select coalesce(sum(departments), 0)::bigint from approval.region_department_counts",
        created as i64,
    )
    .await;

    test.stop().await;
}
