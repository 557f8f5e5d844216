//! The online hall's words: message catalogues in `messages/` (zh-CN first, en), one
//! `key = text` per line, built into the binary. Templates ask [`T`] for every sentence by
//! key; the tests check that each key a page names is in both catalogues.

use std::sync::LazyLock;

pub use tongban_pages::i18n::{Lang, T, Words};

static WORDS: LazyLock<Words> = LazyLock::new(|| {
    Words::parse(
        include_str!("../messages/zh-CN.txt"),
        include_str!("../messages/en.txt"),
    )
});

/// The hall's catalogues.
pub fn words() -> &'static Words {
    &WORDS
}

/// The words of `lang`.
pub fn t(lang: Lang) -> T {
    T::new(lang, words())
}

#[cfg(test)]
mod tests {
    use tongban_pages::i18n::check;

    use super::*;

    #[test]
    fn every_key_a_page_names_is_in_both_catalogues_and_they_pair() {
        check::assert_site_words(
            env!("CARGO_MANIFEST_DIR"),
            &["templates", "src", "src/pages"],
            words(),
        );
    }

    /// The codes pages show through `T::code`: every one has its word in both languages.
    #[test]
    fn every_code_a_page_shows_has_its_word() {
        let families: [(&str, &[&str]); 7] = [
            ("id_type", &crate::pages::account::ID_TYPES),
            ("level", &crate::pages::rating::LEVELS),
            ("necessity", &["required", "deferrable", "optional"]),
            ("kind", &["immediate", "promised"]),
            ("available", &["own", "tongban_scope", "agreement"]),
            ("real_name", &["1", "2", "3"]),
            ("conclusion", &["approved", "refused"]),
        ];
        for (family, codes) in families {
            for code in codes {
                let key = format!("{family}.{code}");
                for lang in [Lang::Zh, Lang::En] {
                    assert!(words().contains(lang, &key), "{}: {key}", lang.code());
                }
            }
        }
    }
}
