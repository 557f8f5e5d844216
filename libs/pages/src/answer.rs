//! What a site's pages share to answer: an HTML page (sent back with what to fix, when a
//! service refused), a thing and its history fetched at once, a service's file relayed, an
//! action settled into a redirect or the service's words, a clock in words, a form's fields,
//! a value for a query string.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use crate::api::{Api, Failure, Service};
use crate::error::{PageError, PageResult};
use crate::i18n::T;

/// The words this module asks a site's catalogues for ([`Countdown`]'s), which every site's
/// catalogues must hold (its tests check them with `i18n::check::missing`). `clock.green` and
/// `clock.yellow` are asked for through [`T::code`], which no scan sees.
pub const KEYS: [&str; 6] = [
    "clock.paused",
    "clock.late_by",
    "clock.red",
    "clock.left",
    "clock.green",
    "clock.yellow",
];

/// An entry of a site's menu.
pub struct Nav {
    pub href: &'static str,
    /// Its message key.
    pub label: &'static str,
    /// The page shown is this entry's (`aria-current`).
    pub current: bool,
}

impl Nav {
    /// The menu of the `entries` shown (shown, address, message key), the one at `current`
    /// marked.
    pub fn menu<const N: usize>(
        entries: [(bool, &'static str, &'static str); N],
        current: &str,
    ) -> Vec<Self> {
        entries
            .into_iter()
            .filter(|(shown, _, _)| *shown)
            .map(|(_, href, label)| Self {
                href,
                label,
                current: href == current,
            })
            .collect()
    }
}

/// [`html`], answered 422 when `refused`: the page sent back with what to fix.
pub fn html_refused(page: &impl askama::Template, refused: bool) -> PageResult<Response> {
    let mut response = html(page)?;
    if refused {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET base` and `GET base/history` of `service` at once, as the signed-in person sees them,
/// the history newest first: what a case's, a work item's and a transfer's pages show. Out of
/// scope is a 404 like unknown (the services answer alike).
pub async fn with_history<T, H>(
    api: &Api,
    token: &str,
    service: Service,
    base: &str,
) -> PageResult<(T, Vec<H>)>
where
    T: serde::de::DeserializeOwned,
    H: serde::de::DeserializeOwned,
{
    let history_path = format!("{base}/history");
    let (one, history) = tokio::join!(
        api.get::<T>(token, service, base),
        api.get::<Vec<H>>(token, service, &history_path),
    );
    let one = one.map_err(not_found)?;
    let mut history = history.map_err(not_found)?;
    history.reverse();
    Ok((one, history))
}

/// A case out of scope is a 404 like an unknown one (the service says so alike).
pub fn not_found(failure: Failure) -> PageError {
    match failure.status().as_u16() {
        404 | 403 => PageError::NotFound,
        _ => failure.into(),
    }
}

/// A rendered template as an HTML answer.
pub fn html(page: &impl askama::Template) -> PageResult<Response> {
    Ok(Html(page.render()?).into_response())
}

/// An answer a service made (a material's file, a printed document), passed on as it is with
/// `content_type` and the `policy` it needs instead of the pages' own.
pub async fn relayed(
    answer: reqwest::Response,
    content_type: &'static str,
    policy: &'static str,
) -> PageResult<Response> {
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| PageError::Unavailable(format!("relaying an answer: {e}")))?;
    let mut response = Response::new(axum::body::Body::from(bytes));
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, "inline"),
        (header::CONTENT_SECURITY_POLICY, policy),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}

/// A printable document as a service made it (a receipt, a notice, a certificate's face): its
/// own style sheet inline, so its own policy.
pub async fn printable(answer: reqwest::Response) -> PageResult<Response> {
    relayed(
        answer,
        "text/html; charset=utf-8",
        tongban_kernel::printable::POLICY,
    )
    .await
}

/// How an action on a page ended.
pub enum Acted {
    /// Done: back to the page with `?done=` (a redirect, so a reload repeats nothing).
    Done(Response),
    /// The service refused: its words, for the page to show again.
    Refused(String),
}

/// `outcome` of an action as the page goes on: done leads to `back`, a refusal (not of the
/// sign-in) is the service's message; anything else is the page's failure.
pub fn settled(outcome: Result<(), Failure>, back: &str) -> PageResult<Acted> {
    match outcome {
        Ok(()) => Ok(Acted::Done(Redirect::to(back).into_response())),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            Ok(Acted::Refused(refusal.message))
        }
        Err(failure) => Err(failure.into()),
    }
}

/// A clock as a page shows it — a case's statutory limit, a transfer's hand-over deadline:
/// the light's class and its words, never the colour alone (2026-12-10 · 正常 · 剩余 5 个工作日;
/// 已超期 3 个工作日).
pub struct Countdown {
    /// green, yellow, red or none (a class of the style sheet).
    pub light: &'static str,
    pub words: String,
}

impl Countdown {
    /// A deadline the service counts in working days: `left` of them to `due` (0 due today,
    /// negative overdue by that many). `late` when the service already holds it missed;
    /// yellow from `soon` working days left, or when the service warned (`warned`).
    pub fn working_days(t: T, due: Option<NaiveDate>, clock: Clock) -> Self {
        let Some(due) = due else {
            return Self {
                light: "none",
                words: t.s(clock.none).to_owned(),
            };
        };
        let date = t.date(&Some(due));
        let left = match clock.left {
            Some(left) if !clock.paused => left,
            _ => {
                let words = if clock.paused {
                    format!("{date} · {}", t.s("clock.paused"))
                } else {
                    date
                };
                return Self {
                    light: "none",
                    words,
                };
            }
        };
        let light = if clock.late || left < 0 {
            "red"
        } else if clock.warned || left <= clock.soon {
            "yellow"
        } else {
            "green"
        };
        let words = if left < 0 {
            t.f1("clock.late_by", -left)
        } else if light == "red" {
            t.s("clock.red").to_owned()
        } else {
            format!("{} · {}", t.code("clock", light), t.f1("clock.left", left))
        };
        Self {
            light,
            words: format!("{date} · {words}"),
        }
    }
}

/// How a service counted a deadline, for [`Countdown::working_days`].
#[derive(Clone, Copy)]
pub struct Clock {
    pub left: Option<i64>,
    pub paused: bool,
    pub late: bool,
    pub warned: bool,
    /// From how many working days left it shows yellow.
    pub soon: i64,
    /// The message key for no deadline at all.
    pub none: &'static str,
}

/// The fields of a form, in order (a checkbox list repeats its name).
pub type Fields = Vec<(String, String)>;

/// The value of field `name` (trimmed), or "" when the form has none.
pub fn value<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.trim())
}

/// `?done=` after an action redirected back to its page: what was done, in the person's words.
#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    pub fn words(self, t: T) -> Option<String> {
        self.done
            .filter(|d| d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|d| t.code("done", &d))
    }
}

/// A value for a query string.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lists_every_word_this_module_asks_for() {
        let named = crate::i18n::check::keys_in(include_str!("answer.rs"));
        assert!(named.len() >= 4, "{named:?}");
        for key in named {
            assert!(KEYS.contains(&key.as_str()), "{key} is not in KEYS");
        }
    }

    #[test]
    fn a_form_value_is_trimmed_and_an_absent_one_empty() {
        let fields: Fields = vec![("name".into(), "  王五 ".into())];
        assert_eq!(value(&fields, "name"), "王五");
        assert_eq!(value(&fields, "other"), "");
    }

    #[test]
    fn a_query_value_is_encoded() {
        assert_eq!(
            urlencode("/console/cases?q=a b&x=1"),
            "%2Fconsole%2Fcases%3Fq%3Da+b%26x%3D1"
        );
    }
}
