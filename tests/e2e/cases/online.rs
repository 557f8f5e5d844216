//! An online application from draft to receipt: checked, corrected once, accepted.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_online_application_is_corrected_once_then_accepted_with_a_receipt() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 1).await;
    let identity_admin = test.admin("cases.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.window", "window_clerk", HESHAN)
        .await;
    let (_, sibling) = test
        .staff_with_role(&identity_admin, "anhua.window", "window_clerk", ANHUA)
        .await;

    let (id, materials) = a_draft_is_created_once_and_checked(&test, &applicant, &code).await;
    let (number, today, password) = materials_are_checked_and_submission_names_the_missing(
        &test, &applicant, &id, &materials, &code,
    )
    .await;
    only_the_hall_decides_and_corrects_once(
        &test, &sibling, &id, &applicant, &materials, &clerk, &number,
    )
    .await;
    let expected = a_deferred_material_needs_a_deadline_and_a_commitment(
        &test, &clerk, &id, &materials, today,
    )
    .await;
    the_receipt_and_the_lookup(&test, &applicant, &id, &number, &password).await;
    the_history_and_the_events_the_province_receives(&test, &clerk, &id, &number, &expected).await;
    test.stop().await;
}

async fn a_draft_is_created_once_and_checked(
    test: &TestPlatform,
    applicant: &str,
    code: &str,
) -> (String, Vec<String>) {
    // A draft, created once however often the request is retried.
    let create = || async {
        test.http
            .post(test.url("/api/acceptance/v1/cases"))
            .bearer_auth(applicant)
            .header("idempotency-key", "portal-7f3a")
            .json(&json!({ "implementation_code": code, "form": { "经营者姓名": "李四" } }))
            .send()
            .await
            .unwrap()
    };
    let (status, draft) = status_and_body(create().await).await;
    assert_eq!(status, 201, "{draft}");
    let (status, again) = status_and_body(create().await).await;
    assert_eq!(
        (status, &again["id"]),
        (200, &draft["id"]),
        "a retry creates nothing"
    );
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["item_version"], 1);
    let materials: Vec<String> = draft["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["material_code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(materials.len(), 3);
    let (status, body) = post(
        test,
        applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": format!("{}9", &code[..30]) }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("implementation_code")),
        "{body}"
    );
    (id, materials)
}

async fn materials_are_checked_and_submission_names_the_missing(
    test: &TestPlatform,
    applicant: &str,
    id: &str,
    materials: &[String],
    code: &str,
) -> (String, chrono::NaiveDate, String) {
    // Materials: on the list, of an accepted type, within the size limit; submission names
    // every missing one.
    // The gateway answers 413 from the declared length, before any of the body is read (and
    // closes the connection): the request is written by hand, headers only, so no client races
    // to write a body the server will never read.
    let status = oversized_upload(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{id}/materials/{}", materials[0]),
        3 * 1024 * 1024,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(
        upload(test, applicant, id, &materials[0], "application/pdf")
            .await
            .0,
        204
    );
    let (status, body) = upload(test, applicant, id, &materials[1], "text/plain").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("content-type"))
    );
    // Checked by content: a page of HTML declared as a PDF is refused, and nothing is stored
    // to be served back.
    let html = crate::files::html_page();
    let (status, body) =
        upload_bytes(test, applicant, id, &materials[1], "application/pdf", html).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("body")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not a PDF as declared"),
        "{body}"
    );
    let (status, body) = upload_bytes(
        test,
        applicant,
        id,
        &materials[1],
        "image/png",
        crate::files::scan("image/jpeg"),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("body")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("not a PNG"),
        "{body}"
    );
    let stored = test
        .get_as(
            applicant,
            &format!("/api/acceptance/v1/cases/{id}/materials/{}", materials[1]),
        )
        .await;
    assert_eq!(stored.status(), 404, "nothing stored for the refused files");
    let (status, body) = upload(
        test,
        applicant,
        id,
        &format!("{code}099"),
        "application/pdf",
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("material_code"))
    );
    let (status, body) = submit(test, applicant, id).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("materials")));
    assert!(
        body["message"].as_str().unwrap().contains(&materials[1]),
        "{body}"
    );
    assert_eq!(
        upload(test, applicant, id, &materials[1], "image/jpeg")
            .await
            .0,
        204
    );
    let (status, submitted) = submit(test, applicant, id).await;
    assert_eq!(status, 200, "{submitted}");
    let number = submitted["case"]["number"].as_str().unwrap().to_owned();
    let password = submitted["query_password"].as_str().unwrap().to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    assert_eq!(number.len(), 43);
    assert_eq!(number, format!("{code}{}0001", today.format("%Y%m%d")));
    (number, today, password)
}

async fn only_the_hall_decides_and_corrects_once(
    test: &TestPlatform,
    sibling: &str,
    id: &str,
    applicant: &str,
    materials: &[String],
    clerk: &str,
    number: &str,
) {
    let number = number.to_owned();
    // A clerk of a sibling county sees nothing and decides nothing.
    assert_eq!(
        test.get_as(sibling, &format!("/api/acceptance/v1/cases/{id}"))
            .await
            .status(),
        404
    );
    let (status, _) = post(
        test,
        sibling,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    // Nor does the applicant decide their own case.
    let (status, _) = post(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);

    // The one-time correction notice, then the resubmission keeps the number.
    let fix = json!({ "items": [{ "material_code": materials[0], "reason": "申请书未签名" }] });
    let (status, corrected) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        fix.clone(),
    )
    .await;
    assert_eq!(
        (status, corrected["status"].as_str()),
        (200, Some("needs_correction")),
        "{corrected}"
    );
    // A second notice before the applicant answers says why it may not, in plain words.
    let notice = format!("/api/acceptance/v1/cases/{id}/correction");
    let (status, again) = post(test, clerk, &notice, fix.clone()).await;
    assert_eq!(status, 409, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("waiting for the applicant's corrections"),
        "{again}"
    );
    assert_eq!(
        upload(test, applicant, id, &materials[0], "application/pdf")
            .await
            .0,
        204
    );
    let (status, resubmitted) = submit(test, applicant, id).await;
    assert_eq!(
        (status, resubmitted["case"]["submissions"].as_i64()),
        (200, Some(2))
    );
    assert_eq!(resubmitted["case"]["number"], number.as_str());
    let (status, body) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        fix,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("correction_already_requested"))
    );
}

async fn a_deferred_material_needs_a_deadline_and_a_commitment(
    test: &TestPlatform,
    clerk: &str,
    id: &str,
    materials: &[String],
    today: chrono::NaiveDate,
) -> Value {
    // 容缺: the missing deferrable material must be accepted with a deadline.
    let (status, body) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("deferred")),
        "{body}"
    );
    // ... against the applicant's written commitment.
    let uncommitted =
        json!({ "deferred": [{ "material_code": materials[2], "within_working_days": 5 }] });
    let (status, body) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        uncommitted,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("commitment")));
    let deferral = json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": materials[2], "within_working_days": 5 }] });
    let (status, accepted) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral.clone(),
    )
    .await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    let expected = get(
        test,
        &format!("/api/catalogue/v1/calendar/regions/{HESHAN}/due?from={today}&days=5"),
    )
    .await
    .1;
    assert_eq!(
        accepted["due_date"], expected["date"],
        "5 working days in 赫山区's calendar"
    );
    assert!(accepted["materials"][2]["deferred_until"].is_string());
    let (status, body) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("illegal_transition")),
        "no deciding twice"
    );
    expected
}

async fn the_receipt_and_the_lookup(
    test: &TestPlatform,
    applicant: &str,
    id: &str,
    number: &str,
    password: &str,
) {
    let number = number.to_owned();
    let password = password.to_owned();
    // The receipt, and the lookup anyone with number and password can make.
    let receipt = test
        .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{id}/receipt"))
        .await;
    assert_eq!(
        (receipt["number"].as_str(), receipt.get("query_password")),
        (Some(number.as_str()), None),
        "the password was given once, with the submission"
    );
    let stored: String =
        sqlx::query_scalar("select query_password from acceptance.cases where number = $1")
            .bind(&number)
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert!(
        stored.len() == 64 && !stored.contains(&password),
        "kept as a keyed hash, not as it is"
    );
    assert_eq!(receipt["materials"].as_array().unwrap().len(), 3);
    let t = test;
    let lookup = |password: String| {
        let url = t.url("/api/acceptance/v1/cases/lookup");
        let body = json!({ "number": number, "password": password });
        async move { status_and_body(t.http.post(url).json(&body).send().await.unwrap()).await }
    };
    let (status, progress) = lookup(password.clone()).await;
    assert_eq!(
        (status, progress["status"].as_str()),
        (200, Some("accepted"))
    );
    // Accepted, not decided: the decision (办结) is the department's, still to come.
    assert!(progress["accepted_at"].is_string(), "{progress}");
    assert!(progress["decided_at"].is_null(), "{progress}");
    assert!(progress["conclusion"].is_null(), "{progress}");
    assert_eq!(lookup("WRONGPWD".into()).await.0, 404);
}

async fn the_history_and_the_events_the_province_receives(
    test: &TestPlatform,
    clerk: &str,
    id: &str,
    number: &str,
    expected: &Value,
) {
    let number = number.to_owned();
    // The history, append-only, and the events the province receives. The back office's
    // opening arrives from approval's event after the acceptance, so wait for it: without the
    // wait the list depended on which came first.
    let actions: Vec<String> = eventually(
        "the back office's opening in the case history",
        Duration::from_secs(30),
        || async {
            let history = test
                .get_json_as(clerk, &format!("/api/acceptance/v1/cases/{id}/history"))
                .await;
            let actions: Vec<String> = history
                .as_array()?
                .iter()
                .filter_map(|h| h["action"].as_str().map(str::to_owned))
                .collect();
            actions
                .iter()
                .any(|a| a == "back_office_opened")
                .then_some(actions)
        },
    )
    .await;
    assert_eq!(
        actions,
        [
            "created",
            "material_provided",
            "material_provided",
            "submitted",
            "correction_requested",
            "material_provided",
            "submitted",
            "accepted",
            "back_office_opened"
        ]
    );
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::ACCEPTANCE, |got| {
        got.iter().any(|e| of_type(e, "case_accepted"))
    })
    .await;
    let submissions: Vec<CaseSubmitted> = events
        .iter()
        .filter(|e| of_type(e, "case_submitted"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .collect();
    assert_eq!(
        submissions.iter().map(|s| s.submission).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(events.iter().any(|e| of_type(e, "correction_requested")));
    let accepted_event: CaseAccepted = events
        .iter()
        .find(|e| of_type(e, "case_accepted"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .unwrap();
    assert_eq!(accepted_event.case.as_ref().unwrap().case_number, number);
    assert_eq!(accepted_event.due_date, expected["date"].as_str().unwrap());
    assert_eq!(accepted_event.deferred.len(), 1);
    assert!(
        events
            .iter()
            .all(|e| e.header("ce_subject").as_deref() == Some(number.as_str()))
    );
}
