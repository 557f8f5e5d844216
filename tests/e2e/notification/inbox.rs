//! The applicant and the department hear of a case once each: the inbox, reworded templates,
//! texts given up without a gateway, replayed facts and changed rules.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_applicant_and_the_department_hear_of_a_case_once_each() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 901, "county").await;
    test.eventually_counts(
        "notification to learn the item's name",
        "select count(*) from notification.items",
        1,
    )
    .await;
    let admin = test.admin("notify.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "notify.clerk", "window_clerk", HESHAN)
        .await;
    let (_, approver) = test
        .staff_with_role(&admin, "notify.approver", "approver", HESHAN)
        .await;
    let (_, elsewhere) = test
        .staff_with_role(&admin, "notify.anhua", "approver", "430923000000")
        .await;
    test.eventually_counts(
        "notification to learn the role bindings",
        "select count(*) from notification.role_bindings where role in ('approver', 'window_clerk')",
        3,
    )
    .await;
    let (applicant_id, applicant) = crate::cases::citizen(&test, 91).await;

    let (id, materials, number) =
        the_correction_notice_reaches_the_applicant_once_read(&test, &applicant, &code, &clerk)
            .await;
    let wording =
        a_province_administrator_rewords_the_acceptance_message(&test, &admin, &clerk).await;
    the_applicant_and_the_approver_hear_of_the_acceptance(
        &test,
        &applicant,
        &id,
        &materials,
        &clerk,
        &number,
        &approver,
        &elsewhere,
        &applicant_id,
    )
    .await;
    let (conn, facts) =
        a_text_without_a_gateway_is_given_up_and_replays_make_nothing(&test, &applicant_id, &code)
            .await;
    a_changed_rule_is_followed_by_the_next_event(&test, &clerk, &applicant, &wording, conn, facts)
        .await;
    test.stop().await;
}

async fn the_correction_notice_reaches_the_applicant_once_read(
    test: &TestPlatform,
    applicant: &str,
    code: &str,
    clerk: &str,
) -> (String, Vec<String>, String) {
    // The online application reaches the receiving hall's clerk (issue 25).
    let (id, materials) = crate::cases::submitted_case(test, applicant, code).await;
    let hall = inbox_with(test, clerk, "case_submitted").await;
    let arrived = &hall["messages"][0];
    assert_eq!(arrived["subject"], "新网上申请待受理", "{hall}");
    assert!(
        arrived["body"].as_str().unwrap().contains("（第1次提交）"),
        "{arrived}"
    );

    // The one-time correction notice reaches the applicant's inbox, urgent, with the reason.
    let (status, _) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        json!({ "items": [{ "material_code": materials[0], "reason": "申请书缺少签名" }] }),
    )
    .await;
    assert_eq!(status, 200);
    let inbox = inbox_with(test, applicant, "correction_requested").await;
    let message = &inbox["messages"][0];
    let number = test
        .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{id}"))
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(message["subject"], "请补正材料");
    assert_eq!(
        message["body"],
        format!("您的办件{number}需补正：申请书缺少签名。请一次补齐后重新提交。")
    );
    assert_eq!(
        (message["urgent"].as_bool(), inbox["unread"].as_i64()),
        (Some(true), Some(1))
    );

    // Read, by its recipient only.
    let message_id = message["id"].as_str().unwrap().to_owned();
    let read = format!("/api/notification/v1/inbox/{message_id}/read");
    assert_eq!(post(test, clerk, &read, json!({})).await.0, 404);
    let (status, marked) = post(test, applicant, &read, json!({})).await;
    assert_eq!((status, marked["read_at"].is_string()), (200, true));
    let unread = test
        .get_json_as(applicant, "/api/notification/v1/inbox/unread")
        .await;
    assert_eq!(unread["unread"], 0);
    (id, materials, number)
}

async fn a_province_administrator_rewords_the_acceptance_message(
    test: &TestPlatform,
    admin: &str,
    clerk: &str,
) -> String {
    // A province's catalogue administrator rewords the acceptance message: an unknown variable
    // is refused with the known ones; the new version is in use at once.
    let (_, wording) = test
        .staff_with_role(admin, "notify.words", "catalogue_admin", "430000000000")
        .await;
    let template = "/api/notification/v1/templates/case_accepted/zh-CN";
    let (status, body) = put_as(
        test,
        &wording,
        template,
        json!({ "subject": "已受理", "body": "{{case_number}}已受理，{{deadline}}前办结" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("body")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("due_date"),
        "{body}"
    );
    assert_eq!(
        put_as(
            test,
            clerk,
            template,
            json!({ "subject": "已受理", "body": "x" })
        )
        .await
        .0,
        403
    );
    let (status, saved) = put_as(
        test,
        &wording,
        template,
        json!({ "subject": "办件已受理", "body": "{{item_name}}办件{{case_number}}已受理，请于{{due_date}}前留意结果。" }),
    )
    .await;
    assert_eq!(
        (status, saved["version"].as_i64()),
        (201, Some(2)),
        "{saved}"
    );
    let (status, preview) = post(
        test,
        clerk,
        &format!("{template}/preview"),
        json!({ "values": { "due_date": "2026-12-04", "case_number": "N1" } }),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        preview["body"],
        "个体工商户登记办件N1已受理，请于2026年12月4日前留意结果。"
    );
    let (status, body) = post(
        test,
        clerk,
        &format!("{template}/preview"),
        json!({ "values": { "due_date": "next week" } }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("values.due_date"))
    );
    wording
}

// A phase of a scenario takes the scenario's people and values one by one.
#[allow(clippy::too_many_arguments)]
async fn the_applicant_and_the_approver_hear_of_the_acceptance(
    test: &TestPlatform,
    applicant: &str,
    id: &str,
    materials: &[String],
    clerk: &str,
    number: &str,
    approver: &str,
    elsewhere: &str,
    applicant_id: &str,
) {
    // Resubmitted and accepted: the applicant hears in the new words; the department's approver
    // hears of the new case, an approver of another county does not.
    crate::cases::upload(test, applicant, id, &materials[0], "application/pdf").await;
    assert_eq!(
        post(
            test,
            applicant,
            &format!("/api/acceptance/v1/cases/{id}/submit"),
            json!({})
        )
        .await
        .0,
        200
    );
    let accepted = crate::cases::accepted_deferring(test, clerk, id, materials).await;
    let inbox = inbox_with(test, applicant, "case_accepted").await;
    let due: chrono::NaiveDate = accepted["due_date"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        inbox["messages"][0]["body"],
        format!(
            "个体工商户登记办件{number}已受理，请于{}前留意结果。",
            due.format("%Y年%-m月%-d日")
        )
    );
    let staff_inbox = inbox_with(test, approver, "work_item_opened").await;
    assert_eq!(staff_inbox["messages"][0]["subject"], "新办件待签收");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let other = test
        .get_json_as(elsewhere, "/api/notification/v1/inbox")
        .await;
    assert_eq!(other["messages"], json!([]));

    // Each event made one message per recipient, whatever the redeliveries: the same facts
    // raised again make nothing.
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from notification.messages
             where recipient_id = '{applicant_id}' and channel = 'inbox'"
        ))
        .await,
        2
    );
}

async fn a_text_without_a_gateway_is_given_up_and_replays_make_nothing(
    test: &TestPlatform,
    applicant_id: &str,
    code: &str,
) -> (
    sqlx::pool::PoolConnection<sqlx::Postgres>,
    tongban_notification::db::messages::Facts,
) {
    let code = code.to_owned();
    // The correction notice was to go by text too; with no SMS gateway configured, it is given
    // up at once, saying why.
    test.eventually_counts(
        "the text to be given up",
        "select count(*) from notification.messages
         where channel = 'sms' and template = 'correction_requested'
           and status = 'failed_permanent' and last_error like 'no sms channel%'",
        1,
    )
    .await;
    let mut conn = test.db.acquire().await.unwrap();
    sqlx::query("set search_path to notification")
        .execute(&mut *conn)
        .await
        .unwrap();
    let (event_id, case_id): (uuid::Uuid, uuid::Uuid) =
        sqlx::query_as("select event_id, case_id from messages where template = 'case_accepted'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    let facts = tongban_notification::db::messages::Facts {
        event_id,
        event_type: "cn.tongban.acceptance.case_accepted.v1".into(),
        at: chrono::Utc::now(),
        case_id: Some(case_id),
        applicant_id: Some(applicant_id.parse().unwrap()),
        implementation_code: code.clone(),
        handling_region: HESHAN.into(),
        receiving_region: HESHAN.into(),
        department_id: None,
        assignee_id: None,
        values: Default::default(),
    };
    assert_eq!(
        tongban_notification::db::messages::raise(&mut conn, &facts)
            .await
            .unwrap(),
        0
    );
    (conn, facts)
}

async fn a_changed_rule_is_followed_by_the_next_event(
    test: &TestPlatform,
    clerk: &str,
    applicant: &str,
    wording: &str,
    mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    facts: tongban_notification::db::messages::Facts,
) {
    // The rules: staff read them; a province's catalogue administrator changes one, and the
    // next event follows it (a new acceptance with the rule off makes nothing).
    let rules = test.get_json_as(clerk, "/api/notification/v1/rules").await;
    let accepted_rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["template"] == "case_accepted")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        test.get_as(applicant, "/api/notification/v1/rules")
            .await
            .status(),
        403
    );
    let rule = format!("/api/notification/v1/rules/{accepted_rule}");
    let change = |channels: Value, enabled: bool| json!({ "recipients": ["applicant"], "channels": channels, "urgent": false, "enabled": enabled });
    let (status, body) = put_as(test, wording, &rule, change(json!(["pigeon"]), true)).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("channels[0]")));
    assert_eq!(
        put_as(test, clerk, &rule, change(json!(["inbox"]), false))
            .await
            .0,
        403
    );
    let (status, changed) = put_as(test, wording, &rule, change(json!(["inbox"]), true)).await;
    assert_eq!(
        (status, changed["channels"].clone()),
        (200, json!(["inbox"]))
    );
    let again = tongban_notification::db::messages::Facts {
        event_id: uuid::Uuid::now_v7(),
        ..facts.clone()
    };
    assert_eq!(
        tongban_notification::db::messages::raise(&mut conn, &again)
            .await
            .unwrap(),
        1,
        "the inbox only, now"
    );
    let (status, _) = put_as(test, wording, &rule, change(json!(["inbox"]), false)).await;
    assert_eq!(status, 200);
    let once_more = tongban_notification::db::messages::Facts {
        event_id: uuid::Uuid::now_v7(),
        ..facts
    };
    assert_eq!(
        tongban_notification::db::messages::raise(&mut conn, &once_more)
            .await
            .unwrap(),
        0,
        "the rule is off"
    );
    sqlx::query("reset search_path")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
}
