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
