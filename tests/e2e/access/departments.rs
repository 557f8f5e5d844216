//! The department rows of the authorization matrix (issue 24, findings 5 and 6): a role bound
//! to a department sees only its department's cases, their files, receipts and history, and
//! their transfers, in every service (404 otherwise, as across counties); having once entered
//! a case gives no access once the roles are gone.

use super::*;

/// What a member of staff reads of one case and its transfer.
fn paths(case: &str, material: &str, transfer: &str) -> Vec<(&'static str, String)> {
    vec![
        ("case", format!("/api/acceptance/v1/cases/{case}")),
        (
            "material file",
            format!("/api/acceptance/v1/cases/{case}/materials/{material}"),
        ),
        (
            "receipt",
            format!("/api/acceptance/v1/cases/{case}/receipt"),
        ),
        (
            "history",
            format!("/api/acceptance/v1/cases/{case}/history"),
        ),
        (
            "transfer",
            format!("/api/crossregion/v1/transfers/{transfer}"),
        ),
        (
            "transfer history",
            format!("/api/crossregion/v1/transfers/{transfer}/history"),
        ),
    ]
}

/// A staff member of the county holding `role` there, bound to `department`: (id, token).
async fn bound(
    test: &TestPlatform,
    admin: &str,
    username: &str,
    role: &str,
    department: &str,
) -> (String, String) {
    let id = test.create_staff(admin, username, COUNTY).await;
    let granted = test
        .post_as(
            admin,
            &format!("/api/identity/v1/accounts/{id}/roles"),
            json!({ "role": role, "region": COUNTY, "department": department }),
        )
        .await;
    assert_eq!(granted.status(), 201, "{username}");
    let token = test
        .access_token(username, &crate::harness::staff_password(username))
        .await;
    (id, token)
}

/// The county's item collected at 安化县's window (an agreement), and a case of it taken in
/// there by `clerk`: (case, one of its material codes, its transfer).
async fn collected_case(test: &TestPlatform, item: &str, clerk: &str) -> (String, String, String) {
    let province = test.staff_token().await.to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let concluded = test
        .post_as(
            &province,
            "/api/crossregion/v1/agreements",
            json!({
                "title": "部门矩阵通办", "mode": "collect_elsewhere", "items": [item],
                "collecting_regions": [COLLECTOR], "effective_from": today,
            }),
        )
        .await;
    assert_eq!(concluded.status(), 201);
    test.eventually_counts(
        "acceptance to learn the agreement",
        "select count(*) from acceptance.agreements",
        1,
    )
    .await;
    let case = crate::transfers::taken_in_at(test, clerk, COLLECTOR, item, 24).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let material = case["materials"][0]["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let transfer = crate::harness::eventually(
        "the transfer to open",
        std::time::Duration::from_secs(30),
        || async {
            sqlx::query_scalar::<_, String>(&format!(
                "select id::text from crossregion.transfers where case_id = '{id}'"
            ))
            .fetch_optional(&test.db)
            .await
            .unwrap()
        },
    )
    .await;
    (id, material, transfer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_department_bound_role_sees_only_its_departments_cases_and_entering_one_gives_no_access()
{
    // Arrange: the county's item (南县市场监督管理局), known to acceptance and crossregion; a
    // second department of the county; approvers and a supervisor bound to either.
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("departments.admin", PROVINCE).await;
    let (item, _) = county_item_and_applicant(&test).await;
    test.eventually_counts(
        "crossregion to learn the item",
        "select count(*) from crossregion.items where in_force",
        1,
    )
    .await;
    let own = crate::approval::department_in(&test, COUNTY, &item).await;
    let registered = test
        .register_department(COUNTY, "南县卫生健康局", &credit_code(4_003))
        .await;
    assert_eq!(registered.status(), 201);
    let other = registered.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, own_approver) = bound(&test, &admin, "own.approver", "approver", &own).await;
    let (_, own_supervisor) = bound(&test, &admin, "own.supervisor", "supervisor", &own).await;
    let (_, other_approver) = bound(&test, &admin, "other.approver", "approver", &other).await;
    let (_, other_supervisor) =
        bound(&test, &admin, "other.supervisor", "supervisor", &other).await;
    let (_, sibling_approver) = test
        .staff_with_role(&admin, "sibling.approver", "approver", SIBLING)
        .await;
    // 安化县's clerk takes the county's item in: the case, its files, its receipt, and its
    // transfer to the county.
    let collector = test
        .create_staff(&admin, "collector.clerk", COLLECTOR)
        .await;
    let binding = test
        .grant(&admin, &collector, "window_clerk", COLLECTOR)
        .await;
    let collector_password = crate::harness::staff_password("collector.clerk");
    let clerk = test
        .access_token("collector.clerk", &collector_password)
        .await;
    let (case, material, transfer) = collected_case(&test, &item, &clerk).await;

    // Act and Assert: every row, all mismatches reported together.
    let rows = [
        ("an approver of the item's department", &own_approver, 200),
        (
            "a supervisor of the item's department",
            &own_supervisor,
            200,
        ),
        ("an approver of another department", &other_approver, 404),
        ("a supervisor of another department", &other_supervisor, 404),
        ("an approver of another county", &sibling_approver, 404),
        ("the clerk who took it in", &clerk, 200),
    ];
    let mut wrong = Vec::new();
    for (who, token, expected) in rows {
        for (what, path) in paths(&case, &material, &transfer) {
            let status = test.get_as(token, &path).await.status().as_u16();
            if status != expected {
                wrong.push(format!(
                    "{who} reading the {what}: {status}, not {expected}"
                ));
            }
        }
    }
    // The lists say the same: the county's transfers list holds it only for those who see it.
    for (who, token, expected) in rows {
        let listed = test
            .get_json_as(
                token,
                &format!("/api/crossregion/v1/transfers?region_code={COUNTY}"),
            )
            .await;
        let ids: Vec<&str> = listed
            .as_array()
            .map(|all| all.iter().filter_map(|t| t["id"].as_str()).collect())
            .unwrap_or_default();
        if ids.contains(&transfer.as_str()) != (expected == 200) {
            wrong.push(format!("{who} listing the county's transfers: {listed}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Having entered the case gives nothing once the role is gone: the clerk, every role
    // revoked and signed in again, reads none of it.
    let revoked = test.revoke(&admin, &collector, &binding).await;
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let without_roles = test
        .access_token("collector.clerk", &collector_password)
        .await;
    for (what, path) in paths(&case, &material, &transfer) {
        let status = test.get_as(&without_roles, &path).await.status().as_u16();
        assert_eq!(status, 404, "the clerk without roles reading the {what}");
    }
    test.stop().await;
}
