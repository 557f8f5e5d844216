//! What a site's tests prove of its words: every key its templates and code name is in both
//! catalogues, and the catalogues have the same keys. Not test-only code, so that each site's
//! own tests can call it; it reads the site's sources, so it belongs in tests, not in a server.

use super::words::{Lang, Words};

/// How a key is named in the sources: `t.s("…")`, `t.f("…"`, `t.f1("…"` in templates and
/// code, and `key!("…")` where Rust code names a key without asking for its words.
const MARKERS: [&str; 4] = ["t.s(\"", "t.f(\"", "t.f1(\"", "key!(\""];

/// Every key the files directly in `dirs` (relative to `manifest_dir`, e.g. `templates`,
/// `src/pages`) name, sorted, each once.
///
/// # Panics
/// When a directory or a file in it cannot be read: this is for tests, where a panic is how
/// a test fails, and a scan that reads nothing would pass forever.
pub fn keys_used(manifest_dir: &str, dirs: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = dirs
        .iter()
        .flat_map(|dir| sources(&std::path::Path::new(manifest_dir).join(dir)))
        .flat_map(|source| keys_in(&source))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The keys one `source` names, in order of appearance.
pub fn keys_in(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for marker in MARKERS {
        for piece in source.split(marker).skip(1) {
            if let Some(end) = piece.find('"') {
                let key = &piece[..end];
                // Keys are dotted words; a doc comment's example is not one.
                if key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._".contains(c))
                {
                    keys.push(key.to_owned());
                }
            }
        }
    }
    keys
}

/// The text of every file directly in `dir`.
fn sources(dir: &std::path::Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    let mut texts = Vec::new();
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{dir:?}: {e}")).path();
        if path.is_file() {
            texts.push(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
        }
    }
    texts
}

/// Every key the files in `dirs` of a site name, and every key the page kit asks a site's
/// catalogues for (a clock in words, an error page).
pub fn site_keys(manifest_dir: &str, dirs: &[&str]) -> Vec<String> {
    let mut keys = keys_used(manifest_dir, dirs);
    keys.extend(crate::answer::KEYS.map(str::to_owned));
    keys.extend(crate::error::KEYS.map(str::to_owned));
    keys
}

/// What every site's tests prove of its words: the scan of `dirs` finds more than 50 keys
/// (a scan that reads nothing would pass forever), every key it finds (and every key the kit
/// asks for) is in both catalogues, and the two catalogues have the same keys.
///
/// # Panics
/// When any of these does not hold: this is for tests.
pub fn assert_site_words(manifest_dir: &str, dirs: &[&str], words: &Words) {
    let keys = site_keys(manifest_dir, dirs);
    assert!(keys.len() > 50, "the scan found only {} keys", keys.len());
    let missing = missing(words, &keys);
    assert!(missing.is_empty(), "missing messages: {missing:#?}");
    let (only_zh, only_en) = unpaired(words);
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "zh only: {only_zh:?}; en only: {only_en:?}"
    );
}

/// The `keys` a catalogue of `words` lacks, as `zh-CN: key` or `en: key`.
pub fn missing(words: &Words, keys: &[String]) -> Vec<String> {
    keys.iter()
        .flat_map(|key| {
            [Lang::Zh, Lang::En]
                .into_iter()
                .filter(|lang| !words.contains(*lang, key))
                .map(move |lang| format!("{}: {key}", lang.code()))
        })
        .collect()
}

/// The keys only the Chinese catalogue has, and those only the English one has; sorted.
pub fn unpaired(words: &Words) -> (Vec<String>, Vec<String>) {
    let only = |lang: Lang| {
        let mut keys: Vec<String> = words
            .keys(lang)
            .filter(|key| !words.contains(lang.other(), key))
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    };
    (only(Lang::Zh), only(Lang::En))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_where_pages_name_them() {
        let dir = std::env::temp_dir().join(format!("tongban-pages-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("page.html"),
            "{{ t.s(\"nav.home\") }} {{ t.f1(\"clock.left\", 3) }} {{ t.s(\"…\") }}",
        )
        .unwrap();
        std::fs::write(
            dir.join("page.rs"),
            "key!(\"done.saved\"); t.f(\"nav.home\", &[])",
        )
        .unwrap();

        let keys = keys_used(dir.to_str().unwrap(), &["."]);

        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(keys, ["clock.left", "done.saved", "nav.home"]);
    }

    #[test]
    fn missing_and_unpaired_keys_are_named() {
        let words = Words::parse("a = 甲\nb = 乙\n", "a = A\nc = C\n");

        let missing = missing(&words, &["a".to_owned(), "b".to_owned()]);
        let (only_zh, only_en) = unpaired(&words);

        assert_eq!(missing, ["en: b"]);
        assert_eq!(
            (only_zh, only_en),
            (vec!["b".to_owned()], vec!["c".to_owned()])
        );
    }
}
