//! A supervisor's oversight through the console's pages (plain HTTP, the test's clock): the
//! region's overdue and nearly-due work with its clock in working days, a time limit extended
//! on the work item's page (and one beyond the law refused in approval's words), a bad rating's
//! appeal judged on the remediation's page.

use std::time::Duration;

use serde_json::json;
use tongban_runtime::Clock;

use super::{Visitor, csrf_of};
use crate::cases::{citizen, item_in_force, submitted_case};
use crate::harness::{BrokerStorage, TestPlatform, eventually, staff_password};
use crate::items::{HESHAN, post, status_and_body};

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// A case of `applicant` accepted by `clerk` today, its work item open: (id, number, due date).
async fn accepted(
    test: &TestPlatform,
    clerk: &str,
    supervisor: &str,
    applicant: &str,
    code: &str,
) -> (String, String, String) {
    let (id, materials) = submitted_case(test, applicant, code).await;
    let accepted = crate::cases::accepted_deferring(test, clerk, &id, &materials).await;
    let item = eventually("the work item opens", Duration::from_secs(30), || async {
        let response = test
            .get_as(supervisor, &format!("/api/approval/v1/work-items/{id}"))
            .await;
        if response.status() != 200 {
            return None;
        }
        let item: serde_json::Value = response.json().await.ok()?;
        item["due_date"].is_string().then_some(item)
    })
    .await;
    (
        id,
        accepted["number"].as_str().unwrap().to_owned(),
        item["due_date"].as_str().unwrap().to_owned(),
    )
}

/// The part of `page` from the heading `title` to the next section.
fn section<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page
        .find(&format!(">{title}</h2>"))
        .unwrap_or_else(|| panic!("no section {title}: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_supervisor_oversees_the_region_extends_a_limit_and_judges_an_appeal() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| s.clock = moved).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("over.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "over.clerk", "window_clerk", HESHAN)
        .await;
    let (_, supervisor) = test
        .staff_with_role(&admin, "over.supervisor", "supervisor", HESHAN)
        .await;
    let (_, applicant) = citizen(&test, 81).await;

    // One case accepted on Monday 11-02, another a week later: when the second is a day from
    // its due date, the first is days overdue.
    assert!(clock.set_today(day("2026-11-02")));
    let (_, late_number, late_due) = accepted(&test, &clerk, &supervisor, &applicant, &code).await;
    assert!(clock.set_today(day("2026-11-09")));
    let (soon_id, soon_number, soon_due) =
        accepted(&test, &clerk, &supervisor, &applicant, &code).await;
    let soon_day = day(&soon_due);
    assert!(day(&late_due) + chrono::Days::new(2) <= soon_day);
    let today = soon_day - chrono::Days::new(1);
    assert!(clock.set_today(today));
    let left = test
        .get_json_as(
            &supervisor,
            &format!("/api/approval/v1/work-items/{soon_id}"),
        )
        .await["working_days_left"]
        .as_i64()
        .unwrap();

    let mut visitor = Visitor::new(&test);
    visitor
        .sign_in("over.supervisor", &staff_password("over.supervisor"))
        .await;
    let (status, _, page) = visitor.get("/console/oversight").await;
    assert_eq!(status, 200, "{page}");
    let overdue = section(&page, "超期办件");
    assert!(
        overdue.contains(&late_number)
            && overdue.contains("已超期")
            && overdue.contains("个工作日"),
        "{overdue}"
    );
    assert!(!overdue.contains(&soon_number));
    let nearly = section(&page, "三日内到期");
    assert!(
        nearly.contains(&soon_number)
            && nearly.contains(&format!("{soon_due} · 临近期限 · 剩余 {left} 个工作日")),
        "{nearly}"
    );
    assert!(
        page.contains("职责分离例外的使用"),
        "a region's supervisor sees the uses"
    );
    assert!(
        page.contains("/api/insight/dashboard/"),
        "the dashboard one click away"
    );

    // The limit extended on the work item's page: beyond the law refused in approval's words,
    // three working days accepted.
    let work = format!("/console/work/{soon_id}");
    let (_, _, page) = visitor.get(&work).await;
    assert!(page.contains("延长办理时限"), "{page}");
    let csrf = csrf_of(&page);
    let extend = format!("{work}/clock/extend");
    let (status, _, refused) = visitor
        .post(
            &extend,
            &[
                ("csrf", &csrf),
                ("working_days", "30"),
                ("reason", "需现场核查"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("role=\"alert\""), "{refused}");
    let (status, headers, _) = visitor
        .post(
            &extend,
            &[
                ("csrf", &csrf),
                ("working_days", "3"),
                ("reason", "需现场核查"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        format!("{work}?done=extended").as_str()
    );
    let item = test
        .get_json_as(
            &supervisor,
            &format!("/api/approval/v1/work-items/{soon_id}"),
        )
        .await;
    assert_eq!(
        (
            item["extension_days"].as_i64(),
            item["working_days_left"].as_i64()
        ),
        (Some(3), Some(left + 3)),
        "{item}"
    );

    an_appeal_is_judged_on_its_page(&test, &mut visitor, &code, &clerk, &supervisor).await;
}

/// A visit's bad rating appealed by the clerk (through the API) and upheld by the supervisor
/// on the remediation's page.
async fn an_appeal_is_judged_on_its_page(
    test: &TestPlatform,
    visitor: &mut Visitor<'_>,
    code: &str,
    clerk: &str,
    supervisor: &str,
) {
    let (_, applicant) = citizen(test, 82).await;
    let (id, materials) = submitted_case(test, &applicant, code).await;
    crate::cases::accepted_deferring(test, clerk, &id, &materials).await;
    let (status, visit) = post(
        test,
        clerk,
        "/api/acceptance/v1/visits",
        json!({ "case_id": id, "purpose": "intake" }),
    )
    .await;
    assert_eq!(status, 201, "{visit}");
    let device = format!(
        "/api/acceptance/v1/ratings/visits/{}",
        visit["rating_code"].as_str().unwrap()
    );
    let (status, rated) = status_and_body(
        test.http
            .post(test.url(&device))
            .json(&json!({ "level": "dissatisfied", "comment": "等候时间太长" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{rated}");
    let remediation = rated["remediation_id"].as_str().unwrap().to_owned();
    let (status, under) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/remediations/{remediation}/actions"),
        json!({ "action": "request_review", "kind": "invalid", "note": "当日叫号记录显示等候五分钟" }),
    )
    .await;
    assert_eq!(status, 200, "{under}");

    let (_, _, page) = visitor.get("/console/oversight").await;
    let reviews = section(&page, "待复核的差评整改");
    assert!(
        reviews.contains(&format!("/console/remediations/{remediation}"))
            && reviews.contains("当日叫号记录显示等候五分钟"),
        "{reviews}"
    );
    let path = format!("/console/remediations/{remediation}");
    let (status, _, page) = visitor.get(&path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("认定为无效差评"), "{page}");
    let csrf = csrf_of(&page);
    let (status, headers, _) = visitor
        .post(
            &format!("{path}/review"),
            &[
                ("csrf", &csrf),
                ("uphold", "yes"),
                ("note", "经核查叫号记录属实"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        format!("{path}?done=review_upheld").as_str()
    );
    let (_, _, page) = visitor.get(&format!("{path}?done=review_upheld")).await;
    assert!(
        page.contains("已认定，整改结束") && page.contains("无效差评"),
        "{page}"
    );
    let judged = test
        .get_json_as(
            supervisor,
            &format!("/api/acceptance/v1/remediations/{remediation}"),
        )
        .await;
    assert_eq!(judged["state"], "invalid", "{judged}");

    // The supervisor's pages as a browser shows them: checked with axe, photographed.
    if crate::dashboard::browser_tools() {
        let paths = [
            "/console/oversight".to_owned(),
            path.clone(),
            format!("/console/cases/{id}"),
        ];
        super::in_the_browser(
            test,
            "pages",
            &[
                ("username", "over.supervisor".into()),
                ("password", staff_password("over.supervisor")),
                ("paths", paths.join("|")),
                ("shots", "71-oversight".into()),
            ],
        )
        .await;
    }
}
