//! The languages a site speaks ([`Lang`]), a site's parsed catalogues ([`Words`]) and the words
//! of one language as templates use them ([`T`]), with China-time formatting.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use tongban_kernel::clock::china;

/// A language the sites speak.
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

/// A site's two catalogues, parsed once (a site keeps them in a `static`).
pub struct Words {
    zh: Catalogue,
    en: Catalogue,
}

impl Words {
    /// The catalogues' texts, as `include_str!` gives them.
    pub fn parse(zh_text: &'static str, en_text: &'static str) -> Self {
        Self {
            zh: catalogue(zh_text),
            en: catalogue(en_text),
        }
    }

    fn of(&self, lang: Lang) -> &Catalogue {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// The text of `key` in `lang`, if its catalogue has one.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&'static str> {
        self.of(lang).get(key).copied()
    }

    pub fn contains(&self, lang: Lang, key: &str) -> bool {
        self.of(lang).contains_key(key)
    }

    /// Every key of `lang`'s catalogue, in no particular order.
    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &'static str> + '_ {
        self.of(lang).keys().copied()
    }
}

/// `key = text` lines; blank lines and `#` comments are skipped.
fn catalogue(text: &'static str) -> Catalogue {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

/// The words of one language, as the templates use them (`t.s("nav.home")`).
#[derive(Clone, Copy)]
pub struct T {
    pub lang: Lang,
    words: &'static Words,
}

impl std::fmt::Debug for T {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The catalogues are a site's whole vocabulary: too much for a log line.
        f.debug_struct("T").field("lang", &self.lang).finish()
    }
}

impl T {
    pub fn new(lang: Lang, words: &'static Words) -> Self {
        Self { lang, words }
    }

    /// The text of `key`; the key itself when a catalogue lacks it (the tests keep that from
    /// happening for every key a template names).
    pub fn s<'a>(&self, key: &'a str) -> &'a str {
        match self.words.get(self.lang, key) {
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
        self.words
            .get(self.lang, &key)
            .map_or_else(|| code.to_owned(), str::to_owned)
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
    use std::sync::LazyLock;

    use super::*;

    static WORDS: LazyLock<Words> = LazyLock::new(|| {
        Words::parse(
            "# a comment\n\ngreeting = 你好\npage_of = 第 {0} 页，{1}\nstatus.open = 办理中\n",
            "greeting = Hello\npage_of = page {0} of {1}\nstatus.open = open\n",
        )
    });

    #[test]
    fn the_language_follows_the_cookie_then_the_browser() {
        assert_eq!(Lang::pick(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::pick(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(None, Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::pick(Some("fr"), None), Lang::Zh);
    }

    #[test]
    fn messages_take_their_arguments_in_order() {
        let t = T::new(Lang::En, &WORDS);
        assert_eq!(
            t.f("page_of", &[&3, &"awaiting review"]),
            "page 3 of awaiting review"
        );
        assert_eq!(T::new(Lang::Zh, &WORDS).f1("page_of", 2), "第 2 页，{1}");
    }

    #[test]
    fn a_missing_word_shows_its_key_and_a_new_code_itself() {
        let t = T::new(Lang::Zh, &WORDS);
        assert_eq!(t.s("greeting"), "你好");
        assert_eq!(t.s("nowhere.key"), "nowhere.key");
        assert_eq!(t.code("status", "open"), "办理中");
        assert_eq!(t.code("status", "brand_new"), "brand_new");
    }

    #[test]
    fn times_read_in_china() {
        let t = T::new(Lang::Zh, &WORDS);
        let at = DateTime::parse_from_rfc3339("2026-12-04T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(t.at(&at), "2026-12-05 00:30");
    }
}
