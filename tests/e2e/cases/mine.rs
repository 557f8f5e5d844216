//! Finding one's cases (issue 25): the applicant's own applications ("citizens cannot list
//! their own applications"), a case by the number on its receipt for the staff in scope (it was
//! a 400 "UUID parsing failed"), and routing's answers in JSON (a 405 had an empty body).

use super::*;

/// `token`'s applications page as `query` asks: (status, body).
async fn mine(test: &TestPlatform, token: &str, query: &str) -> (u16, Value) {
    status_and_body(
        test.get_as(token, &format!("/api/acceptance/v1/cases/mine{query}"))
            .await,
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_applicant_lists_their_own_applications_newest_first_a_page_at_a_time() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 31).await;
    let (_, neighbour) = citizen(&test, 32).await;
    let (first, _) = submitted_case(&test, &applicant, &code).await;
    let (second, _) = draft_with_materials(&test, &applicant, &code).await;
    let (third, _) = submitted_case(&test, &applicant, &code).await;
    let (theirs, _) = draft_with_materials(&test, &neighbour, &code).await;

    let (status, page) = mine(&test, &applicant, "?limit=2").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), [third.clone(), second.clone()], "{page}");
    let latest = &page["items"][0];
    assert_eq!(latest["status"], "submitted");
    assert!(
        latest["number"]
            .as_str()
            .is_some_and(|n| n.starts_with(&code)),
        "{latest}"
    );
    assert!(!latest["name"].as_str().unwrap().is_empty(), "{latest}");
    assert_eq!(page["items"][1]["status"], "draft");
    let next = page["next"].as_str().expect("a next page").to_owned();
    let query = format!("?limit=2&after={}", urlencode(&next));
    let (status, rest) = mine(&test, &applicant, &query).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(ids(&rest), [first], "{rest}");
    assert!(rest["next"].is_null(), "{rest}");

    // Drafts alone; another applicant's never; bad input named.
    let (_, drafts) = mine(&test, &applicant, "?status=draft").await;
    assert_eq!(ids(&drafts), [second], "{drafts}");
    let (_, other) = mine(&test, &neighbour, "").await;
    assert_eq!(ids(&other), [theirs], "{other}");
    for (query, field) in [
        ("?status=lost", "status"),
        ("?after=yesterday", "after"),
        ("?limit=0", "limit"),
    ] {
        let (status, body) = mine(&test, &applicant, query).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }
    let anonymous = test
        .http
        .get(test.url("/api/acceptance/v1/cases/mine"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_method_a_route_does_not_answer_is_a_json_405_naming_the_allowed_ones() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (_, applicant) = citizen(&test, 33).await;
    let response = test
        .http
        .delete(test.url("/api/acceptance/v1/cases/mine"))
        .bearer_auth(&applicant)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["code"], "method_not_allowed", "{body}");
    let (status, body) = status_and_body(
        test.http
            .patch(test.url("/api/catalogue/v1/departments"))
            .bearer_auth(&applicant)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hall_finds_a_case_by_the_number_on_its_receipt_and_no_other_county_does() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 34).await;
    let admin = test.admin("number.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "number.clerk", "window_clerk", HESHAN)
        .await;
    let (_, sibling) = test
        .staff_with_role(&admin, "number.sibling", "window_clerk", ANHUA)
        .await;
    let (id, _) = submitted_case(&test, &applicant, &code).await;
    let case = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    let number = case["number"].as_str().unwrap();
    for token in [&clerk, &applicant] {
        let (status, found) = by_number(&test, token, number).await;
        assert_eq!(
            (status, found["id"].as_str()),
            (200, Some(id.as_str())),
            "{found}"
        );
    }
    let (status, body) = by_number(&test, &sibling, number).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        !body.to_string().contains(&id),
        "a 404 names no case id: {body}"
    );
    let unknown = format!("{}9999", &number[..39]);
    let (status, body) = by_number(&test, &clerk, &unknown).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = by_number(&test, &clerk, "11430903MC-not-a-number").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("id")),
        "{body}"
    );
    test.stop().await;
}

/// Case `number` as `token` asks for it by its number: (status, body).
async fn by_number(test: &TestPlatform, token: &str, number: &str) -> (u16, Value) {
    let path = format!("/api/acceptance/v1/cases/{number}");
    status_and_body(test.get_as(token, &path).await).await
}

fn urlencode(value: &str) -> String {
    value.replace(':', "%3A").replace(',', "%2C")
}
