//! The console's words: message catalogues in `messages/` (zh-CN first, en), one `key = text`
//! per line, built into the binary. Templates never hold a sentence of their own; they ask
//! [`T`] for it by key. A unit test reads every template and checks that each key it asks for
//! is in both catalogues, so a missing word fails the build's tests, not a clerk's page.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};

use tongban_kernel::clock::china;

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the halls' language and the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The language a `lang` cookie or an `Accept-Language` header names (Chinese unless English
    /// comes first).
    pub fn pick(cookie: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(lang) = cookie.and_then(Self::parse) {
            return lang;
        }
        accept_language
            .and_then(|header| header.split(',').next())
            .map(|first| first.trim().to_ascii_lowercase())
            .filter(|first| first.starts_with("en"))
            .map_or(Self::Zh, |_| Self::En)
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "zh-CN" | "zh" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The BCP 47 tag (`<html lang>`, the cookie).
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The other language, offered by the switch in the header.
    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }
}

type Catalogue = HashMap<&'static str, &'static str>;

static ZH: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../messages/zh-CN.txt")));
static EN: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("../messages/en.txt")));

/// `key = text` lines; blank lines and `#` comments are skipped.
fn parse(text: &'static str) -> Catalogue {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

/// The words of one language, as the templates use them (`t.s("nav.home")`).
#[derive(Debug, Clone, Copy, Default)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    fn catalogue(self) -> &'static Catalogue {
        match self.lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The text of `key`; the key itself when a catalogue lacks it (the tests keep that from
    /// happening for every key a template names).
    pub fn s<'a>(&self, key: &'a str) -> &'a str {
        match self.catalogue().get(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.lang.code(), "message missing");
                key
            }
        }
    }

    /// The text of `key` with `{0}`, `{1}` … replaced by `args`.
    pub fn f(&self, key: &str, args: &[&dyn std::fmt::Display]) -> String {
        args.iter()
            .enumerate()
            .fold(self.s(key).to_owned(), |text, (i, arg)| {
                text.replace(&format!("{{{i}}}"), &arg.to_string())
            })
    }

    /// The text of `key` with `{0}` replaced by `arg`.
    pub fn f1(&self, key: &str, arg: impl std::fmt::Display) -> String {
        self.s(key).replace("{0}", &arg.to_string())
    }

    /// The word for a code of a known family (`status.accepted`, `role.approver`), or the code
    /// itself when it is new to the catalogue (a local code list grows without a release).
    pub fn code(&self, family: &str, code: &str) -> String {
        let key = format!("{family}.{code}");
        self.catalogue()
            .get(key.as_str())
            .map_or_else(|| code.to_owned(), |text| (*text).to_owned())
    }

    /// An instant as a China date and time (2026-12-05 14:03).
    pub fn at(&self, at: &DateTime<Utc>) -> String {
        at.with_timezone(&china())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// [`T::at`] of an optional instant; an em dash for none.
    pub fn at_opt(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map_or_else(|| "—".to_owned(), |at| self.at(at))
    }

    /// A date; an em dash for none.
    pub fn date(&self, day: &Option<NaiveDate>) -> String {
        day.map_or_else(|| "—".to_owned(), |d| d.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t.s("…")` and `t.f("…"` in the templates, and every key the Rust code names with
    /// `key!("…")`.
    fn keys_used() -> Vec<String> {
        let mut keys = Vec::new();
        let mut sources = Vec::new();
        for dir in ["templates", "src", "src/pages", "src/session"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")) {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_file() {
                    sources.push(std::fs::read_to_string(entry.path()).unwrap());
                }
            }
        }
        for source in sources {
            for marker in ["t.s(\"", "t.f(\"", "t.f1(\"", "key!(\""] {
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
        }
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn every_key_a_page_names_is_in_both_catalogues() {
        let keys = keys_used();
        assert!(keys.len() > 50, "the scan found only {} keys", keys.len());
        let missing: Vec<_> = keys
            .iter()
            .flat_map(|k| {
                [(Lang::Zh, &*ZH), (Lang::En, &*EN)]
                    .into_iter()
                    .filter(|(_, c)| !c.contains_key(k.as_str()))
                    .map(move |(lang, _)| format!("{}: {k}", lang.code()))
            })
            .collect();
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
        for (family, codes) in families {
            for code in codes {
                let key = format!("{family}.{code}");
                assert!(ZH.contains_key(key.as_str()), "zh-CN: {key}");
                assert!(EN.contains_key(key.as_str()), "en: {key}");
            }
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
            let key = format!("role.{}", code.as_str().unwrap());
            assert!(ZH.contains_key(key.as_str()), "{key}");
        }
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let only_zh: Vec<_> = ZH.keys().filter(|k| !EN.contains_key(*k)).collect();
        let only_en: Vec<_> = EN.keys().filter(|k| !ZH.contains_key(*k)).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn the_language_follows_the_cookie_then_the_browser() {
        assert_eq!(Lang::pick(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::pick(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(None, Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::pick(Some("fr"), None), Lang::Zh);
    }

    #[test]
    fn messages_take_their_arguments_in_order() {
        let t = T::new(Lang::En);
        let text = t.f("inbox.page_of", &[&3, &"awaiting review"]);
        assert!(
            text.contains('3') && text.contains("awaiting review"),
            "{text}"
        );
    }

    #[test]
    fn times_read_in_china() {
        let t = T::new(Lang::Zh);
        let at = DateTime::parse_from_rfc3339("2026-12-04T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(t.at(&at), "2026-12-05 00:30");
    }
}
