//! API fuzzing: schemathesis (PyPI) generates requests from every service's OpenAPI document and
//! sends them through the gateway, as a staff account holding every role over the province, on
//! the demo data. At least 1,000 requests per service; no answer may be a 5xx, and every answer
//! must match the documented schema and content type. `.ci/run` installs schemathesis and sets
//! TONGBAN_REQUIRE_FUZZ_TOOLS, so CI cannot skip it. A failure prints schemathesis' report with
//! a `curl` line that reproduces it.

use std::path::Path;

use crate::harness::{BrokerStorage, TestPlatform, staff_password};

/// What every answer is checked for.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,content_type_conformance";
/// Generated requests each service must have answered.
const AT_LEAST: u64 = 1_000;
const PROVINCE: &str = "430000000000";

fn schemathesis_installed() -> bool {
    std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_services_api_answers_a_thousand_generated_requests_without_a_fault() {
    if !schemathesis_installed() {
        assert!(
            std::env::var_os("TONGBAN_REQUIRE_FUZZ_TOOLS").is_none(),
            "python3 -m pip install schemathesis"
        );
        eprintln!("skipped: schemathesis is not installed");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .expect("demo data");
    let admin = test.admin("fuzz.admin", PROVINCE).await;
    let id = test.create_staff(&admin, "fuzz.staff", PROVINCE).await;
    for role in [
        "window_clerk",
        "approver",
        "supervisor",
        "catalogue_admin",
        "identity_admin",
        "hall_admin",
    ] {
        test.grant(&admin, &id, role, PROVINCE).await;
    }
    let token = test
        .access_token("fuzz.staff", &staff_password("fuzz.staff"))
        .await;
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = here.join("../target/test-output/fuzz");
    std::fs::create_dir_all(&work).unwrap();

    // Identity last: what it is sent may take the fuzzing account's roles away.
    let mut services: Vec<&str> = tongban_runtime::config::SERVICES.to_vec();
    services.sort_by_key(|s| *s == "identity");
    for service in services {
        let mut answered = 0;
        for round in 1.. {
            assert!(
                round <= 8,
                "{service}: only {answered} requests generated in 7 rounds"
            );
            let output = tokio::process::Command::new("schemathesis")
                .arg("--no-color")
                .arg("run")
                .arg(test.url(&format!("/api/{service}/openapi.json")))
                .args(["--url", &test.url(&format!("/api/{service}"))])
                .args(["--header", &format!("Authorization: Bearer {token}")])
                .args(["--checks", CHECKS])
                // One worker: with threads, CPython 3.11 sometimes fails inside schemathesis
                // ("AST constructor recursion depth mismatch"), a fault of the tool's own.
                .args(["--workers", "1", "--max-time", "20"])
                .args(["--seed", &format!("{round}")])
                .args(["--generation-database", "none"])
                .args(["--report-dir", &work.join(service).to_string_lossy()])
                .env("PYTHONPATH", here.join("fuzz"))
                .env("SCHEMATHESIS_HOOKS", "hooks")
                .current_dir(&work)
                .output()
                .await
                .expect("schemathesis runs");
            let report = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{service}: schemathesis found failures (round {round}):\n{report}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            answered += generated(&report)
                .unwrap_or_else(|| panic!("{service}: no count of generated tests in\n{report}"));
            if answered >= AT_LEAST {
                break;
            }
        }
        eprintln!("{service}: {answered} generated requests, every answer as documented");
    }

    test.stop().await;
}

/// The `N generated` count of schemathesis' summary.
fn generated(report: &str) -> Option<u64> {
    report.lines().find_map(|line| {
        let (count, rest) = line.trim().split_once(' ')?;
        rest.starts_with("generated").then(|| count.parse().ok())?
    })
}
