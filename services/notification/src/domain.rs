//! The rules of messages, without I/O: the kinds of message the platform sends, the typed
//! variables each kind's event provides, and templates with `{{variable}}` placeholders —
//! checked when saved (an unknown variable is refused, never a blank in a message) and rendered
//! per locale.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use tongban_kernel::Error;

/// The type of a template variable: how it is checked and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    Text,
    /// A calendar day: 2026年12月4日 in Chinese, 2026-12-04 in English.
    Date,
    Number,
}

/// A variable a kind of message provides.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Variable {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: VarType,
    /// What a preview shows for it.
    pub sample: &'static str,
}

/// A kind of message: the template key, the event that raises it and the variables it has.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Kind {
    pub key: &'static str,
    pub event_type: &'static str,
    pub variables: &'static [Variable],
    /// Variables every template of the kind must use (a one-time code's text without the
    /// code is useless).
    pub required: &'static [&'static str],
}

const fn var(name: &'static str, ty: VarType, sample: &'static str) -> Variable {
    Variable { name, ty, sample }
}

const CASE_NUMBER: Variable = var(
    "case_number",
    VarType::Text,
    "11430903MB0001015R4204300101000202612040001",
);
const ITEM_NAME: Variable = var("item_name", VarType::Text, "个体工商户登记");
const DUE_DATE: Variable = var("due_date", VarType::Date, "2026-12-11");
const REASON: Variable = var("reason", VarType::Text, "经营场所使用证明不清晰");

/// Every kind of message, by template key.
pub const KINDS: [Kind; 19] = [
    // An online application reaches the receiving hall's clerks (rule and first wording in
    // `20261205020000_submissions_reach_the_hall.sql`); `submission` is 2 after a correction.
    Kind {
        key: "case_submitted",
        event_type: "cn.tongban.acceptance.case_submitted.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("submission", VarType::Number, "1"),
        ],
    },
    Kind {
        key: "case_accepted",
        event_type: "cn.tongban.acceptance.case_accepted.v1",
        required: &[],
        variables: &[CASE_NUMBER, ITEM_NAME, DUE_DATE],
    },
    // The one-time correction notice (一次性告知): its rule (to the applicant, urgent, by inbox,
    // text and e-mail) and its first wording (zh-CN and en, version 1) are data of the
    // migrations `20261128100000_notifications.sql` (the `rules` row and the `templates` rows
    // `correction_requested`) and `20261128110000_delivery.sql` (the channels widened); later
    // wordings are template versions saved through `/v1/templates`. `items` is every missing
    // material's reason, joined (see `events::cases`).
    Kind {
        key: "correction_requested",
        event_type: "cn.tongban.acceptance.correction_requested.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("items", VarType::Text, "居民身份证：复印件不清晰"),
        ],
    },
    Kind {
        key: "case_refused",
        event_type: "cn.tongban.acceptance.case_refused.v1",
        required: &[],
        variables: &[CASE_NUMBER, ITEM_NAME, REASON],
    },
    // The applicant withdrew the application (撤回申请), before acceptance or while it was
    // handled: rule and first wording in `20261205031000_withdrawals_are_told.sql`. A 一件事
    // application's parts raise none: the applicant withdrew one application (`events::cases`).
    Kind {
        key: "case_withdrawn",
        event_type: "cn.tongban.acceptance.case_withdrawn.v1",
        required: &[],
        variables: &[CASE_NUMBER, ITEM_NAME, REASON],
    },
    Kind {
        key: "case_concluded",
        event_type: "cn.tongban.approval.case_concluded.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("decision", VarType::Text, "准予许可"),
            REASON,
        ],
    },
    Kind {
        key: "case_delivered",
        event_type: "cn.tongban.acceptance.case_delivered.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("method", VarType::Text, "邮寄 EMS EA000000001CN"),
        ],
    },
    Kind {
        key: "work_item_opened",
        event_type: "cn.tongban.approval.work_item_opened.v1",
        required: &[],
        variables: &[CASE_NUMBER, ITEM_NAME, DUE_DATE],
    },
    Kind {
        key: "deadline_approaching",
        event_type: "cn.tongban.approval.deadline_approaching.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            DUE_DATE,
            var("working_days_left", VarType::Number, "2"),
        ],
    },
    Kind {
        key: "case_overdue",
        event_type: "cn.tongban.approval.case_overdue.v1",
        required: &[],
        variables: &[CASE_NUMBER, ITEM_NAME, DUE_DATE],
    },
    Kind {
        key: "transfer_sent",
        event_type: "cn.tongban.crossregion.transfer_sent.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("receiving_region", VarType::Text, "430903000000"),
            var("respond_by", VarType::Date, "2026-12-01"),
        ],
    },
    Kind {
        key: "transfer_rejected",
        event_type: "cn.tongban.crossregion.transfer_rejected.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("handling_region", VarType::Text, "430121000000"),
            REASON,
        ],
    },
    Kind {
        key: "hand_over_overdue",
        event_type: "cn.tongban.crossregion.hand_over_overdue.v1",
        required: &[],
        variables: &[
            CASE_NUMBER,
            ITEM_NAME,
            var("hand_over", VarType::Text, "response"),
            var("deadline", VarType::Date, "2026-12-01"),
        ],
    },
    Kind {
        key: "remediation_opened",
        event_type: "cn.tongban.acceptance.remediation_opened.v1",
        required: &[],
        variables: &[CASE_NUMBER, DUE_DATE],
    },
    Kind {
        key: "remediation_overdue",
        event_type: "cn.tongban.acceptance.remediation_overdue.v1",
        required: &[],
        variables: &[CASE_NUMBER, DUE_DATE],
    },
    // A booking of tomorrow (预约提醒), from 09:00 the day before: the hall's sweep raises
    // it; rule and first wording in `20261207100000_appointments.sql`.
    Kind {
        key: "appointment_reminder",
        event_type: "cn.tongban.hall.appointment_reminder_due.v1",
        required: &["starts_at"],
        variables: &[
            ITEM_NAME,
            var("centre_name", VarType::Text, "赫山区政务服务中心"),
            var("group_name", VarType::Text, "综合窗口"),
            var("starts_at", VarType::Text, "2026-12-07 10:00"),
        ],
    },
    // Booking suspended after repeated no-shows (爽约): the person learns until when.
    Kind {
        key: "booking_suspended",
        event_type: "cn.tongban.hall.booking_suspended.v1",
        required: &["until"],
        variables: &[
            var("until", VarType::Date, "2027-01-06"),
            var("no_shows", VarType::Number, "3"),
        ],
    },
    // One-time codes identity asks for: no event raises them (identity calls `/v1/codes`),
    // and the code itself never goes on an event stream.
    Kind {
        key: "phone_verification_code",
        event_type: "",
        required: &["code"],
        variables: &[CODE, CODE_MINUTES],
    },
    Kind {
        key: "login_code",
        event_type: "",
        required: &["code"],
        variables: &[CODE, CODE_MINUTES],
    },
];

const CODE: Variable = var("code", VarType::Text, "426031");
const CODE_MINUTES: Variable = var("minutes", VarType::Number, "5");

/// The kind of message `key` names.
pub fn kind(key: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.key == key)
}

/// The languages templates are written in; zh-CN is the default.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// A variable's value for one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Number(i64),
    /// A word the platform chooses (a decision, a hand-over), said in each language.
    Words {
        zh: &'static str,
        en: &'static str,
    },
}

impl Value {
    /// The value as a message in `locale` says it.
    pub fn render(&self, locale: &str) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(n) => n.to_string(),
            Self::Words { zh, .. } if locale == "zh-CN" => (*zh).to_owned(),
            Self::Words { en, .. } => (*en).to_owned(),
            Self::Date(date) if locale == "zh-CN" => date.format("%Y年%-m月%-d日").to_string(),
            Self::Date(date) => date.to_string(),
        }
    }

    /// A value of type `ty` from its text (a sample, a preview's input); `None` when it is not
    /// one.
    pub fn parse(ty: VarType, text: &str) -> Option<Self> {
        match ty {
            VarType::Text => Some(Self::Text(text.to_owned())),
            VarType::Date => text.parse().ok().map(Self::Date),
            VarType::Number => text.parse().ok().map(Self::Number),
        }
    }
}

/// The `{{name}}` placeholders of `text`, in order; an unclosed `{{` or an empty name is an
/// error saying where.
pub fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("a {{{{ is not closed: {}", excerpt(&rest[start..])))?;
        let name = after[..end].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "{{{{{}}}}} is not a variable name (lower-case letters, digits, _)",
                &after[..end]
            ));
        }
        names.push(name);
        rest = &after[end + 2..];
    }
    Ok(names)
}

fn excerpt(text: &str) -> String {
    text.chars().take(20).collect()
}

/// Checks a template of `kind` before it is saved: each part non-empty and within its length,
/// well-formed, and using only the kind's variables (422 naming the unknown one and the known).
pub fn check(kind: &Kind, subject: &str, body: &str) -> Result<(), Error> {
    for (field, text, max) in [("subject", subject, 100), ("body", body, 1_000)] {
        let length = text.trim().chars().count();
        if length == 0 || length > max {
            return Err(Error::bad_request(
                field,
                format!("must be 1 to {max} characters"),
            ));
        }
        for name in placeholders(text).map_err(|e| Error::bad_request(field, e))? {
            if !kind.variables.iter().any(|v| v.name == name) {
                return Err(Error::unprocessable(
                    field,
                    format!(
                        "{{{{{name}}}}} is not a variable of {}; it has {}",
                        kind.key,
                        kind.variables
                            .iter()
                            .map(|v| v.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    let used = placeholders(body).unwrap_or_default();
    if let Some(missing) = kind.required.iter().find(|r| !used.contains(r)) {
        return Err(Error::unprocessable(
            "body",
            format!("a {} text must show {{{{{missing}}}}}", kind.key),
        ));
    }
    Ok(())
}

/// `text` with each placeholder replaced by its value rendered for `locale` (a checked template
/// names only variables its kind provides; one without a value renders empty).
pub fn render(text: &str, values: &BTreeMap<&str, Value>, locale: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        if let Some(value) = values.get(after[..end].trim()) {
            out.push_str(&value.render(locale));
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The kind's sample values, for previews.
pub fn samples(kind: &Kind) -> BTreeMap<&'static str, Value> {
    kind.variables
        .iter()
        .filter_map(|v| Some((v.name, Value::parse(v.ty, v.sample)?)))
        .collect()
}

/// Who a rule sends to, resolved from the case and the staff's role bindings.
pub const RECIPIENTS: [&str; 7] = [
    "applicant",
    "assignee",
    "handlers",
    "handling_clerks",
    "receiving_clerks",
    "supervisors",
    "receiving_supervisors",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_key_and_samples_of_its_types() {
        let mut keys: Vec<&str> = KINDS.iter().map(|k| k.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), KINDS.len());
        for kind in &KINDS {
            assert_eq!(samples(kind).len(), kind.variables.len(), "{}", kind.key);
        }
    }

    #[test]
    fn a_code_text_must_show_the_code() {
        let login = kind("login_code").unwrap();
        assert!(check(login, "验证码", "验证码{{code}}，{{minutes}}分钟内有效").is_ok());
        let without = check(login, "验证码", "{{minutes}}分钟内有效").unwrap_err();
        assert_eq!(without.status(), 422);
        assert!(without.to_string().contains("{{code}}"), "{without}");
        // The code in the subject alone does not count: texts show the body.
        assert!(check(login, "{{code}}", "请查收").is_err());
    }

    #[test]
    fn a_template_may_use_only_its_kinds_variables() {
        let accepted = kind("case_accepted").unwrap();
        assert!(check(accepted, "已受理", "{{case_number}}于{{ due_date }}前办结").is_ok());
        let unknown = check(accepted, "已受理", "{{case_number}} {{reason}}").unwrap_err();
        assert_eq!(unknown.status(), 422);
        assert!(
            unknown
                .to_string()
                .starts_with("body: {{reason}} is not a variable")
        );
        assert_eq!(
            check(accepted, "{{case_number", "x").unwrap_err().status(),
            400
        );
        assert_eq!(
            check(accepted, "x", "{{Bad Name}}").unwrap_err().status(),
            400
        );
        assert_eq!(check(accepted, " ", "x").unwrap_err().status(), 400);
    }

    #[test]
    fn values_render_per_locale() {
        let values = BTreeMap::from([
            ("case_number", Value::Text("N1".into())),
            (
                "due_date",
                Value::parse(VarType::Date, "2026-12-04").unwrap(),
            ),
            ("working_days_left", Value::Number(2)),
        ]);
        let text = "{{case_number}}：{{due_date}}，剩{{working_days_left}}天{{missing}}。";
        assert_eq!(render(text, &values, "zh-CN"), "N1：2026年12月4日，剩2天。");
        assert_eq!(
            render("due {{ due_date }}", &values, "en"),
            "due 2026-12-04"
        );
        assert_eq!(Value::parse(VarType::Number, "x"), None);
        let approved = Value::Words {
            zh: "准予",
            en: "approved",
        };
        let decided = BTreeMap::from([("decision", approved)]);
        assert_eq!(render("{{decision}}", &decided, "zh-CN"), "准予");
        assert_eq!(render("{{decision}}", &decided, "en"), "approved");
    }
}
