//! What the restructuring (issue 23) has not yet reached, written down in `debt.txt` so that the
//! rules hold everywhere else and the list can only shrink: a breach not on the list fails, a
//! listed breach that grew fails, and a listed breach that is gone fails until its line is
//! deleted (a paid debt stays off the books).

use std::collections::BTreeMap;

/// One breach of a rule: what (a file, a function, a circle, a file's SQL literals) and how big.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Breach {
    pub rule: &'static str,
    pub key: String,
    pub size: usize,
    /// Where to look, when that is more than the key says (a function's first line).
    pub line: Option<usize>,
}

impl Breach {
    pub fn new(rule: &'static str, key: impl Into<String>, size: usize) -> Self {
        Self {
            rule,
            key: key.into(),
            size,
            line: None,
        }
    }

    pub fn at(self, line: usize) -> Self {
        Self {
            line: Some(line),
            ..self
        }
    }

    fn shown(&self) -> String {
        match self.line {
            Some(line) => format!("{} (line {line})", self.key),
            None => self.key.clone(),
        }
    }
}

/// The list in `debt.txt`: `<rule> <size> <key>` per line, `#` for comments.
pub fn listed(rule: &str) -> BTreeMap<String, usize> {
    parse(include_str!("debt.txt"), rule)
}

pub fn parse(text: &str, rule: &str) -> BTreeMap<String, usize> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let (r, size, key) = (parts.next()?, parts.next()?, parts.next()?);
            (r == rule).then(|| (key.to_owned(), size.parse().expect("a size in debt.txt")))
        })
        .collect()
}

/// What is wrong with `found` measured against `listed`, in words for the test's failure.
pub fn judge(rule: &str, found: &[Breach], listed: &BTreeMap<String, usize>) -> Vec<String> {
    let mut wrong = Vec::new();
    for breach in found {
        match listed.get(&breach.key) {
            None => wrong.push(format!("new: {} ({})", breach.shown(), breach.size)),
            Some(&allowed) if breach.size > allowed => wrong.push(format!(
                "grew: {} ({} > {allowed} listed)",
                breach.shown(),
                breach.size
            )),
            Some(_) => {}
        }
    }
    for key in listed.keys() {
        if !found.iter().any(|b| &b.key == key) {
            wrong.push(format!(
                "paid off: {key} no longer breaks the rule; delete `{rule} … {key}` from debt.txt"
            ));
        }
    }
    wrong
}
