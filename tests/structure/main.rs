#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails
//! The shape of the code, checked as a newcomer would read it (docs/structure.md): no file of a
//! service over 600 lines, no function over 80 lines outside tests and benchmarks, no circle
//! of imports between the modules of a crate, and no SQL literal for a state that has a Rust
//! enum. Each rule names what breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod source;

use source::{Crate, SourceFile};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Every crate under `services/` and `libs/`.
fn crates() -> Vec<Crate> {
    let mut crates = Vec::new();
    for group in ["services", "libs"] {
        let dir = root().join(group);
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("src").is_dir())
            .collect();
        names.sort();
        crates.extend(names.into_iter().map(|p| Crate::read(&p)));
    }
    crates
}

/// Benchmarks measure and may be long; they are not the platform's code paths.
fn is_benchmark(file: &SourceFile) -> bool {
    file.relative.contains("/src/bench")
}

#[test]
fn no_file_of_a_service_is_over_600_lines() {
    let long: Vec<String> = crates()
        .iter()
        .filter(|c| c.dir.starts_with(root().join("services")))
        .flat_map(|c| &c.files)
        .filter(|f| !is_benchmark(f) && f.lines > MAX_FILE_LINES)
        .map(|f| format!("{} ({} lines)", f.relative, f.lines))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_function_is_over_80_lines_outside_tests_and_benchmarks() {
    let long: Vec<String> = crates()
        .iter()
        .flat_map(|c| &c.files)
        .filter(|f| !is_benchmark(f))
        .flat_map(|f| {
            f.functions()
                .into_iter()
                .filter(|func| func.lines > MAX_FN_LINES)
                .map(move |func| {
                    format!(
                        "{}:{} fn {} ({} lines)",
                        f.relative, func.line, func.name, func.lines
                    )
                })
        })
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut circles = Vec::new();
    for krate in crates() {
        let graph = krate.imports();
        circles.extend(
            source::cycles(&graph)
                .into_iter()
                .map(|cycle| format!("{}: {{{}}}", krate.name, cycle.join(", "))),
        );
    }
    assert!(
        circles.is_empty(),
        "modules that import each other in a circle:\n{}",
        circles.join("\n")
    );
}

/// The columns whose values are closed sets with a Rust enum in the services that own them.
const TYPED_COLUMNS: [&str; 2] = ["status", "state"];

#[test]
fn no_sql_names_a_state_as_a_string_literal() {
    let mut found = Vec::new();
    for krate in crates() {
        if !["acceptance", "approval", "crossregion", "hall"].contains(&krate.name.as_str()) {
            continue;
        }
        for file in &krate.files {
            for (line, literal) in file.sql_literals(&TYPED_COLUMNS) {
                found.push(format!("{}:{line}: {literal}", file.relative));
            }
        }
    }
    assert!(
        found.is_empty(),
        "states written as SQL literals (bind the Rust enum instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    // A check that finds nothing because it reads nothing would pass forever.
    let crates = crates();
    let files: usize = crates.iter().map(|c| c.files.len()).sum();
    assert!(files > 100, "only {files} source files read");
    let functions: usize = crates
        .iter()
        .flat_map(|c| &c.files)
        .map(|f| f.functions().len())
        .sum();
    assert!(functions > 1000, "only {functions} functions found");
    let sample = SourceFile::parse(
        "x.rs",
        "use crate::a::b;\nfn f() {\n    let s = \"update t set status = 'open' where x = 1\";\n    if true { g(); }\n}\n#[cfg(test)]\nmod tests {\n    fn long() {}\n}\n",
    );
    let funcs = sample.functions();
    assert_eq!(funcs.len(), 1, "test functions are not counted");
    assert_eq!((funcs[0].name.as_str(), funcs[0].lines), ("f", 4));
    assert_eq!(sample.sql_literals(&TYPED_COLUMNS).len(), 1);
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["c".to_owned()].into()),
        ("c".to_owned(), ["a".to_owned()].into()),
        ("d".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(source::cycles(&graph).len(), 1);
}
