//! Who may do what, where: the authorization matrix, the services' own checks behind the
//! gateway, and rate limits. Later issues add their operations to the matrix. Its department
//! rows are in [`departments`], its separation-of-duties rows in [`duties`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform, credit_code};
use tongban_gateway::config::GatewaySettings;

mod departments;
mod duties;

const PROVINCE: &str = "430000000000";
const CITY: &str = "430900000000";
const COUNTY: &str = "430921000000";
const SIBLING: &str = "430922000000";
/// Where the county's cross-region cases come from and go: 安化县 (the same city) collects the
/// county's item; the county collects 长沙县's.
const COLLECTOR: &str = "430923000000";
const REMOTE: &str = "430121000000";
const ROLES: [&str; 5] = [
    "window_clerk",
    "approver",
    "supervisor",
    "catalogue_admin",
    "identity_admin",
];

/// The protected operations that exist so far, each aimed at `COUNTY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    RegisterDepartment,
    ReadApprovalDirectory,
    CreateStaff,
    GrantRole,
    ReadStaffAccount,
    /// Accept a citizen's case handled (and received) in the county.
    AcceptCase,
    ReadOverdueMaterials,
    /// Read the work item of a case accepted in the county (approval).
    ReadWorkItem,
    /// Claim the open step of such a work item.
    ClaimStep,
    /// Read the transfer of a case the county's window took in for 长沙县 (跨域通办).
    ReadTransfer,
    /// Take over the transfer of a case 安化县's window took in for the county.
    AcceptTransfer,
    /// Post the originals of a case the county's window took in for 长沙县.
    PostMaterials,
    /// Record a window visit (a consultation) in the county's hall, to be rated.
    RecordVisit,
    /// Read the ratings of the county's halls.
    ReadRatings,
    /// Read the county's remediations of bad ratings.
    ReadRemediations,
    /// Read the county's satisfaction statistics.
    ReadSatisfaction,
    /// Set how many working days the county's remediations have.
    SetRemediationPolicy,
}

const OPERATIONS: [Operation; 17] = [
    Operation::RegisterDepartment,
    Operation::ReadApprovalDirectory,
    Operation::CreateStaff,
    Operation::GrantRole,
    Operation::ReadStaffAccount,
    Operation::AcceptCase,
    Operation::ReadOverdueMaterials,
    Operation::ReadWorkItem,
    Operation::ClaimStep,
    Operation::ReadTransfer,
    Operation::AcceptTransfer,
    Operation::PostMaterials,
    Operation::RecordVisit,
    Operation::ReadRatings,
    Operation::ReadRemediations,
    Operation::ReadSatisfaction,
    Operation::SetRemediationPolicy,
];

impl Operation {
    /// The roles whose binding over the county (or above it) allows the operation.
    fn allowed_roles(self) -> &'static [&'static str] {
        match self {
            Self::RegisterDepartment => &["catalogue_admin"],
            Self::ReadApprovalDirectory => &["approver", "supervisor"],
            Self::CreateStaff | Self::GrantRole | Self::ReadStaffAccount => &["identity_admin"],
            Self::AcceptCase => &["window_clerk"],
            Self::ReadOverdueMaterials => &["window_clerk", "supervisor"],
            Self::ReadWorkItem => &["approver", "supervisor"],
            Self::ClaimStep => &["approver"],
            // Both halls' clerks and handlers and the supervisors above either.
            Self::ReadTransfer => &["window_clerk", "approver", "supervisor"],
            // The handling side: its window or its handlers.
            Self::AcceptTransfer => &["window_clerk", "approver"],
            // The receiving window.
            Self::PostMaterials | Self::RecordVisit => &["window_clerk"],
            // Those who take in, handle or supervise cases there.
            Self::ReadRatings | Self::ReadRemediations => {
                &["window_clerk", "approver", "supervisor"]
            }
            Self::ReadSatisfaction | Self::SetRemediationPolicy => &["supervisor"],
        }
    }
}

/// A caller of the matrix: a role at a level, a citizen, or nobody.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Staff {
        role: &'static str,
        level: &'static str,
        region: &'static str,
    },
    Citizen,
    Anonymous,
}

impl Caller {
    fn expected(&self, operation: Operation) -> bool {
        match self {
            Self::Staff { role, region, .. } => {
                operation.allowed_roles().contains(role)
                    && [PROVINCE, CITY, COUNTY].contains(region)
            }
            Self::Citizen | Self::Anonymous => false,
        }
    }
}

struct Matrix<'a> {
    test: &'a TestPlatform,
    admin: String,
    counter: std::cell::Cell<u32>,
    /// An item of the county in force, and a citizen who applies for it.
    item: String,
    applicant: String,
    /// A window clerk of the county, who accepts the cases approval then handles.
    clerk: String,
    /// 安化县's window clerk, who takes the county's item in under an agreement.
    collector_clerk: String,
    /// 长沙县's item the county's window collects under an agreement.
    remote_item: String,
    /// A transfer from the county to 长沙县, made once.
    outgoing: tokio::sync::OnceCell<String>,
}

impl Matrix<'_> {
    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// A staff account in the county made by the province admin; returns its id.
    async fn county_staff(&self) -> String {
        let n = self.next();
        let created = self
            .test
            .post_as(&self.admin, "/api/identity/v1/accounts/staff", json!({
                "username": format!("target{n}"), "name": "目标", "region_code": COUNTY, "password": "target-password",
            }))
            .await;
        assert_eq!(created.status(), 201);
        created.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A case of the county submitted by the applicant, awaiting a decision; returns its id and
    /// its deferrable material.
    async fn submitted_case(&self) -> (String, String) {
        let test = self.test;
        let draft: Value = test
            .post_as(
                &self.applicant,
                "/api/acceptance/v1/cases",
                json!({ "implementation_code": self.item }),
            )
            .await
            .json()
            .await
            .unwrap();
        let id = draft["id"].as_str().unwrap().to_owned();
        let materials: Vec<&str> = draft["materials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["material_code"].as_str().unwrap())
            .collect();
        for material in &materials[..2] {
            let uploaded = test
                .http
                .put(test.url(&format!(
                    "/api/acceptance/v1/cases/{id}/materials/{material}"
                )))
                .bearer_auth(&self.applicant)
                .header("content-type", "application/pdf")
                .body(crate::files::scan("application/pdf"))
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.status(), 204);
        }
        let submitted = test
            .post_as(
                &self.applicant,
                &format!("/api/acceptance/v1/cases/{id}/submit"),
                json!({}),
            )
            .await;
        assert_eq!(submitted.status(), 200);
        (id, materials[2].to_owned())
    }

    /// A case of the county accepted at its window, whose work item approval has opened;
    /// returns the case id.
    async fn open_work_item(&self) -> String {
        let (case, deferrable) = self.submitted_case().await;
        let accepted = self
            .test
            .post_as(&self.clerk, &format!("/api/acceptance/v1/cases/{case}/accept"),
                json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": deferrable, "within_working_days": 3 }] }))
            .await;
        assert_eq!(accepted.status(), 200);
        self.test
            .eventually_counts(
                "approval to open the work item",
                &format!("select count(*) from approval.work_items where case_id = '{case}' and state = 'in_progress'"),
                1,
            )
            .await;
        case
    }

    /// A case of `item` taken in and accepted at `region`'s window by `clerk`; returns its
    /// transfer's id once the crossregion service has opened it.
    async fn transfer(&self, clerk: &str, region: &str, item: &str) -> String {
        let case = crate::transfers::taken_in_at(self.test, clerk, region, item, self.next()).await;
        let case = case["id"].as_str().unwrap().to_owned();
        crate::harness::eventually(
            "the transfer to open",
            std::time::Duration::from_secs(30),
            || async {
                sqlx::query_scalar::<_, String>(&format!(
                    "select id::text from crossregion.transfers where case_id = '{case}'"
                ))
                .fetch_optional(&self.test.db)
                .await
                .unwrap()
            },
        )
        .await
    }

    async fn outgoing(&self) -> &str {
        self.outgoing
            .get_or_init(|| self.transfer(&self.clerk, COUNTY, &self.remote_item))
            .await
    }

    /// Performs `operation` as `token` (none: anonymous); true when it was allowed.
    async fn attempt(&self, token: Option<&str>, operation: Operation) -> bool {
        let test = self.test;
        let n = self.next();
        let request = match operation {
            Operation::RegisterDepartment => test
                .http
                .post(test.url("/api/catalogue/v1/departments"))
                .json(&json!({ "region_code": COUNTY, "name": format!("部门{n}"), "credit_code": credit_code(5_000 + n) })),
            Operation::ReadApprovalDirectory => {
                test.http.get(test.url(&format!("/api/approval/v1/directory/regions/{COUNTY}")))
            }
            Operation::CreateStaff => test.http.post(test.url("/api/identity/v1/accounts/staff")).json(&json!({
                "username": format!("made{n}"), "name": "新人", "region_code": COUNTY, "password": "made-password",
            })),
            Operation::GrantRole => {
                let target = self.county_staff().await;
                test.http
                    .post(test.url(&format!("/api/identity/v1/accounts/{target}/roles")))
                    .json(&json!({ "role": "window_clerk", "region": COUNTY }))
            }
            Operation::ReadStaffAccount => {
                let target = self.county_staff().await;
                test.http.get(test.url(&format!("/api/identity/v1/accounts/{target}")))
            }
            Operation::AcceptCase => {
                let (case, deferrable) = self.submitted_case().await;
                test.http
                    .post(test.url(&format!("/api/acceptance/v1/cases/{case}/accept")))
                    .json(&json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": deferrable, "within_working_days": 3 }] }))
            }
            Operation::ReadOverdueMaterials => test.http.get(test.url(&format!(
                "/api/acceptance/v1/cases/overdue-materials?region_code={COUNTY}"
            ))),
            Operation::ReadWorkItem => {
                let case = self.open_work_item().await;
                test.http.get(test.url(&format!("/api/approval/v1/work-items/{case}")))
            }
            Operation::ClaimStep => {
                let case = self.open_work_item().await;
                test.http
                    .post(test.url(&format!("/api/approval/v1/work-items/{case}/steps/2/claim")))
                    .json(&json!({}))
            }
            Operation::ReadTransfer => {
                let transfer = self.outgoing().await;
                test.http.get(test.url(&format!("/api/crossregion/v1/transfers/{transfer}")))
            }
            Operation::AcceptTransfer => {
                let transfer = self.transfer(&self.collector_clerk, COLLECTOR, &self.item).await;
                test.http
                    .post(test.url(&format!("/api/crossregion/v1/transfers/{transfer}/accept")))
                    .json(&json!({}))
            }
            Operation::PostMaterials => {
                let transfer = self.outgoing().await;
                test.http
                    .post(test.url(&format!("/api/crossregion/v1/transfers/{transfer}/legs")))
                    .json(&json!({ "direction": "materials", "carrier": "EMS", "tracking_number": format!("EA{n:09}CN") }))
            }
            Operation::RecordVisit => test
                .http
                .post(test.url("/api/acceptance/v1/visits"))
                .json(&json!({ "region_code": COUNTY, "purpose": "other" })),
            Operation::ReadRatings => test.http.get(test.url(&format!(
                "/api/acceptance/v1/ratings?region_code={COUNTY}"
            ))),
            Operation::ReadRemediations => test.http.get(test.url(&format!(
                "/api/acceptance/v1/remediations?region_code={COUNTY}"
            ))),
            Operation::ReadSatisfaction => test.http.get(test.url(&format!(
                "/api/acceptance/v1/ratings/statistics?region_code={COUNTY}"
            ))),
            Operation::SetRemediationPolicy => test
                .http
                .put(test.url(&format!("/api/acceptance/v1/remediation-policies/{COUNTY}")))
                .json(&json!({ "working_days": 5 })),
        };
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let status = request.send().await.unwrap().status().as_u16();
        match status {
            200 | 201 => true,
            401 | 403 | 404 => false,
            other => panic!("{operation:?} answered {other}"),
        }
    }
}

/// An item of the county in force (known to acceptance) and a signed-in citizen.
async fn county_item_and_applicant(test: &TestPlatform) -> (String, String) {
    let code =
        crate::cases::item_in_force_in(test, COUNTY, "南县市场监督管理局", 4_001, "none").await;
    let id_number = tongban_kernel::IdCardNumber::complete("43092119800101456").unwrap();
    let registered = test
        .register_citizen(id_number.as_str(), "13900139001", "applicant-password")
        .await;
    assert_eq!(registered.status(), 201);
    (
        code,
        test.access_token(id_number.as_str(), "applicant-password")
            .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_role_at_each_level_may_do_exactly_what_its_jurisdiction_allows() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("matrix.admin", PROVINCE).await;
    let (item, applicant) = county_item_and_applicant(&test).await;
    let (_, clerk) = test
        .staff_with_role(&admin, "matrix.clerk", "window_clerk", COUNTY)
        .await;
    // 跨域通办 both ways: 安化县 collects the county's item, the county collects 长沙县's.
    let (remote_item, _) = crate::transfers::item_of(
        &test,
        ("014300003000", "食品经营许可"),
        REMOTE,
        "长沙县市场监督管理局",
        4_002,
    )
    .await;
    test.eventually_counts(
        "crossregion to learn both items",
        "select count(*) from crossregion.items where in_force",
        2,
    )
    .await;
    let province = test.staff_token().await.to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    for (item, collecting) in [(&item, COLLECTOR), (&remote_item, COUNTY)] {
        let concluded = test
            .post_as(
                &province,
                "/api/crossregion/v1/agreements",
                json!({
                    "title": "矩阵通办", "mode": "collect_elsewhere", "items": [item],
                    "collecting_regions": [collecting], "effective_from": today,
                }),
            )
            .await;
        assert_eq!(concluded.status(), 201);
    }
    test.eventually_counts(
        "acceptance to learn the agreements and approval both items",
        "select (select count(*) from acceptance.agreements)
              + (select count(*) from acceptance.offered_items)
              + (select count(*) from approval.item_versions)",
        6,
    )
    .await;
    let (_, collector_clerk) = test
        .staff_with_role(&admin, "matrix.collector", "window_clerk", COLLECTOR)
        .await;
    let matrix = Matrix {
        test: &test,
        admin: admin.clone(),
        counter: std::cell::Cell::new(0),
        item,
        applicant,
        clerk,
        collector_clerk,
        remote_item,
        outgoing: tokio::sync::OnceCell::new(),
    };

    // Arrange: one staff member per (role, level), holding that role over their own region.
    let mut callers: Vec<(Caller, Option<String>)> = Vec::new();
    for (level, region) in [
        ("province", PROVINCE),
        ("city", CITY),
        ("county", COUNTY),
        ("sibling", SIBLING),
    ] {
        for role in ROLES {
            let username = format!("{}.{level}", role.replace('_', "-"));
            let (_, token) = test.staff_with_role(&admin, &username, role, region).await;
            callers.push((
                Caller::Staff {
                    role,
                    level,
                    region,
                },
                Some(token),
            ));
        }
    }
    let id_number = tongban_kernel::IdCardNumber::complete("43092119800101123").unwrap();
    let citizen = test
        .register_citizen(id_number.as_str(), "13900139000", "citizen-password")
        .await;
    assert_eq!(citizen.status(), 201);
    callers.push((
        Caller::Citizen,
        Some(
            test.access_token(id_number.as_str(), "citizen-password")
                .await,
        ),
    ));
    callers.push((Caller::Anonymous, None));

    // Act and Assert: every cell, all mismatches reported together.
    let mut wrong = BTreeMap::new();
    for (caller, token) in &callers {
        for operation in OPERATIONS {
            let allowed = matrix.attempt(token.as_deref(), operation).await;
            if allowed != caller.expected(operation) {
                wrong.insert((caller.clone(), operation), allowed);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "cells that disagree (true = was allowed): {wrong:#?}"
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn services_verify_tokens_themselves_when_the_gateway_is_bypassed() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let token = test.staff_token().await.to_owned();
    let catalogue = format!("http://{}", test.platform.addresses["catalogue"]);
    let body =
        json!({ "region_code": COUNTY, "name": "直连部门", "credit_code": credit_code(9_001) });

    // No token, and a token whose payload was rewritten: the service itself says 401.
    let anonymous = test
        .http
        .post(format!("{catalogue}/v1/departments"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{}x.{}", parts[0], parts[1], parts[2]);
    let tampered = test
        .http
        .post(format!("{catalogue}/v1/departments"))
        .bearer_auth(forged)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);

    // A clerk's genuine token reaches the service and is refused on jurisdiction (403).
    let admin = test.admin("direct.admin", PROVINCE).await;
    let (_, clerk) = test
        .staff_with_role(&admin, "direct.clerk", "window_clerk", COUNTY)
        .await;
    let refused = test
        .http
        .post(format!("{catalogue}/v1/departments"))
        .bearer_auth(clerk)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    // The province catalogue admin's token works directly too.
    let accepted = test
        .http
        .post(format!("{catalogue}/v1/departments"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 201);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_answer_429_with_retry_after_per_address_and_per_subject() {
    // Per address: a burst of 5, then one request a second.
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_ip_per_second = 1;
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_ip_burst = 5;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = test
            .http
            .get(test.url("/api/catalogue/v1/departments"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=2).contains(&wait), "retry after {wait}");
            assert_eq!(
                response.json::<Value>().await.unwrap()["code"],
                "rate_limited"
            );
        }
    }
    // The burst passes (one more may have refilled meanwhile), then the limit bites.
    let passed = statuses.iter().take_while(|s| **s == 200).count();
    assert!((5..=6).contains(&passed), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    test.stop().await;

    // Per subject: one subject spread over many requests is held to its own limit.
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_subject_per_second = 1;
        s.section_mut::<GatewaySettings>()
            .unwrap()
            .rate_limit_subject_burst = 3;
    })
    .await;
    let token = test.staff_token().await.to_owned();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = test.get_as(&token, "/api/catalogue/v1/departments").await;
        statuses.push(response.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // An anonymous caller from the same address is not held by that subject's limit.
    assert_eq!(
        test.http
            .get(test.url("/api/catalogue/v1/departments"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_verification_benchmark_runs_and_reports_both_variants() {
    let settings = tongban_runtime::Settings::load(None).unwrap();
    let load = tongban::bench::Load {
        requests: 200,
        concurrency: 4,
        rounds: 1,
    };

    let report = tongban::bench::auth(settings, load, |_| {}).await.unwrap();

    assert_eq!(report.without_token.requests, 200);
    assert_eq!(report.with_token.requests, 200);
    assert!(report.with_token.requests_per_second > 0.0);
    assert!(report.verify_full_micros > report.verify_remembered_micros);
    assert!(tongban::bench::table(&report).contains("overhead"));
}
