#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails
//! The shape of the code, checked as a newcomer would read it (docs/structure.md): no file of a
//! service over 600 lines, no function over 80 lines outside tests and benchmarks, no circle
//! of imports between the modules of a crate, and no SQL literal for a state that has a Rust
//! enum. Each rule names what breaks it; what the restructuring has not reached yet is listed
//! in `debt.txt`, which may only shrink (debt.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod debt;
mod source;

use debt::Breach;
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

/// Fails with every breach of `rule` that `debt.txt` does not allow.
fn hold_to_the_list(rule: &'static str, what: &str, found: &[Breach]) {
    let wrong = debt::judge(rule, found, &debt::listed(rule));
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
}

#[test]
fn no_file_of_a_service_is_over_600_lines() {
    let long: Vec<Breach> = crates()
        .iter()
        .filter(|c| c.dir.starts_with(root().join("services")))
        .flat_map(|c| &c.files)
        .filter(|f| !is_benchmark(f) && f.lines > MAX_FILE_LINES)
        .map(|f| Breach::new("file", &f.relative, f.lines))
        .collect();
    hold_to_the_list("file", &format!("files over {MAX_FILE_LINES} lines"), &long);
}

#[test]
fn no_function_is_over_80_lines_outside_tests_and_benchmarks() {
    let long: Vec<Breach> = crates()
        .iter()
        .flat_map(|c| &c.files)
        .filter(|f| !is_benchmark(f))
        .flat_map(|f| {
            f.functions()
                .into_iter()
                .filter(|func| func.lines > MAX_FN_LINES)
                .map(move |func| {
                    Breach::new("fn", format!("{} fn {}", f.relative, func.name), func.lines)
                        .at(func.line)
                })
        })
        .collect();
    hold_to_the_list("fn", &format!("functions over {MAX_FN_LINES} lines"), &long);
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut circles = Vec::new();
    for krate in crates() {
        let graph = krate.imports();
        circles.extend(source::cycles(&graph).into_iter().map(|cycle| {
            Breach::new(
                "circle",
                format!("{}: {{{}}}", krate.name, cycle.join(", ")),
                cycle.len(),
            )
        }));
    }
    hold_to_the_list(
        "circle",
        "modules that import each other in a circle",
        &circles,
    );
}

/// The columns whose values are closed sets with a Rust enum in the services that own them.
const TYPED_COLUMNS: [&str; 2] = ["status", "state"];

#[test]
fn no_sql_names_a_state_as_a_string_literal() {
    let mut found = Vec::new();
    for krate in crates() {
        if !["acceptance", "approval", "crossregion"].contains(&krate.name.as_str()) {
            continue;
        }
        for file in &krate.files {
            let literals = file.sql_literals(&TYPED_COLUMNS);
            if !literals.is_empty() {
                found.push(Breach::new("sql", &file.relative, literals.len()));
            }
        }
    }
    hold_to_the_list(
        "sql",
        "files with states written as SQL literals (bind the Rust enum instead)",
        &found,
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
    // The list lets a listed breach stay or shrink, and nothing else.
    let listed = debt::parse(
        "# debts\nfn 100 a.rs fn f\nfn 90 b.rs fn g\nfile 700 a.rs\n",
        "fn",
    );
    assert_eq!(listed.len(), 2);
    let found = [
        Breach::new("fn", "a.rs fn f", 95),
        Breach::new("fn", "c.rs fn h", 81),
    ];
    let wrong = debt::judge("fn", &found, &listed);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong[0].starts_with("new: c.rs fn h"));
    assert!(wrong[1].starts_with("paid off: b.rs fn g"));
    let grown = [
        Breach::new("fn", "a.rs fn f", 101),
        Breach::new("fn", "b.rs fn g", 90),
    ];
    assert_eq!(
        debt::judge("fn", &grown, &listed),
        ["grew: a.rs fn f (101 > 100 listed)"]
    );
}
