//! The console's words: message catalogues in `messages/` (zh-CN first, en), one `key = text`
//! per line, built into the binary and parsed once; the page kit's [`T`] gives them to the
//! templates by key. The tests read every template and source file and check that each key
//! they ask for is in both catalogues, so a missing word fails the build's tests, not a
//! clerk's page.

use std::sync::LazyLock;

use tongban_pages::i18n::Words;
pub use tongban_pages::i18n::{Lang, T};

static WORDS: LazyLock<Words> = LazyLock::new(|| {
    Words::parse(
        include_str!("../messages/zh-CN.txt"),
        include_str!("../messages/en.txt"),
    )
});

/// The console's catalogues.
pub fn words() -> &'static Words {
    &WORDS
}

/// The console's words in `lang`.
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
            &["templates", "src", "src/pages", "src/session"],
            words(),
        );
    }

    #[test]
    fn messages_take_their_arguments_in_order() {
        let text = t(Lang::En).f("inbox.page_of", &[&3, &"awaiting review"]);
        assert!(
            text.contains('3') && text.contains("awaiting review"),
            "{text}"
        );
    }
}
