//! `tongban bench <each> --quick --json`, through the binary an operator runs: every benchmark
//! runs to its end on a throwaway database and reports the numbers the README quotes. No
//! thresholds here — a CI machine's speed proves nothing — the tables are printed instead
//! (`cargo test -p tongban --test bench -- --nocapture`).

use std::process::Command;

/// Each benchmark and a JSON pointer to a number it must report above zero.
const BENCHMARKS: [(&str, &[&str]); 11] = [
    (
        "auth",
        &[
            "/with_token/requests_per_second",
            "/without_token/requests_per_second",
        ],
    ),
    (
        "catalogue",
        &[
            "/lookup_by_code/requests_per_second",
            "/keyword_search/requests_per_second",
        ],
    ),
    (
        "intake",
        &[
            "/submissions/requests_per_second",
            "/acceptances/requests_per_second",
            "/pgbench_tps",
        ],
    ),
    ("events", &["/all/events", "/all/p99_ms"]),
    (
        "approval",
        &["/open_work_items", "/county_queue/requests_per_second"],
    ),
    (
        "console",
        &[
            "/cases",
            "/all_pages/requests_per_second",
            "/pages/oversight/p99_ms",
        ],
    ),
    (
        "portal",
        &["/items", "/search/requests_per_second", "/guide/p99_ms"],
    ),
    (
        "handover",
        &[
            "/paced/handovers",
            "/paced/handover_p99_ms",
            "/flat_out/handovers",
        ],
    ),
    (
        "notification",
        &["/messages_per_second", "/delivered_per_second"],
    ),
    (
        "hall-queue",
        &[
            "/call_next/requests_per_second",
            "/paced/p99_ms",
            "/board/p99_ms",
        ],
    ),
    (
        "memory",
        &["/idle_mib", "/peak_under_load_mib", "/after_load_mib"],
    ),
];

#[test]
fn every_benchmark_runs_in_its_quick_mode_and_reports_its_numbers() {
    let dir = std::env::temp_dir().join(format!("tongban-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (bench, pointers) in BENCHMARKS {
        let json = dir.join(format!("{bench}.json"));
        let output = Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(["bench", bench, "--quick", "--json"])
            .arg(&json)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "`tongban bench {bench} --quick` failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        println!("tongban bench {bench} --quick\n{stdout}");
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        for pointer in pointers {
            let value = report.pointer(pointer).and_then(serde_json::Value::as_f64);
            assert!(
                value.is_some_and(|v| v > 0.0),
                "{bench}: {pointer} is {value:?} in {report}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
