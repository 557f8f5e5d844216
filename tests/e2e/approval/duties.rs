//! Separation of duties (审批分离, 一审一核): whoever accepted a case handles none of its
//! approval steps, and nobody handles two steps of one case, whatever roles they hold; the
//! refusal is 403 with the rule's code.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_acceptor_approves_nothing_and_nobody_handles_two_steps_of_a_case() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = three_step_item(&test, 10).await;
    let department = department_of(&test, &code).await;
    let staff = staff(&test, &department).await;
    let [(_, a), (_, b), (_, c)] = &staff.approvers;
    let (_, applicant) = crate::cases::citizen(&test, 23).await;

    // One person who is both the hall's clerk and an approver of the department.
    let admin = test.admin("duties.admin", "430000000000").await;
    let both_id = test.create_staff(&admin, "heshan.both", HESHAN).await;
    test.grant(&admin, &both_id, "window_clerk", HESHAN).await;
    let both = approver_of(&test, &admin, &both_id, "heshan.both", &department).await;

    let (case, _) = accepted_case(&test, &applicant, &both, &code).await;
    opened(&test, a, &case).await;
    let path =
        |n: u32, action: &str| format!("/api/approval/v1/work-items/{case}/steps/{n}/{action}");
    let refused = |status: u16, body: &Value, code: &str| {
        assert_eq!((status, body["code"].as_str()), (403, Some(code)), "{body}");
    };
    let (status, body) = post(&test, &both, &path(2, "claim"), json!({})).await;
    refused(status, &body, "acceptor_does_not_approve");

    // a handles 承办 and may not take 审核 too; b does; neither decides 批准, c does.
    handle_step(&test, a, &case, 2, "材料齐全，符合条件").await;
    let (status, body) = post(&test, a, &path(3, "claim"), json!({})).await;
    refused(status, &body, "one_step_per_person");
    assert!(
        body["message"].as_str().unwrap().contains("step 2 (承办)"),
        "{body}"
    );
    handle_step(&test, b, &case, 3, "同意").await;
    for token in [a.as_str(), b.as_str()] {
        let (status, body) = post(&test, token, &path(4, "claim"), json!({})).await;
        refused(status, &body, "one_step_per_person");
    }
    let (status, body) = post(&test, &both, &path(4, "claim"), json!({})).await;
    refused(status, &body, "acceptor_does_not_approve");
    assert_eq!(post(&test, c, &path(4, "claim"), json!({})).await.0, 200);
    let (status, decided) = post(
        &test,
        c,
        &path(4, "decide"),
        json!({ "decision": "approve", "opinion": "准予许可" }),
    )
    .await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (200, Some("approved")),
        "{decided}"
    );
    test.stop().await;
}

/// A town centre with one officer (DOMAIN.md "Separation of duties"): only a province-level
/// identity administrator allows the centre an exception, with a reason; under it one person
/// accepts and handles every step of a case, each action marked in the history and counted
/// for the region's supervisor; ended, the rules hold again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_a_centres_exception_one_officer_does_it_all_marked_and_counted() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = three_step_item(&test, 10).await;
    let department = department_of(&test, &code).await;
    let (_, applicant) = crate::cases::citizen(&test, 24).await;
    let province = test.admin("exception.admin", "430000000000").await;
    let county = test.admin("exception.county", HESHAN).await;
    let officer_id = test.create_staff(&province, "heshan.only", HESHAN).await;
    test.grant(&province, &officer_id, "window_clerk", HESHAN)
        .await;
    let officer = approver_of(&test, &province, &officer_id, "heshan.only", &department).await;
    let (_, supervisor) = test
        .staff_with_role(&province, "heshan.overseer", "supervisor", HESHAN)
        .await;

    // Who may allow it, and for what.
    let exceptions = "/api/identity/v1/duty-exceptions";
    let asked = json!({ "region_code": HESHAN, "reason": "赫山区便民服务中心仅一名工作人员" });
    let (status, body) = post(&test, &county, exceptions, asked.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("province_administrator")),
        "{body}"
    );
    let city_wide = json!({ "region_code": "430900000000", "reason": "全市" });
    let (status, body) = post(&test, &province, exceptions, city_wide).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("region_code")));
    let (status, blank) = post(
        &test,
        &province,
        exceptions,
        json!({ "region_code": HESHAN, "reason": " " }),
    )
    .await;
    assert_eq!((status, blank["field"].as_str()), (400, Some("reason")));
    let (status, granted) = post(&test, &province, exceptions, asked.clone()).await;
    assert_eq!(status, 201, "{granted}");
    assert_eq!(post(&test, &province, exceptions, asked).await.0, 409);
    let listed = test.get_json_as(&supervisor, exceptions).await;
    assert_eq!(listed[0]["id"], granted["id"], "{listed}");
    for service in ["approval", "acceptance"] {
        test.eventually_counts(
            &format!("{service} to learn the exception"),
            &format!("select count(*) from {service}.duty_exceptions where revoked_at is null"),
            1,
        )
        .await;
    }

    // The officer accepts the case and handles 承办, 审核 and 批准 alone.
    let (case, _) = accepted_case(&test, &applicant, &officer, &code).await;
    opened(&test, &officer, &case).await;
    handle_step(&test, &officer, &case, 2, "材料齐全").await;
    handle_step(&test, &officer, &case, 3, "同意").await;
    let path =
        |n: u32, action: &str| format!("/api/approval/v1/work-items/{case}/steps/{n}/{action}");
    assert_eq!(
        post(&test, &officer, &path(4, "claim"), json!({})).await.0,
        200
    );
    let decision = json!({ "decision": "approve", "opinion": "准予许可" });
    let (status, decided) = post(&test, &officer, &path(4, "decide"), decision).await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (200, Some("approved")),
        "{decided}"
    );
    let history = test
        .get_json_as(
            &supervisor,
            &format!("/api/approval/v1/work-items/{case}/history"),
        )
        .await;
    let id = granted["id"].as_str().unwrap();
    let marked: Vec<(String, String, String)> = [
        "claimed",
        "completed",
        "claimed",
        "completed",
        "claimed",
        "approved",
    ]
    .iter()
    .map(|action| {
        (
            action.to_string(),
            "acceptor_does_not_approve".into(),
            id.to_owned(),
        )
    })
    .collect();
    assert_eq!(crate::approval::duty_marks(&history), marked, "{history}");
    let uses = test
        .get_json_as(&supervisor, "/api/approval/v1/duty-exceptions/uses")
        .await;
    assert_eq!(uses["total"], 6, "{uses}");
    assert_eq!(uses["by_centre"][0]["region_code"], HESHAN, "{uses}");
    assert_eq!(uses["recent"][0]["action"], "approved", "{uses}");
    let later = "/api/approval/v1/duty-exceptions/uses?since=2099-01-01T00:00:00Z";
    assert_eq!(test.get_json_as(&supervisor, later).await["total"], 0);
    let (status, body) = get_status(
        &test,
        &supervisor,
        "/api/approval/v1/duty-exceptions/uses?since=yesterday",
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("since")),
        "{body}"
    );
    let (status, _) = get_status(&test, &officer, "/api/approval/v1/duty-exceptions/uses").await;
    assert_eq!(status, 403, "an officer is not a supervisor");

    // Ended, the centre separates duties again.
    let revoke = format!("{exceptions}/{id}/revoke");
    let ended = json!({ "reason": "已增配工作人员" });
    assert_eq!(post(&test, &county, &revoke, ended.clone()).await.0, 403);
    let (status, revoked) = post(&test, &province, &revoke, ended.clone()).await;
    assert_eq!(
        (status, revoked["revoke_reason"].as_str()),
        (200, Some("已增配工作人员"))
    );
    assert_eq!(post(&test, &province, &revoke, ended).await.0, 409);
    test.eventually_counts(
        "approval to learn the exception ended",
        "select count(*) from approval.duty_exceptions where revoked_at is null",
        0,
    )
    .await;
    let (second, _) = accepted_case(&test, &applicant, &officer, &code).await;
    opened(&test, &officer, &second).await;
    let claim = format!("/api/approval/v1/work-items/{second}/steps/2/claim");
    let (status, body) = post(&test, &officer, &claim, json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("acceptor_does_not_approve")),
        "{body}"
    );
    test.stop().await;
}

async fn get_status(test: &TestPlatform, token: &str, path: &str) -> (u16, Value) {
    status_and_body(test.get_as(token, path).await).await
}
