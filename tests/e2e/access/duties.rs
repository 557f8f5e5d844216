//! The separation-of-duties rows of the authorization matrix (issue 24, findings 1 and 2): one
//! person of the county who holds every role a rule concerns (window clerk, approver,
//! supervisor, identity administrator) is refused, with 403 and the rule's code, exactly the
//! actions the rules forbid; another person holding the same roles is allowed each of them, so
//! the refusal is the rule's, not the role's.

use super::*;

/// An action that separation of duties forbids to the person it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duty {
    GrantOwnRole,
    RevokeOwnRole,
    ResetOwnPassword,
    DisableOwnAccount,
    /// Claim a back-office step of a case one accepted.
    HandleCaseOneAccepted,
    /// Claim 审核 after completing 承办 of the same case.
    HandleSecondStep,
}

/// Each with the code of its refusal; the case rows first, as the account rows end the
/// colleague's sign-in when allowed.
const DUTIES: [(Duty, &str); 6] = [
    (Duty::HandleCaseOneAccepted, "acceptor_does_not_approve"),
    (Duty::HandleSecondStep, "one_step_per_person"),
    (Duty::GrantOwnRole, "own_account"),
    (Duty::RevokeOwnRole, "own_account"),
    (Duty::ResetOwnPassword, "own_account"),
    (Duty::DisableOwnAccount, "own_account"),
];

/// A person holding every role over the county: (account id, token).
async fn all_roles(test: &TestPlatform, admin: &str, username: &str) -> (String, String) {
    let id = test.create_staff(admin, username, COUNTY).await;
    for role in ["window_clerk", "approver", "supervisor", "identity_admin"] {
        test.grant(admin, &id, role, COUNTY).await;
    }
    let token = test
        .access_token(username, &crate::harness::staff_password(username))
        .await;
    (id, token)
}

/// An item of the county whose process is 受理 → 承办 → 审核 → 批准, known to approval.
async fn three_step_item(test: &TestPlatform) -> String {
    let department = (COUNTY, "南县市场监督管理局", 4_101);
    crate::approval::three_step_item_in(test, department, 10, "none").await
}

struct Rows<'a> {
    test: &'a TestPlatform,
    item: String,
    applicant: String,
    /// Who accepts the cases whose steps two others handle.
    third: String,
}

impl Rows<'_> {
    /// A case `third` accepted whose 承办 `handler` completed: the path of claiming 审核.
    async fn second_step_of(&self, handler: &str) -> String {
        let case = self.accepted_by(&self.third).await;
        let step =
            |n: u32, action: &str| format!("/api/approval/v1/work-items/{case}/steps/{n}/{action}");
        let test = self.test;
        assert_eq!(
            crate::items::post(test, handler, &step(2, "claim"), json!({}))
                .await
                .0,
            200
        );
        let done = json!({ "opinion": "材料齐全" });
        assert_eq!(
            crate::items::post(test, handler, &step(2, "complete"), done)
                .await
                .0,
            200
        );
        step(3, "claim")
    }

    /// A case accepted by `acceptor`, with its work item open.
    async fn accepted_by(&self, acceptor: &str) -> String {
        let (case, _) =
            crate::approval::accepted_case(self.test, &self.applicant, acceptor, &self.item).await;
        self.test
            .eventually_counts(
                "approval to open the work item",
                &format!("select count(*) from approval.work_items where case_id = '{case}'"),
                1,
            )
            .await;
        case
    }

    /// `actor` attempts `duty` on account `target` or on a case `acceptor` accepted; the
    /// answer.
    async fn attempt(&self, actor: &str, target: &str, duty: Duty, acceptor: &str) -> (u16, Value) {
        let test = self.test;
        let accounts = format!("/api/identity/v1/accounts/{target}");
        let (method, path, body) = match duty {
            Duty::GrantOwnRole => (
                "post",
                format!("{accounts}/roles"),
                json!({ "role": "catalogue_admin", "region": COUNTY }),
            ),
            Duty::RevokeOwnRole => {
                let roles = test.get_json_as(actor, &format!("{accounts}/roles")).await;
                let binding = roles
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["role"] == "supervisor")
                    .map(|b| b["id"].as_str().unwrap().to_owned())
                    .unwrap_or_else(|| panic!("no supervisor binding: {roles}"));
                ("delete", format!("{accounts}/roles/{binding}"), json!(null))
            }
            Duty::ResetOwnPassword => (
                "put",
                format!("{accounts}/password"),
                json!({ "password": "a-reset-4f9c-lantern" }),
            ),
            Duty::DisableOwnAccount => ("post", format!("{accounts}/disable"), json!(null)),
            Duty::HandleCaseOneAccepted => {
                let case = self.accepted_by(acceptor).await;
                (
                    "post",
                    format!("/api/approval/v1/work-items/{case}/steps/2/claim"),
                    json!({}),
                )
            }
            Duty::HandleSecondStep => {
                let case = self.second_step_of(actor).await;
                ("post", case, json!({}))
            }
        };
        let request = match method {
            "post" => test.http.post(test.url(&path)),
            "put" => test.http.put(test.url(&path)),
            _ => test.http.delete(test.url(&path)),
        };
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        crate::items::status_and_body(request.bearer_auth(actor).send().await.unwrap()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_rule_refuses_the_person_it_concerns_and_only_them() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("duties.matrix.admin", PROVINCE).await;
    let item = three_step_item(&test).await;
    let (_, applicant) = crate::cases::citizen(&test, 61).await;
    let (me_id, me) = all_roles(&test, &admin, "duties.me").await;
    let (other_id, other) = all_roles(&test, &admin, "duties.other").await;
    let (_, third) = all_roles(&test, &admin, "duties.third").await;
    let rows = Rows {
        test: &test,
        item,
        applicant,
        third,
    };

    let mut wrong = Vec::new();
    for (duty, code) in DUTIES {
        // The person the rule concerns: their own account, a case they accepted, the next
        // step of a case after the one they completed.
        let (status, body) = rows.attempt(&me, &me_id, duty, &me).await;
        if (status, body["code"].as_str()) != (403, Some(code)) {
            wrong.push(format!("{duty:?} by the person concerned: {status} {body}"));
        }
        // Another person with the same roles: someone else's account, a case someone else
        // accepted, the next step after another's.
        let (status, body) = match duty {
            Duty::HandleSecondStep => {
                let claim = rows.second_step_of(&me).await;
                crate::items::post(&test, &other, &claim, json!({})).await
            }
            _ => rows.attempt(&me, &other_id, duty, &other).await,
        };
        if !(200..300).contains(&status) {
            wrong.push(format!("{duty:?} by another person: {status} {body}"));
        }
    }
    assert!(wrong.is_empty(), "rows that disagree: {wrong:#?}");
    test.stop().await;
}
