//! An accepted case passes its three steps, is returned once and approved; its sealed
//! e-certificate verifies, detects tampering and is revoked.
//! ([`super::national`]: its SM2 seal, identifier and the Ed25519 certificates from before.)

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accepted_case_passes_three_steps_and_its_sealed_certificate_detects_tampering() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 21).await;

    let (case, accepted) =
        an_accepted_case_opens_in_the_departments_queue(&test, &staff, &applicant, &code).await;
    nobody_outside_sees_or_acts_on_it(&test, &staff, &applicant, &case).await;
    let after_a = a_claims_and_completes_the_first_step(&test, &staff, &case).await;
    b_reviews_and_c_may_not_return_it_to_the_window(&test, &staff, &case, &after_a).await;
    let approved = c_returns_it_to_b_then_approves(&test, &staff, &case).await;
    let (certificate_id, sealed) =
        the_sealed_certificate_detects_tampering(&test, &approved, &applicant, &accepted, &code)
            .await;
    the_certificate_is_revoked_by_its_department(
        &test,
        &staff,
        &applicant,
        &case,
        &certificate_id,
        &sealed,
    )
    .await;
    the_applicant_sees_the_back_offices_progress(&test, &applicant, &case).await;
    every_step_is_in_the_history_and_an_event(&test, &staff, &case, &accepted, &certificate_id)
        .await;
    test.stop().await;
}

async fn an_accepted_case_opens_in_the_departments_queue(
    test: &TestPlatform,
    staff: &Staff,
    applicant: &str,
    code: &str,
) -> (String, Value) {
    let [(_, a), _, _] = &staff.approvers;
    // Accepted at the window: the work item opens in the department's queue, due when
    // acceptance said.
    let (case, accepted) = accepted_case(test, applicant, &staff.clerk, code).await;
    let item = opened(test, a, &case).await;
    assert_eq!(
        item["due_date"], accepted["due_date"],
        "the same working-day arithmetic"
    );
    assert_eq!(item["current_step"], 2, "受理 was the window's");
    assert_eq!(item["steps"][0]["state"], "done");
    let queue = test
        .get_json_as(
            a,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}"),
        )
        .await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["case_id"] == case.as_str())
    );
    // Filtered by the open step and by department.
    let department = item["department_id"].as_str().unwrap();
    for (filter, expected) in [
        ("&step=承办".to_owned(), 1),
        ("&step=审核".to_owned(), 0),
        (format!("&department_id={department}"), 1),
        (format!("&department_id={}", uuid::Uuid::now_v7()), 0),
    ] {
        let listed = test
            .get_json_as(
                &staff.supervisor,
                &format!("/api/approval/v1/work-items?region_code={HESHAN}{filter}"),
            )
            .await;
        assert_eq!(
            listed["items"].as_array().unwrap().len(),
            expected,
            "{filter}"
        );
    }
    (case, accepted)
}

async fn nobody_outside_sees_or_acts_on_it(
    test: &TestPlatform,
    staff: &Staff,
    applicant: &str,
    case: &str,
) {
    // Nobody outside the department or the county sees it or acts on it.
    for outsider in [&staff.other_department, &staff.sibling, applicant] {
        assert_eq!(
            test.get_as(outsider, &format!("/api/approval/v1/work-items/{case}"))
                .await
                .status(),
            404
        );
        let (status, _) = post(
            test,
            outsider,
            &format!("/api/approval/v1/work-items/{case}/steps/2/claim"),
            json!({}),
        )
        .await;
        assert_eq!(status, 404);
    }
    let theirs = test
        .get_json_as(
            &staff.other_department,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}"),
        )
        .await;
    assert_eq!(
        theirs["items"].as_array().unwrap().len(),
        0,
        "another department's queue"
    );
    assert_eq!(
        test.get_as(
            &staff.sibling,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}")
        )
        .await
        .status(),
        403
    );
}

async fn a_claims_and_completes_the_first_step(
    test: &TestPlatform,
    staff: &Staff,
    case: &str,
) -> Value {
    let [(_, a), _, _] = &staff.approvers;
    let [_, (_, b), _] = &staff.approvers;
    // 承办 by A: claim, then complete with an opinion. Steps go in order, by whoever claimed.
    let path = |step: u32, action: &str| {
        format!("/api/approval/v1/work-items/{case}/steps/{step}/{action}")
    };
    assert_eq!(
        post(test, a, &path(3, "claim"), json!({})).await.0,
        409,
        "not open yet"
    );
    assert_eq!(
        post(
            test,
            a,
            &path(2, "complete"),
            json!({ "opinion": "材料齐全" })
        )
        .await
        .0,
        409,
        "claim first"
    );
    assert_eq!(post(test, a, &path(2, "claim"), json!({})).await.0, 200);
    assert_eq!(
        post(test, b, &path(2, "claim"), json!({})).await.0,
        409,
        "claimed by A"
    );
    let (status, body) = post(test, a, &path(2, "complete"), json!({ "opinion": "" })).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("opinion")));
    let (status, after_a) = post(
        test,
        a,
        &path(2, "complete"),
        json!({ "opinion": "材料齐全，符合条件" }),
    )
    .await;
    assert_eq!((status, after_a["current_step"].as_i64()), (200, Some(3)));
    // A stale view is refused.
    let (status, body) = post(test, b, &path(3, "claim"), json!({ "revision": 1 })).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("stale_revision"))
    );
    after_a
}

async fn b_reviews_and_c_may_not_return_it_to_the_window(
    test: &TestPlatform,
    staff: &Staff,
    case: &str,
    after_a: &Value,
) {
    let [_, (_, b), _] = &staff.approvers;
    let path = |step: u32, action: &str| {
        format!("/api/approval/v1/work-items/{case}/steps/{step}/{action}")
    };
    let [_, _, (_, c)] = &staff.approvers;
    // 审核 by B; 批准 by C sends it back once, B reviews again, then C approves.
    assert_eq!(
        post(
            test,
            b,
            &path(3, "claim"),
            json!({ "revision": after_a["revision"] })
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(test, b, &path(3, "complete"), json!({ "opinion": "同意" }))
            .await
            .0,
        200
    );
    assert_eq!(post(test, c, &path(4, "claim"), json!({})).await.0, 200);
    assert_eq!(
        post(test, c, &path(4, "complete"), json!({ "opinion": "同意" }))
            .await
            .0,
        409,
        "the last step decides"
    );
    let (status, body) = post(
        test,
        c,
        &path(4, "return"),
        json!({ "to_step": 1, "reason": "x" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("to_step")),
        "not to the window's step"
    );
}

async fn c_returns_it_to_b_then_approves(test: &TestPlatform, staff: &Staff, case: &str) -> Value {
    let [_, _, (_, c)] = &staff.approvers;
    let path = |step: u32, action: &str| {
        format!("/api/approval/v1/work-items/{case}/steps/{step}/{action}")
    };
    let [_, (_, b), _] = &staff.approvers;
    let [(a_id, _), _, _] = &staff.approvers;
    let [_, (b_id, _), _] = &staff.approvers;
    let [_, _, (c_id, _)] = &staff.approvers;
    let (status, returned) = post(
        test,
        c,
        &path(4, "return"),
        json!({ "to_step": 3, "reason": "经营范围表述需核实" }),
    )
    .await;
    assert_eq!((status, returned["current_step"].as_i64()), (200, Some(3)));
    assert_eq!(returned["steps"][2]["state"], "open");
    handle_step(test, b, case, 3, "已核实，同意").await;
    assert_eq!(post(test, c, &path(4, "claim"), json!({})).await.0, 200);
    let (status, approved) = post(
        test,
        c,
        &path(4, "decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(
        (status, approved["state"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );
    assert_eq!(approved["on_time"], true);
    let completed_by: Vec<&str> = approved["steps"].as_array().unwrap()[1..]
        .iter()
        .map(|s| s["completed_by"].as_str().unwrap())
        .collect();
    assert_eq!(
        completed_by,
        [a_id.as_str(), b_id.as_str(), c_id.as_str()],
        "three steps by three staff"
    );
    assert_eq!(
        post(
            test,
            c,
            &path(4, "decide"),
            json!({ "decision": "approve", "opinion": "再次" })
        )
        .await
        .0,
        409
    );
    approved
}

async fn the_sealed_certificate_detects_tampering(
    test: &TestPlatform,
    approved: &Value,
    applicant: &str,
    accepted: &Value,
    code: &str,
) -> (String, Value) {
    // The e-certificate: the holder reads it; anyone verifies it; any change is detected.
    let certificate_id = approved["certificates"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sealed = test
        .get_json_as(
            applicant,
            &format!("/api/approval/v1/certificates/{certificate_id}"),
        )
        .await;
    assert_eq!(sealed["document"]["type"], "营业执照");
    assert_eq!(sealed["document"]["case_number"], accepted["number"]);
    let verify = |body: Value| {
        let http = test.http.clone();
        let url = test.url("/api/approval/v1/certificates/verify");
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let genuine =
        verify(json!({ "document": sealed["document"], "signature": sealed["signature"] })).await;
    assert_eq!(
        (genuine["valid"].as_bool(), genuine["status"].as_str()),
        (Some(true), Some("valid")),
        "{genuine}"
    );
    let mut tampered = sealed["document"].clone();
    tampered["holder"]["document_masked"] = json!("110101********0000");
    let forged = verify(json!({ "document": tampered, "signature": sealed["signature"] })).await;
    assert_eq!(
        (forged["valid"].as_bool(), forged["status"].as_str()),
        (Some(false), Some("altered")),
        "{forged}"
    );
    let mut unknown = sealed["document"].clone();
    unknown["id"] = json!(uuid::Uuid::now_v7());
    let unknown = verify(json!({ "document": unknown, "signature": sealed["signature"] })).await;
    assert_eq!(unknown["status"], "unknown", "{unknown}");
    national::it_is_sealed_with_sm2_and_named_after_gb_t_36904(
        test,
        applicant,
        &sealed,
        &certificate_id,
    )
    .await;
    let seal = test
        .get_json(&test.url(&format!("/api/approval/v1/seals/{}", &code[..18])))
        .await
        .unwrap();
    assert_eq!(
        seal["keys"][0]["key_id"],
        sealed["document"]["seal"]["key_id"]
    );
    assert_eq!(seal["keys"][0]["algorithm"], "SM2");
    assert_eq!(
        seal["keys"][0]["public_key_pem"],
        sealed["seal"]["public_key_pem"]
    );
    national::the_seal_key_in_the_database_is_useless_without_the_kek(
        test,
        &code[..18],
        &tampered,
        &verify,
    )
    .await;
    national::a_certificate_sealed_with_ed25519_before_still_verifies(
        test,
        &sealed,
        &code[..18],
        &verify,
    )
    .await;
    (certificate_id, sealed)
}

async fn the_certificate_is_revoked_by_its_department(
    test: &TestPlatform,
    staff: &Staff,
    applicant: &str,
    case: &str,
    certificate_id: &str,
    sealed: &Value,
) {
    let [_, _, (_, c)] = &staff.approvers;
    let verify = |body: Value| {
        let http = test.http.clone();
        let url = test.url("/api/approval/v1/certificates/verify");
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Acceptance learns the conclusion (the result awaits delivery) and the certificate (一证通办).
    let case_view = concluded(test, applicant, case).await;
    assert_eq!(case_view["conclusion"], "approved");
    test.eventually_counts(
        "acceptance to learn the certificate",
        &format!(
            "select count(*) from acceptance.certificates where certificate_id = '{certificate_id}'"
        ),
        1,
    )
    .await;

    // Revoked by the department (an approver of another department may not): it verifies as
    // revoked and stands in for no material any more.
    let revoke = format!("/api/approval/v1/certificates/{certificate_id}/revoke");
    assert_eq!(
        post(
            test,
            &staff.other_department,
            &revoke,
            json!({ "reason": "x" })
        )
        .await
        .0,
        404
    );
    let (status, body) = post(test, c, &revoke, json!({ "reason": " " })).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    assert_eq!(
        post(test, c, &revoke, json!({ "reason": "申请人申请注销" }))
            .await
            .0,
        200
    );
    assert_eq!(
        post(test, c, &revoke, json!({ "reason": "再次注销" }))
            .await
            .0,
        409
    );
    let revoked =
        verify(json!({ "document": sealed["document"], "signature": sealed["signature"] })).await;
    assert_eq!(
        (
            revoked["valid"].as_bool(),
            revoked["status"].as_str(),
            revoked["revoked_at"].is_string()
        ),
        (Some(false), Some("revoked"), true),
        "{revoked}"
    );
    test.eventually_counts(
        "acceptance to learn the revocation",
        &format!("select count(*) from acceptance.certificates where certificate_id = '{certificate_id}' and revoked_at is not null"),
        1,
    )
    .await;
}

async fn the_applicant_sees_the_back_offices_progress(
    test: &TestPlatform,
    applicant: &str,
    case: &str,
) {
    // The applicant's case history shows the back office's progress (not its opinions).
    let applicant_history = eventually(
        "acceptance to record the back office's steps",
        Duration::from_secs(30),
        || async {
            let history = test
                .get_json_as(
                    applicant,
                    &format!("/api/acceptance/v1/cases/{case}/history"),
                )
                .await;
            let actions: Vec<String> = history
                .as_array()?
                .iter()
                .filter_map(|h| h["action"].as_str().map(str::to_owned))
                .collect();
            (actions.iter().filter(|a| *a == "step_completed").count() == 3)
                .then_some((actions, history))
        },
    )
    .await;
    for action in [
        "back_office_opened",
        "step_started",
        "step_returned",
        "concluded",
    ] {
        assert!(
            applicant_history.0.iter().any(|a| a == action),
            "{action} in {:?}",
            applicant_history.0
        );
    }
    assert!(
        !applicant_history
            .1
            .to_string()
            .contains("材料齐全，符合条件"),
        "opinions stay in the back office"
    );
}

async fn every_step_is_in_the_history_and_an_event(
    test: &TestPlatform,
    staff: &Staff,
    case: &str,
    accepted: &Value,
    certificate_id: &str,
) {
    // The history shows every step; each was an event.
    let history = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items/{case}/history"),
        )
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "opened",
            "claimed",
            "completed",
            "claimed",
            "completed",
            "claimed",
            "returned",
            "claimed",
            "completed",
            "claimed",
            "approved",
            "certificate_revoked"
        ]
    );
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::APPROVAL, |got| {
        got.iter().any(|e| of_type(e, "case_concluded"))
            && got.iter().any(|e| of_type(e, "certificate_issued"))
    })
    .await;
    for name in [
        "work_item_opened",
        "step_claimed",
        "step_completed",
        "step_returned",
    ] {
        assert!(events.iter().any(|e| of_type(e, name)), "{name} published");
    }
    let opened_event: WorkItemOpened = decode(
        events
            .iter()
            .find(|e| of_type(e, "work_item_opened"))
            .unwrap(),
    );
    assert_eq!(
        opened_event.due_date,
        accepted["due_date"].as_str().unwrap()
    );
    let concluded: CaseConcluded = decode(
        events
            .iter()
            .find(|e| of_type(e, "case_concluded"))
            .unwrap(),
    );
    assert_eq!(
        (concluded.decision.as_str(), concluded.on_time),
        ("approved", true)
    );
    assert_eq!(concluded.results[0].certificate_id, certificate_id);
    let issued: CertificateIssued = decode(
        events
            .iter()
            .find(|e| of_type(e, "certificate_issued"))
            .unwrap(),
    );
    assert_eq!(issued.certificate_type, "营业执照");
}
