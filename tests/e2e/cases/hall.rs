//! A hall's working day (issue 25): an online application reaches the receiving hall's inbox
//! and its count; the clerk sees whom they serve (name, masked document and phone, real-name
//! level) and, at the identity check only, the full number, recorded in the history; staff
//! find the case by its number, the applicant's ID and name; a sibling county and another
//! department find nothing.

use super::*;

/// The hall's counts as `token` sees them.
async fn counts(test: &TestPlatform, token: &str, query: &str) -> Value {
    let (status, body) = status_and_body(
        test.get_as(token, &format!("/api/acceptance/v1/inbox{query}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The hall's counts for the county `region` as `token` sees them — kept, from the changes
/// the database appended — once they agree with the cases counted afresh (the check the
/// kept counts answer to).
pub(crate) async fn kept_counts(test: &TestPlatform, token: &str, region: &str) -> Value {
    let kept = counts(test, token, &format!("?region_code={region}")).await;
    let pool =
        tongban_runtime::db::connect(&test.platform.settings.database, tongban_acceptance::NAME)
            .await
            .unwrap();
    let county = &region[..6];
    let reach = tongban_acceptance::case::reach::Reach {
        lo: format!("{county}000000"),
        hi: format!("{county}999999"),
        department: None,
    };
    let counted = tongban_acceptance::case::hall::count_cases(&pool, &[reach])
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        kept,
        serde_json::to_value(counted).unwrap(),
        "kept and counted"
    );
    kept
}

/// The ids on a page of the inbox's `list` (or of the search, for `list` "search").
async fn listed(test: &TestPlatform, token: &str, path: &str) -> (u16, Vec<String>, Value) {
    let (status, body) = status_and_body(test.get_as(token, path).await).await;
    let ids = body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (status, ids, body)
}

fn search(query: &str) -> String {
    format!("/api/acceptance/v1/cases?{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_online_application_reaches_the_halls_inbox_and_is_found_by_number_and_id() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("hall.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "hall.clerk", "window_clerk", HESHAN)
        .await;
    let (_, sibling) = test
        .staff_with_role(&admin, "hall.sibling", "window_clerk", ANHUA)
        .await;
    let (_, applicant) = citizen(&test, 41).await;
    let document = IdCardNumber::complete("43090319900101041").unwrap();

    let before = counts(&test, &clerk, "").await;
    assert_eq!(before["awaiting_review"], 0, "{before}");
    let (id, materials) = submitted_case(&test, &applicant, &code).await;

    // The count moves and the list holds it, naming the applicant masked.
    let after = kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(after["awaiting_review"], 1, "{after}");
    let (status, ids, page) =
        listed(&test, &clerk, "/api/acceptance/v1/inbox/awaiting_review").await;
    assert_eq!((status, ids), (200, vec![id.clone()]), "{page}");
    let entry = &page["items"][0];
    assert_eq!(entry["applicant_name"], "李四", "{entry}");
    assert_eq!(entry["applicant_document"], document.masked(), "{entry}");
    assert_eq!(entry["real_name_level"], 1, "{entry}");
    assert!(!entry["item_name"].as_str().unwrap().is_empty());
    // The sibling county's hall sees none of it.
    assert_eq!(counts(&test, &sibling, "").await["awaiting_review"], 0);
    let (_, ids, _) = listed(&test, &sibling, "/api/acceptance/v1/inbox/awaiting_review").await;
    assert!(ids.is_empty());

    // The case names whom the clerk serves: masked document and phone.
    let case = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    assert_eq!(case["applicant_name"], "李四", "{case}");
    assert_eq!(case["applicant_document"], document.masked());
    assert_eq!(case["applicant_phone"], "138****8000");
    assert!(
        !case.to_string().contains(document.as_str()),
        "no full number in the case: {case}"
    );

    // Found by number, by the full ID however typed, by the name's beginning, by item and day.
    let number = case["number"].as_str().unwrap().to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let lower = document.as_str().to_ascii_lowercase();
    for query in [
        format!("number={number}"),
        format!("document={lower}"),
        "name=%E6%9D%8E".to_owned(),          // 李, a surname alone
        "name=%E6%9D%8E%E5%9B%9B".to_owned(), // 李四
        format!("implementation_code={code}&submitted_from={today}&submitted_to={today}"),
        "status=submitted".to_owned(),
    ] {
        let (status, ids, body) = listed(&test, &clerk, &search(&query)).await;
        assert_eq!((status, ids), (200, vec![id.clone()]), "{query}: {body}");
        let (status, ids, body) = listed(&test, &sibling, &search(&query)).await;
        assert_eq!((status, ids.len()), (200, 0), "sibling, {query}: {body}");
    }
    let other = IdCardNumber::complete("43090319900101042").unwrap();
    let (_, ids, _) = listed(&test, &clerk, &search(&format!("document={other}"))).await;
    assert!(ids.is_empty(), "another document finds nothing");
    for other in ["%E6%9D%8E%E4%BA%94", "%E7%8E%8B"] {
        // 李五, 王
        let (_, ids, _) = listed(&test, &clerk, &search(&format!("name={other}"))).await;
        assert!(ids.is_empty(), "another name finds nothing: {other}");
    }
    for (query, field) in [
        ("number=123", "number"),
        ("status=lost", "status"),
        (
            "submitted_from=2026-12-05&submitted_to=2026-12-01",
            "submitted_to",
        ),
        ("after=yesterday", "after"),
    ] {
        let (status, _, body) = listed(&test, &clerk, &search(query)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}"
        );
    }
    let (status, _, _) = listed(&test, &applicant, &search("status=submitted")).await;
    assert_eq!(status, 403, "an applicant finds theirs at /cases/mine");

    // The identity check shows the full number once, and the history says so.
    let (status, checked) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/identity-check"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["applicant_document_number"], document.as_str());
    assert_eq!(checked["real_name_level"], 3);
    let history = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{id}/history"))
        .await;
    let check = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "identity_checked")
        .expect("the check is in the history");
    assert_eq!(check["detail"]["document_shown"], true, "{check}");

    // The lists follow the case: correction → awaiting the applicant → resubmitted.
    let fix = json!({ "items": [{ "material_code": materials[0], "reason": "申请书未签名" }] });
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        fix,
    )
    .await;
    assert_eq!(status, 200);
    let now = kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(
        (
            now["awaiting_review"].as_i64(),
            now["awaiting_applicant"].as_i64()
        ),
        (Some(0), Some(1)),
        "{now}"
    );
    let (status, _) = submit(&test, &applicant, &id).await;
    assert_eq!(status, 200);
    let (_, ids, _) = listed(&test, &clerk, "/api/acceptance/v1/inbox/resubmitted").await;
    assert_eq!(ids, vec![id.clone()]);
    accepted_deferring(&test, &clerk, &id, &materials).await;
    let now = kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(
        (now["resubmitted"].as_i64(), now["deferred_owed"].as_i64()),
        (Some(0), Some(1)),
        "{now}"
    );
    let (_, ids, page) = listed(&test, &clerk, "/api/acceptance/v1/inbox/deferred_owed").await;
    assert_eq!(ids, vec![id.clone()], "{page}");
    assert!(page["items"][0]["deferred_until"].is_string(), "{page}");
    let (status, _, body) = listed(&test, &clerk, "/api/acceptance/v1/inbox/lost").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("list")));
    let (status, _, _) = listed(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/inbox/awaiting_review?region_code={ANHUA}"),
    )
    .await;
    assert_eq!(status, 403, "a hall outside one's roles");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn department_bound_staff_find_and_count_only_their_departments_cases() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("dept.admin", "430000000000").await;
    let (_, applicant) = citizen(&test, 43).await;
    let (id, _) = submitted_case(&test, &applicant, &code).await;
    let department: String =
        sqlx::query_scalar("select department_id::text from catalogue.items where code = $1")
            .bind(&code)
            .fetch_one(&test.db)
            .await
            .unwrap();
    let (mut found, mut waiting) = (Vec::new(), Vec::new());
    for (username, department) in [
        ("dept.own", department),
        ("dept.other", uuid::Uuid::now_v7().to_string()),
    ] {
        let token = test
            .staff_of_department(&admin, username, "approver", HESHAN, &department)
            .await;
        let (status, ids, body) = listed(&test, &token, &search("status=submitted")).await;
        assert_eq!(status, 200, "{body}");
        found.push(ids);
        // The hall's inbox is the window's and the supervisors', not the back office's.
        let (status, _, _) = listed(&test, &token, "/api/acceptance/v1/inbox").await;
        assert_eq!(status, 403);
        // A window clerk bound to the department counts only its cases.
        let clerk = format!("{username}.clerk");
        let clerk = test
            .staff_of_department(&admin, &clerk, "window_clerk", HESHAN, &department)
            .await;
        waiting.push(counts(&test, &clerk, "").await["awaiting_review"].as_i64());
    }
    assert_eq!(found, vec![vec![id], vec![]]);
    assert_eq!(waiting, [Some(1), Some(0)]);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hall_benchmark_asks_every_list_and_search_over_the_cases_written() {
    let settings = tongban_runtime::Settings::load(None).unwrap();
    let load = tongban::bench::Load {
        requests: 50,
        concurrency: 4,
        rounds: 1,
    };
    let report = tongban::bench::hall::hall(settings, load, 2_000, |_| {})
        .await
        .unwrap();
    assert_eq!(report.cases, 2_000);
    for measured in [
        &report.inbox_counts,
        &report.awaiting_review,
        &report.search_document,
        &report.search_name,
        &report.search_status_month,
        &report.search_department,
    ] {
        assert_eq!(measured.requests, 50);
    }
    assert!(tongban::bench::hall::table(&report).contains("search by ID number"));
}
