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
    fn every_key_a_page_names_is_in_both_catalogues() {
        let keys = check::site_keys(
            env!("CARGO_MANIFEST_DIR"),
            &["templates", "src", "src/pages", "src/session"],
        );
        assert!(keys.len() > 50, "the scan found only {} keys", keys.len());
        let missing = check::missing(words(), &keys);
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    /// The codes pages show through [`T::code`]: every status, list and role has its word.
    #[test]
    fn every_code_a_page_shows_has_its_word() {
        let families = [
            ("status", crate::pages::views::STATUSES.to_vec()),
            ("inbox", crate::pages::views::INBOX_LISTS.to_vec()),
            ("inbox.hint", crate::pages::views::INBOX_LISTS.to_vec()),
            (
                "role",
                vec![
                    "window_clerk",
                    "approver",
                    "supervisor",
                    "catalogue_admin",
                    "identity_admin",
                ],
            ),
        ];
        let mut keys = Vec::new();
        for (family, codes) in families {
            keys.extend(codes.iter().map(|code| format!("{family}.{code}")));
        }
        // The roles' codes as tokens carry them.
        for role in [
            tongban_kernel::Role::WindowClerk,
            tongban_kernel::Role::Approver,
            tongban_kernel::Role::Supervisor,
            tongban_kernel::Role::CatalogueAdmin,
            tongban_kernel::Role::IdentityAdmin,
        ] {
            let code = serde_json::to_value(role).unwrap();
            keys.push(format!("role.{}", code.as_str().unwrap()));
        }
        let missing = check::missing(words(), &keys);
        assert!(missing.is_empty(), "codes without words: {missing:#?}");
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let (only_zh, only_en) = check::unpaired(words());
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}; en only: {only_en:?}"
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
