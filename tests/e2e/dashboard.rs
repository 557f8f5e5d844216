//! The supervisors' dashboard in a real headless Chromium (Debian's `chromium`, driven by
//! `playwright-core` from npm: `tests/browser/dashboard.mjs`): a city supervisor signs in,
//! sees only their city's counties, drills into one, and the page refreshes by itself; the
//! screenshot is kept under `target/test-output/`. `.ci/run` installs the browser and the npm
//! package and sets TONGBAN_REQUIRE_BROWSER_TOOLS, so CI cannot skip it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{BrokerStorage, TestPlatform, eventually, staff_password};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

pub(crate) fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Whether node, Chromium and the installed npm packages are here; when they are not and
/// TONGBAN_REQUIRE_BROWSER_TOOLS is set (CI), the test fails instead of skipping.
pub(crate) fn browser_tools() -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let here = node
        && Path::new(CHROMIUM).exists()
        && browser_dir().join("node_modules/playwright-core").exists();
    assert!(
        here || std::env::var_os("TONGBAN_REQUIRE_BROWSER_TOOLS").is_none(),
        "apt-get install chromium fonts-noto-cjk; (cd tests/browser && npm ci)"
    );
    here
}

/// Runs `script` of tests/browser under node with `args`, within `limit`; the JSON report it
/// prints last, which must say `"ok": true` (the browser's own diagnostics are shown).
pub(crate) async fn browser_run(
    script: &str,
    args: &[std::ffi::OsString],
    limit: Duration,
) -> Value {
    let run = tokio::process::Command::new("node")
        .arg(browser_dir().join(script))
        .args(args)
        .output();
    let run = tokio::time::timeout(limit, run)
        .await
        .expect("the browser run ends within its time")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("a JSON report from the browser run: {stdout}"));
    assert!(run.status.success() && report["ok"] == true, "{report}");
    report
}

/// Runs `scenario` of `tests/browser/{script}` against `test` with `args` (each `--name
/// value`), its screenshots under `target/test-output/{folder}/`; the report.
pub(crate) async fn scenario(
    test: &crate::harness::TestPlatform,
    (script, folder): (&str, &str),
    scenario: &str,
    args: &[(&str, &str)],
) -> Value {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-output")
        .join(folder);
    std::fs::create_dir_all(&out).unwrap();
    let mut argv: Vec<std::ffi::OsString> = vec![
        "--scenario".into(),
        scenario.into(),
        "--url".into(),
        test.url("/").into(),
        "--out".into(),
        out.clone().into(),
        "--chromium".into(),
        CHROMIUM.into(),
    ];
    for (name, value) in args {
        argv.push(format!("--{name}").into());
        argv.push(value.into());
    }
    let report = browser_run(script, &argv, Duration::from_secs(360)).await;
    eprintln!("{folder} screenshots: {} ({report})", out.display());
    report
}

/// Prints `spec`'s documents in Chromium (`tests/browser/documents.mjs`), keeping the PDFs and
/// screenshots under `target/test-output/{folder}/`. Asserts each printed to one to
/// `max_pages` A4 pages showing every text expected, with no accessibility violation axe
/// finds on screen and nothing running off a phone's screen; the report of each.
pub(crate) async fn print_documents(folder: &str, spec: Value, max_pages: i64) -> Vec<Value> {
    let output = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-output")
        .join(folder);
    std::fs::create_dir_all(&output).unwrap();
    let spec_file = output.join("spec.json");
    std::fs::write(&spec_file, spec.to_string()).unwrap();
    let report = browser_run(
        "documents.mjs",
        &[
            "--spec".into(),
            spec_file.into(),
            "--out".into(),
            output.clone().into(),
            "--chromium".into(),
            CHROMIUM.into(),
        ],
        Duration::from_secs(200),
    )
    .await;
    let printed = report["documents"].as_array().unwrap().clone();
    assert_eq!(printed.len(), spec["documents"].as_array().unwrap().len());
    for document in &printed {
        let pages = document["pages"].as_i64().unwrap();
        assert!((1..=max_pages).contains(&pages), "{document}");
        assert_eq!(document["a4"], true, "{document}");
        assert_eq!(document["missing"], serde_json::json!([]), "{document}");
        assert_eq!(document["violations"], serde_json::json!([]), "{document}");
        assert!(
            document["phone_overflow"].as_i64().unwrap() <= 0,
            "runs off a phone's screen: {document}"
        );
    }
    eprintln!("printed documents: {}", output.display());
    printed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_city_supervisor_sees_only_their_city_drills_down_and_the_page_refreshes() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let world = crate::insight::world(&test).await;
    // A few cases in every county of the three cities.
    let cases = 36;
    for i in 0..cases {
        crate::insight::first_phase(&test, &world, i).await;
    }
    eventually(
        "insight to count every case",
        Duration::from_secs(60),
        || async {
            let total = test
                .get_json_as(&world.province, "/api/insight/v1/statistics")
                .await;
            (total["total"]["cases"].as_i64() == Some(cases as i64)).then_some(())
        },
    )
    .await;

    let admin = test.admin("dashboard.admin", "430000000000").await;
    let username = "changsha.supervisor";
    test.staff_with_role(&admin, username, "supervisor", "430100000000")
        .await;
    let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-output");
    std::fs::create_dir_all(&output).unwrap();
    let screenshot = output.join("dashboard.png");
    let url = test.url("/api/insight/dashboard/?refresh=2");
    let report = browser_run(
        "dashboard.mjs",
        &[
            "--url".into(),
            url.into(),
            "--username".into(),
            username.into(),
            "--password".into(),
            staff_password(username).into(),
            "--expect-region".into(),
            "430100000000".into(),
            "--drill".into(),
            "430121000000".into(),
            "--screenshot".into(),
            screenshot.clone().into(),
            "--chromium".into(),
            CHROMIUM.into(),
        ],
        Duration::from_secs(240),
    )
    .await;
    // Changsha's two counties with cases; in 长沙县, its towns with cases.
    assert_eq!(report["region"], "430100000000");
    assert_eq!(report["drilled"], "430121000000");
    assert!(report["rows_before"].as_i64().unwrap() >= 2, "{report}");
    assert!(report["rows_after"].as_i64().unwrap() >= 1, "{report}");
    assert!(report["refreshes"].as_i64().unwrap() >= 2, "{report}");
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("dashboard screenshot: {}", screenshot.display());
    test.stop().await;
}
