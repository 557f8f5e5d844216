//! 一件事: a bundle application is one case for the applicant and a part per department.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_application_is_one_case_for_the_applicant_and_a_part_per_department() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (bundle_id, codes) = bundle_in_force(&test).await;

    let (parts, applicant, id) =
        one_application_asks_for_each_shared_material_once(&test, &bundle_id, &codes).await;
    let (identity_admin, clerk) = the_parts_move_with_the_bundle_and_each_is_due_by_its_promise(
        &test, &parts, &applicant, &codes, &id,
    )
    .await;
    each_part_s_department_finds_the_application(&test, &identity_admin, &codes, &id).await;
    a_window_takes_the_bundle_in_where_it_is_offered(&test, &identity_admin, &bundle_id, &clerk)
        .await;
    approval_hears_of_each_part(&test, &id).await;
    a_refused_application_is_told_once(&test, &applicant, &bundle_id, &codes, &clerk).await;
    test.stop().await;
}

/// Staff bound to the department of any part find the 一件事 application in the search, as
/// they may open it; staff of another department do not.
async fn each_part_s_department_finds_the_application(
    test: &TestPlatform,
    identity_admin: &str,
    codes: &[String],
    id: &str,
) {
    let mut departments = Vec::new();
    for code in codes {
        let department: String =
            sqlx::query_scalar("select department_id::text from catalogue.items where code = $1")
                .bind(code)
                .fetch_one(&test.db)
                .await
                .unwrap();
        departments.push((department, true));
    }
    departments.push((uuid::Uuid::now_v7().to_string(), false));
    for (n, (department, finds)) in departments.into_iter().enumerate() {
        let username = format!("bundle.dept{n}");
        let token = test
            .staff_of_department(identity_admin, &username, "approver", HESHAN, &department)
            .await;
        let (status, found) = status_and_body(
            test.get_as(&token, "/api/acceptance/v1/cases?status=accepted")
                .await,
        )
        .await;
        assert_eq!(status, 200, "{found}");
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.contains(&id), finds, "department {n}: {found}");
        let opened = test
            .get_as(&token, &format!("/api/acceptance/v1/cases/{id}"))
            .await
            .status();
        assert_eq!(opened, if finds { 200 } else { 404 }, "department {n}");
    }
}

/// A 一件事 application refused at the window takes its parts with it, and the applicant hears
/// of it once: the parts' own refusals raise no message.
async fn a_refused_application_is_told_once(
    test: &TestPlatform,
    applicant: &str,
    bundle_id: &str,
    codes: &[String],
    clerk: &str,
) {
    let (status, case) = post(
        test,
        applicant,
        "/api/acceptance/v1/cases",
        json!({ "bundle_id": bundle_id }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    for (material, mime) in [
        (format!("{}002", codes[1]), "image/jpeg"),
        (format!("{}001", codes[0]), "application/pdf"),
    ] {
        assert_eq!(upload(test, applicant, &id, &material, mime).await.0, 204);
    }
    assert_eq!(submit(test, applicant, &id).await.0, 200);
    let (status, refused) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/refuse"),
        json!({ "reason": "申请事项不属于本机关职权范围" }),
    )
    .await;
    assert_eq!(
        (status, refused["parts"][1]["status"].as_str()),
        (200, Some("refused")),
        "{refused}"
    );
    let told = || async {
        sqlx::query_scalar::<_, String>(
            "select distinct m.case_id::text from notification.messages m
             join acceptance.cases c on c.id = m.case_id
             where m.template = 'case_refused' and (c.id = $1::uuid or c.parent_id = $1::uuid)",
        )
        .bind(&id)
        .fetch_all(&test.db)
        .await
        .unwrap()
    };
    eventually(
        "the applicant to be told",
        Duration::from_secs(30),
        || async { (!told().await.is_empty()).then_some(()) },
    )
    .await;
    // The three events were committed together; give the parts' time to arrive if they would.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(told().await, [id]);
}

async fn one_application_asks_for_each_shared_material_once(
    test: &TestPlatform,
    bundle_id: &str,
    codes: &[String],
) -> (Vec<Value>, String, String) {
    // One application: the combined list asks for each shared material once.
    let (_, applicant) = citizen(test, 6).await;
    let (status, case) = post(
        test,
        &applicant,
        "/api/acceptance/v1/cases",
        json!({ "bundle_id": bundle_id }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["kind"], "bundle");
    assert_eq!(
        case["materials"].as_array().unwrap().len(),
        3,
        "six materials, three distinct"
    );
    assert_eq!(case["parts"].as_array().unwrap().len(), 2);
    let id = case["id"].as_str().unwrap().to_owned();
    // The ID card entered once, under the second item's own material code: it counts for both.
    assert_eq!(
        upload(
            test,
            &applicant,
            &id,
            &format!("{}002", codes[1]),
            "image/jpeg"
        )
        .await
        .0,
        204
    );
    assert_eq!(
        upload(
            test,
            &applicant,
            &id,
            &format!("{}001", codes[0]),
            "application/pdf"
        )
        .await
        .0,
        204
    );
    let (status, submitted) = submit(test, &applicant, &id).await;
    assert_eq!(status, 200, "{submitted}");
    let parts = submitted["case"]["parts"].as_array().unwrap().clone();
    let mut numbers: Vec<String> = parts
        .iter()
        .map(|p| p["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    assert!(
        numbers
            .iter()
            .zip(codes)
            .all(|(n, c)| n.starts_with(c.as_str())),
        "{numbers:?}"
    );
    assert!(
        submitted["case"]["number"]
            .as_str()
            .unwrap()
            .starts_with(&codes[0]),
        "numbered by the lead item"
    );
    (parts, applicant, id)
}

async fn the_parts_move_with_the_bundle_and_each_is_due_by_its_promise(
    test: &TestPlatform,
    parts: &[Value],
    applicant: &str,
    codes: &[String],
    id: &str,
) -> (String, String) {
    // The parts move only with the bundle case.
    let part = parts[0]["id"].as_str().unwrap();
    let (status, body) = post(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{part}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("part_of_bundle"))
    );

    // One acceptance: each part due by its own promise, the bundle when the last part is.
    let identity_admin = test.admin("bundle.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.bundle", "window_clerk", HESHAN)
        .await;
    let deferral = json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": format!("{}003", codes[0]), "within_working_days": 5 }] });
    let (status, accepted) = post(
        test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral,
    )
    .await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let t = test;
    let due = |days: u32| {
        let url = t.url(&format!(
            "/api/catalogue/v1/calendar/regions/{HESHAN}/due?from={today}&days={days}"
        ));
        async move {
            t.get_json(&url).await.unwrap()["date"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (five, three) = (due(5).await, due(3).await);
    let mut part_dues: Vec<String> = accepted["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["due_date"].as_str().unwrap().to_owned())
        .collect();
    part_dues.sort();
    assert_eq!(part_dues, [three.clone(), five.clone()]);
    assert_eq!(accepted["due_date"], five.as_str());
    assert!(
        accepted["parts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "accepted")
    );
    (identity_admin, clerk)
}

async fn a_window_takes_the_bundle_in_where_it_is_offered(
    test: &TestPlatform,
    identity_admin: &str,
    bundle_id: &str,
    clerk: &str,
) {
    // A window takes the same bundle in for an applicant without an account, in the region that
    // offers it, not elsewhere.
    let (_, anhua) = test
        .staff_with_role(identity_admin, "anhua.bundle", "window_clerk", ANHUA)
        .await;
    let intake = |region: &str| {
        json!({
            "bundle_id": bundle_id, "receiving_region": region,
            "applicant": { "kind": "enterprise", "name": "某某餐饮店", "document_number": crate::harness::credit_code(777) },
        })
    };
    let (status, taken) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        intake(HESHAN),
    )
    .await;
    assert_eq!(
        (status, taken["kind"].as_str()),
        (201, Some("bundle")),
        "{taken}"
    );
    assert_eq!(taken["parts"].as_array().unwrap().len(), 2);
    let (status, body) = post(
        test,
        &anhua,
        "/api/acceptance/v1/cases/intake",
        intake(ANHUA),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("receiving_region"))
    );
}

async fn approval_hears_of_each_part(test: &TestPlatform, id: &str) {
    // Approval will hear of each part: one CaseAccepted per part, and the bundle's own.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::ACCEPTANCE, |got| {
        got.iter().filter(|e| of_type(e, "case_accepted")).count() >= 3
    })
    .await;
    let accepted: Vec<CaseAccepted> = events
        .iter()
        .filter(|e| of_type(e, "case_accepted"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .collect();
    let mut kinds: Vec<&str> = accepted
        .iter()
        .map(|a| a.case.as_ref().unwrap().kind.as_str())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["bundle", "part", "part"],
        "approval works on the parts"
    );
    assert!(
        accepted
            .iter()
            .filter(|a| a.case.as_ref().unwrap().kind == "part")
            .all(|a| a.case.as_ref().unwrap().parent_case_id == id)
    );
}
