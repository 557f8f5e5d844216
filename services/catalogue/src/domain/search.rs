//! Keyword search without a Chinese tokenizer: text is indexed as the characters and character
//! pairs (bigrams) of its Chinese runs, plus its Latin words, in a GIN-indexed array. A query
//! matches when the row's terms contain all of the query's; the caller confirms with a
//! substring test, so 营业执照 never matches a row that only has 营业 and 执照 apart.

/// Whether `c` belongs to a run of CJK characters.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Splits text into runs of CJK characters and words of letters and digits (lower-cased).
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in text.chars() {
        let class = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (class, out.last_mut()) {
            (Some(cjk), Some((last, run))) if *last == cjk && !run.is_empty() => {
                run.extend(c.to_lowercase())
            }
            (Some(cjk), _) => out.push((cjk, c.to_lowercase().collect())),
            (None, Some((_, run))) if !run.is_empty() => out.push((false, String::new())),
            (None, _) => {}
        }
    }
    out.retain(|(_, run)| !run.is_empty());
    out
}

/// The terms a piece of stored text is indexed under.
pub fn index_terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut terms = std::collections::BTreeSet::new();
    for text in texts {
        for (cjk, run) in runs(text) {
            if cjk {
                let chars: Vec<char> = run.chars().collect();
                terms.extend(chars.iter().map(|c| c.to_string()));
                terms.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
            } else {
                terms.insert(run);
            }
        }
    }
    terms.into_iter().collect()
}

/// The terms a query needs: the bigrams of each Chinese run (its character when it has only
/// one) and each Latin word.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms = std::collections::BTreeSet::new();
    for (cjk, run) in runs(query) {
        let chars: Vec<char> = run.chars().collect();
        if cjk && chars.len() > 1 {
            terms.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            terms.insert(run);
        }
    }
    terms.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_indexed_by_characters_and_pairs() {
        let terms = index_terms(["营业执照 (个体)", "办执照"]);
        for t in ["营", "营业", "业执", "执照", "个体", "办执"] {
            assert!(terms.iter().any(|x| x == t), "{t} missing from {terms:?}");
        }
        assert_eq!(query_terms("营业执照"), ["业执", "执照", "营业"]);
        assert_eq!(query_terms("证"), ["证"]);
        assert_eq!(query_terms(" ICP 备案"), ["icp", "备案"]);
        let indexed = index_terms(["出生医学证明"]);
        assert!(query_terms("出生").iter().all(|t| indexed.contains(t)));
    }
}
