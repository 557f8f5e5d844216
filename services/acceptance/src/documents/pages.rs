//! The printable documents' templates (`templates/documents/`, checked at compile time, HTML
//! escaped) and what each is filled with.

use askama::Template;

/// What every document is headed and signed with.
pub struct Head {
    /// 受理通知书, 一次性告知书 ...
    pub title: &'static str,
    pub number: String,
    /// The issuing service centre (赫山区政务服务中心) and its seal's name.
    pub centre: String,
    pub seal: String,
    /// The day it is printed, in China (2026年12月05日).
    pub issued_on: String,
    pub applicant_name: String,
    /// Masked (an enterprise's credit code whole).
    pub applicant_document: String,
    pub item_name: String,
    pub implementation_code: String,
    pub submitted_on: String,
}

/// A material on the receipt, and how it was received.
pub struct Received {
    pub name: String,
    /// 已提交 (a file), 电子证照 (an e-certificate), 容缺后补（YYYY-MM-DD 前）.
    pub how: String,
}

#[derive(Template)]
#[template(path = "documents/receipt.html")]
pub struct Receipt {
    pub head: Head,
    pub accepted_on: String,
    /// The promised date, or 即时办结 / a note that it rests on an unpublished calendar.
    pub due: String,
    pub query_password: String,
    pub materials: Vec<Received>,
    pub deferred: bool,
}

/// A material to correct (or corrected), by its name.
pub struct Correction {
    pub name: String,
    pub reason: String,
    /// The file received for it (补正材料收取凭证), or 未收到.
    pub file: String,
}

#[derive(Template)]
#[template(path = "documents/correction.html")]
pub struct CorrectionNotice {
    pub head: Head,
    pub items: Vec<Correction>,
    pub requested_on: String,
}

#[derive(Template)]
#[template(path = "documents/refusal.html")]
pub struct Refusal {
    pub head: Head,
    pub reason: String,
    pub decided_on: String,
}

#[derive(Template)]
#[template(path = "documents/corrections_received.html")]
pub struct CorrectionsReceived {
    pub head: Head,
    pub items: Vec<Correction>,
    pub received_on: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn head() -> Head {
        Head {
            title: "不予受理通知书",
            number: "N".repeat(43),
            centre: "赫山区政务服务中心".into(),
            seal: "赫山区政务服务中心综合受理专用章".into(),
            issued_on: "2026年12月05日".into(),
            applicant_name: "<script>李四</script>".into(),
            applicant_document: "430903********1234".into(),
            item_name: "个体工商户登记".into(),
            implementation_code: "C".repeat(31),
            submitted_on: "2026年12月04日".into(),
        }
    }

    #[test]
    fn a_refusal_names_the_reason_the_remedies_and_escapes_what_people_typed() {
        let page = Refusal {
            head: head(),
            reason: "申请事项不属于本机关职权范围".into(),
            decided_on: "2026年12月05日".into(),
        }
        .render()
        .unwrap();
        for text in [
            "不予受理通知书",
            "申请事项不属于本机关职权范围",
            "六十日内",
            "行政复议",
            "六个月内",
            "行政诉讼",
            "赫山区政务服务中心综合受理专用章",
        ] {
            assert!(page.contains(text), "{text} missing");
        }
        assert!(!page.contains("<script>"), "typed text is escaped");
        assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
    }
}
