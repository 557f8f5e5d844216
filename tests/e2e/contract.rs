//! The event contract from outside Rust: a Python consumer (confluent-kafka, and classes
//! generated from `proto/` by grpcio-tools' protoc) follows a case from submission to delivery
//! on the live platform, decoding every event with the `.proto` files alone
//! (`proto/examples/python/follow_case.py`). `.ci/run` installs the Python packages and sets
//! TONGBAN_REQUIRE_CONTRACT_TOOLS, so CI cannot skip it.

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform};
use crate::items::{HESHAN, post};

fn python_has(modules: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_python_consumer_follows_a_case_from_submission_to_delivery_with_the_proto_files() {
    if !python_has("confluent_kafka, grpc_tools, google.protobuf") {
        assert!(
            std::env::var_os("TONGBAN_REQUIRE_CONTRACT_TOOLS").is_none(),
            "python3 -m pip install confluent-kafka protobuf grpcio-tools"
        );
        eprintln!("skipped: confluent-kafka, protobuf or grpcio-tools is not installed");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 931, "county").await;
    let admin = test.admin("contract.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "contract.clerk", "window_clerk", HESHAN)
        .await;
    let (_, approver) = test
        .staff_with_role(&admin, "contract.approver", "approver", HESHAN)
        .await;
    let (applicant_id, applicant) = crate::cases::citizen(&test, 131).await;
    let id = crate::ratings::concluded_case(&test, &code, &applicant, &clerk, &approver).await;
    let (status, delivered) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        json!({ "method": "pickup" }),
    )
    .await;
    assert_eq!(status, 200, "{delivered}");
    let number = delivered["number"].as_str().unwrap().to_owned();

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../proto/examples/python/follow_case.py");
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .args([
            "--brokers",
            &brokers,
            "--case-number",
            &number,
            "--timeout",
            "60",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the Python consumer did not see the delivery:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let events: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // The case's life, in order, as the province sees it.
    let expected = [
        "cn.tongban.acceptance.case_submitted.v1",
        "cn.tongban.acceptance.case_accepted.v1",
        "cn.tongban.approval.work_item_opened.v1",
        "cn.tongban.approval.step_claimed.v1",
        "cn.tongban.approval.case_concluded.v1",
        "cn.tongban.acceptance.case_delivered.v1",
    ];
    let mut at = 0;
    for want in expected {
        let found = types[at..]
            .iter()
            .position(|t| *t == want)
            .unwrap_or_else(|| panic!("{want} missing after {:?} in {types:?}", &types[..at]));
        at += found + 1;
    }
    // Decoded from the .proto files alone: the case reference, the region headers, the
    // account (never the document) of the applicant.
    let accepted = events
        .iter()
        .find(|e| e["type"] == "cn.tongban.acceptance.case_accepted.v1")
        .unwrap();
    assert_eq!(accepted["payload"]["case"]["caseNumber"], number.as_str());
    assert_eq!(
        accepted["payload"]["case"]["applicantId"],
        applicant_id.as_str()
    );
    assert_eq!(accepted["payload"]["case"]["receivingRegion"], HESHAN);
    // The real-name level shown travels with the case (1-3; a newer field, read from the files).
    let level = accepted["payload"]["case"]["realNameLevel"].as_i64();
    assert!(
        level.is_some_and(|l| (1..=3).contains(&l)),
        "{}",
        accepted["payload"]["case"]
    );
    assert!(accepted["regions"].as_str().unwrap().contains(HESHAN));
    let concluded = events
        .iter()
        .find(|e| e["type"] == "cn.tongban.approval.case_concluded.v1")
        .unwrap();
    assert_eq!(concluded["payload"]["decision"], "approved");
    assert_eq!(concluded["payload"]["caseId"], id.as_str());
    let delivered = events.last().unwrap();
    assert_eq!(delivered["payload"]["method"], "pickup");
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("13800138000"), "no phone number on a stream");

    test.stop().await;
}
