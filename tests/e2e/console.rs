//! The staff console (issue 26) through the gateway: a window clerk's first day in headless
//! Chromium (`tests/browser/console.mjs`: sign in with the administrator's temporary password,
//! choose one's own, find an online application in the hall's inbox, open it, search for it,
//! switch language, sign out — every page checked with axe and photographed), and what the
//! pages must refuse, over plain HTTP: a form without its CSRF token changes nothing, a sign-in
//! posted from elsewhere is refused, an applicant's account opens no console, and a clerk of a
//! sibling county sees none of another county's cases.

mod admin;
mod day;
mod oversight;

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::cases::{ANHUA, citizen, item_in_force, submitted_case};
use crate::dashboard::{CHROMIUM, browser_run, browser_tools};
use crate::harness::{BrokerStorage, TestPlatform, staff_password};
use crate::items::HESHAN;

/// A browser without a browser: keeps the console's cookies by hand, follows no redirect.
struct Visitor<'a> {
    test: &'a TestPlatform,
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
    /// The `Set-Cookie` that started the session, as sent.
    session_cookie: String,
}

impl<'a> Visitor<'a> {
    fn new(test: &'a TestPlatform) -> Self {
        Self {
            test,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            session_cookie: String::new(),
        }
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            if value.starts_with("tongban_console=") {
                self.session_cookie = value.to_owned();
            }
            let pair = value.split(';').next().unwrap();
            let (name, content) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !content.is_empty() && !value.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), content.to_owned()));
            }
        }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let request = self.http.get(self.test.url(path));
        self.send(request).await
    }

    async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let request = self.http.post(self.test.url(path)).form(form);
        self.send(request).await
    }

    /// Sends `request` with the cookies kept, and keeps those it sets.
    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let response = request.header(COOKIE, self.header()).send().await.unwrap();
        self.keep(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.text().await.unwrap())
    }

    /// Signs in through the form as a browser would: the page sets the pre-session value,
    /// the form repeats it. The answer's status and where it leads.
    async fn sign_in(&mut self, username: &str, password: &str) -> (StatusCode, String) {
        let (status, _, _) = self.get("/console/sign-in").await;
        assert_eq!(status, 200);
        let pre = self
            .cookie("tongban_console_pre")
            .expect("the sign-in page sets its CSRF cookie")
            .to_owned();
        let (status, headers, _) = self
            .post(
                "/console/sign-in",
                &[
                    ("csrf", &pre),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        let to = headers
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, to)
    }
}

/// Runs `scenario` of `tests/browser/console.mjs` against `test` with `args`, its screenshots
/// (and any file it prints) under `target/test-output/console/`; the report.
async fn in_the_browser(test: &TestPlatform, scenario: &str, args: &[(&str, String)]) -> Value {
    let mut argv: Vec<std::ffi::OsString> = vec![
        "--scenario".into(),
        scenario.into(),
        "--url".into(),
        test.url("/").into(),
        "--out".into(),
        output().into(),
        "--chromium".into(),
        CHROMIUM.into(),
    ];
    for (name, value) in args {
        argv.push(format!("--{name}").into());
        argv.push(value.into());
    }
    let report = browser_run("console.mjs", &argv, Duration::from_secs(360)).await;
    eprintln!("console screenshots: {} ({report})", output().display());
    report
}

/// The walk-in scenario's arguments: `username` takes a case of the item named `item` in for
/// 张三, whose ID number is `id17` completed (a wrong check character first), with a scan for
/// each required material and the deferrable one deferred.
fn walk_in(username: &str, item: &str, id17: &str) -> Vec<(&'static str, String)> {
    // A file of its own: Chromium refuses to send a chosen file that changed on disk since
    // (ERR_UPLOAD_FILE_CHANGED), and console tests run side by side.
    let scan = output().join(format!("scan-{username}.pdf"));
    std::fs::write(&scan, crate::files::scan("application/pdf")).unwrap();
    let document = tongban_kernel::IdCardNumber::complete(id17).unwrap();
    // The same number with its check character changed.
    let last = document.as_str().chars().last().unwrap();
    let wrong = format!(
        "{}{}",
        &document.as_str()[..17],
        if last == '0' { '1' } else { '0' }
    );
    vec![
        ("username", username.to_owned()),
        ("password", staff_password(username)),
        ("item", item.to_owned()),
        ("applicant", "张三".to_owned()),
        ("document", document.as_str().to_owned()),
        ("bad-document", wrong),
        ("materials", "个体工商户登记申请书|居民身份证".to_owned()),
        ("deferred", "经营场所使用证明".to_owned()),
        ("pdf", scan.display().to_string()),
    ]
}

fn output() -> std::path::PathBuf {
    let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-output/console");
    std::fs::create_dir_all(&output).unwrap();
    output
}

/// The CSRF token of the signed-in page `html` (the hidden field of its forms).
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with its CSRF token");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_console_refuses_forged_forms_strangers_and_other_counties() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("pages.admin", "430000000000").await;
    test.staff_with_role(&admin, "pages.clerk", "window_clerk", HESHAN)
        .await;
    test.staff_with_role(&admin, "pages.sibling", "window_clerk", ANHUA)
        .await;
    let (_, applicant) = citizen(&test, 61).await;
    let (id, _) = submitted_case(&test, &applicant, &code).await;
    let case = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    let number = case["number"].as_str().unwrap().to_owned();

    // A page asked for before signing in leads to the sign-in, and back after it.
    let mut clerk = Visitor::new(&test);
    let (status, headers, _) = clerk.get("/console/inbox/awaiting_review").await;
    assert_eq!(status, 303);
    assert_eq!(
        headers[LOCATION],
        "/console/sign-in?next=%2Fconsole%2Finbox%2Fawaiting_review"
    );

    // A sign-in posted without the page's own value (from another site) is refused.
    let mut stranger = Visitor::new(&test);
    let (status, _, _) = stranger
        .post(
            "/console/sign-in",
            &[
                ("username", "pages.clerk"),
                ("password", &staff_password("pages.clerk")),
            ],
        )
        .await;
    assert_eq!(status, 403, "no pre-session value, no sign-in");
    assert!(stranger.cookie("tongban_console").is_none());

    // An applicant's account opens no console, and is told where to go instead.
    let mut citizen_visit = Visitor::new(&test);
    let id_number = tongban_kernel::IdCardNumber::complete("43090319900101061").unwrap();
    let (status, _) = citizen_visit
        .sign_in(id_number.as_str(), "citizen-password")
        .await;
    assert_eq!(status, 422, "an applicant is refused");
    assert!(citizen_visit.cookie("tongban_console").is_none());

    // The clerk signs in; the cookie is out of scripts' and other sites' reach.
    let (status, to) = clerk
        .sign_in("pages.clerk", &staff_password("pages.clerk"))
        .await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/console/"));
    let (status, headers, home) = clerk.get("/console/").await;
    assert_eq!(status, 200, "{home}");
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert_eq!(headers["cache-control"], "no-store");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(
            clerk.session_cookie.contains(part),
            "{}",
            clerk.session_cookie
        );
    }

    // The inbox and the case page show the case, the applicant masked.
    let (status, _, inbox) = clerk.get("/console/inbox/awaiting_review").await;
    assert_eq!(status, 200);
    assert!(inbox.contains(&number), "the case is listed: {inbox}");
    let (status, _, page) = clerk.get(&format!("/console/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("李四") && page.contains(&id_number.masked()));
    assert!(!page.contains(id_number.as_str()), "no full ID number");

    // A form without its token, or with another's, changes nothing.
    let chosen = "a-new-password-for-pages-7q";
    let change = [
        ("current_password", staff_password("pages.clerk")),
        ("new_password", chosen.to_owned()),
        ("repeat", chosen.to_owned()),
    ];
    let form: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = clerk.post("/console/password", &form).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("页面已过期"),
        "said in the clerk's words: {body}"
    );
    let mut forged = form.clone();
    forged.push(("csrf", "not-the-token"));
    let (status, _, _) = clerk.post("/console/password", &forged).await;
    assert_eq!(status, 403);
    assert_eq!(
        test.sign_in("pages.clerk", &staff_password("pages.clerk"))
            .await
            .status(),
        200,
        "the password is unchanged"
    );
    let (status, _, _) = clerk.get("/console/").await;
    assert_eq!(status, 200, "and the session goes on");

    // Signing out with the token ends the session.
    let token = csrf_of(&home);
    let (status, headers, _) = clerk.post("/console/sign-out", &[("csrf", &token)]).await;
    assert_eq!(status, 303);
    assert!(
        headers[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/sign-in")
    );
    let (status, _, _) = clerk.get("/console/").await;
    assert_eq!(status, 303, "signed out");

    // A clerk of the sibling county finds none of it, even by its address.
    let mut sibling = Visitor::new(&test);
    let (status, _) = sibling
        .sign_in("pages.sibling", &staff_password("pages.sibling"))
        .await;
    assert_eq!(status, 303);
    let (_, _, inbox) = sibling.get("/console/inbox/awaiting_review").await;
    assert!(!inbox.contains(&number));
    let (status, _, page) = sibling.get(&format!("/console/cases/{id}")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("李四"));
    let (_, _, found) = sibling
        .get(&format!("/console/cases?number={number}"))
        .await;
    assert!(!found.contains(&format!("/console/cases/{id}")), "{found}");
    let (status, _, _) = sibling
        .get(&format!("/console/cases/{id}/materials/x1"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_window_clerk_starts_the_day_in_the_browser() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("day.admin", "430000000000").await;
    // The administrator's account for the clerk: a temporary password, not yet changed.
    let temporary = "day-first-4f9c-kite";
    let created = test
        .post_as(
            &admin,
            "/api/identity/v1/accounts/staff",
            serde_json::json!({
                "username": "day.clerk", "name": "王小红", "region_code": HESHAN,
                "password": temporary,
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let clerk: Value = created.json().await.unwrap();
    test.grant(
        &admin,
        clerk["id"].as_str().unwrap(),
        "window_clerk",
        HESHAN,
    )
    .await;
    let (_, applicant) = citizen(&test, 62).await;
    let (id, _) = submitted_case(&test, &applicant, &code).await;
    let number = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{id}"))
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    in_the_browser(
        &test,
        "first-day",
        &[
            ("username", "day.clerk".into()),
            ("temporary", temporary.into()),
            ("chosen", "day-clerk-own-password-8x".into()),
            ("number", number),
            ("applicant", "李四".into()),
        ],
    )
    .await;
    // The password chosen in the page is the clerk's now.
    assert_eq!(
        test.sign_in("day.clerk", "day-clerk-own-password-8x")
            .await
            .status(),
        200
    );
    assert_eq!(test.sign_in("day.clerk", temporary).await.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demos_staff_sign_in_to_the_console_with_the_passwords_printed_once() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;

    let first = tongban::demo::load_staff(&test.platform.settings)
        .await
        .unwrap();
    let again = tongban::demo::load_staff(&test.platform.settings)
        .await
        .unwrap();

    assert_eq!(first.len(), 9);
    assert!(first.iter().all(|s| s.password.is_some()), "{first:?}");
    assert!(again.iter().all(|s| s.password.is_none()), "made once");
    let password = |username: &str| {
        first
            .iter()
            .find(|s| s.username == username)
            .and_then(|s| s.password.clone())
            .unwrap()
    };
    // The clerk works at once: no temporary password to change first.
    let mut clerk = Visitor::new(&test);
    let (status, to) = clerk
        .sign_in("heshan.clerk", &password("heshan.clerk"))
        .await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/console/"));
    let (status, _, home) = clerk.get("/console/").await;
    assert_eq!(status, 200);
    assert!(home.contains("刘敏") && home.contains("赫山区"), "{home}");
    assert!(
        home.contains("/console/inbox/awaiting_review"),
        "the inbox's counts"
    );
    // The province's administrator also supervises: overdue work and the dashboard.
    let mut admin = Visitor::new(&test);
    admin.sign_in("hunan.admin", &password("hunan.admin")).await;
    let (_, _, home) = admin.get("/console/").await;
    assert!(home.contains("超期办件") && home.contains("/api/insight/dashboard/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_walk_in_is_taken_in_accepted_with_a_deferral_and_its_notice_printed_in_the_browser() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    item_in_force(&test).await;
    let admin = test.admin("walkin.admin", "430000000000").await;
    test.staff_with_role(&admin, "walkin.clerk", "window_clerk", HESHAN)
        .await;
    let report = in_the_browser(
        &test,
        "walk-in",
        &walk_in("walkin.clerk", "个体工商户登记", "43090319850607123"),
    )
    .await;

    // What the pages did is what acceptance holds: a window case, accepted, ID checked, the
    // deferral recorded, the clerk as the one who entered it.
    let number = report["number"].as_str().unwrap();
    let clerk = test
        .access_token("walkin.clerk", &staff_password("walkin.clerk"))
        .await;
    let case = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{number}"))
        .await;
    assert_eq!(case["status"], "accepted", "{case}");
    assert_eq!(case["channel"], "window");
    assert_eq!(case["applicant_name"], "张三");
    assert_eq!(case["real_name_level"], 3, "the original ID was checked");
    assert!(case["entered_by"].is_string(), "帮代办: who entered it");
    let deferred: Vec<&Value> = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["deferred_until"].is_string())
        .collect();
    assert_eq!(deferred.len(), 1, "{case}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_approver_decides_and_the_window_hands_the_certificate_out_in_the_browser() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.admin("office.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "office.clerk", "window_clerk", HESHAN)
        .await;
    test.staff_with_role(&admin, "office.approver", "approver", HESHAN)
        .await;
    let (_, applicant) = citizen(&test, 63).await;
    let (id, materials) = submitted_case(&test, &applicant, &code).await;
    let accepted = crate::cases::accepted_deferring(&test, &clerk, &id, &materials).await;
    let number = accepted["number"].as_str().unwrap().to_owned();
    let approver = test
        .access_token("office.approver", &staff_password("office.approver"))
        .await;
    crate::harness::eventually("the work item opens", Duration::from_secs(30), || async {
        (test
            .get_as(&approver, &format!("/api/approval/v1/work-items/{id}"))
            .await
            .status()
            == 200)
            .then_some(())
    })
    .await;

    in_the_browser(
        &test,
        "back-office",
        &[
            ("username", "office.approver".into()),
            ("password", staff_password("office.approver")),
            ("number", number),
        ],
    )
    .await;

    let item = test
        .get_json_as(&approver, &format!("/api/approval/v1/work-items/{id}"))
        .await;
    assert_eq!(item["state"], "approved", "{item}");

    // The window hands the result out, with the certificate sealed on the decision.
    crate::harness::eventually(
        "acceptance hears of the conclusion",
        Duration::from_secs(30),
        || async {
            let case = test
                .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{id}"))
                .await;
            (case["status"] == "concluded" && case["results"][0]["certificate_id"].is_string())
                .then_some(())
        },
    )
    .await;
    in_the_browser(
        &test,
        "hand-out",
        &[
            ("username", "office.clerk".into()),
            ("password", staff_password("office.clerk")),
            ("number", accepted["number"].as_str().unwrap().to_owned()),
            ("applicant", "李四".into()),
        ],
    )
    .await;
    let case = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    assert_eq!(case["status"], "delivered", "{case}");
    let visits = test
        .scalar(&format!(
            "select count(*) from acceptance.visits where case_id = '{id}' and purpose = 'pickup'"
        ))
        .await;
    assert_eq!(visits, 1, "the visit, to be rated by its code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_handling_county_takes_a_transfer_over_at_its_desk_in_the_browser() {
    if !browser_tools() {
        eprintln!("skipped: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (code, staff) = crate::transfers::collected_in_heshan(&test).await;
    let case = crate::transfers::taken_in_at(&test, &staff.heshan_clerk, HESHAN, &code, 71).await;
    let id = case["id"].as_str().unwrap();
    let transfer = crate::transfers::transfer_of(&test, &staff.changsha, id, 1).await;
    assert_eq!(transfer["state"], "sent");

    in_the_browser(
        &test,
        "desk",
        &[
            ("username", "changsha.approver".into()),
            ("password", staff_password("changsha.approver")),
            ("number", case["number"].as_str().unwrap().to_owned()),
        ],
    )
    .await;

    let transfer = test
        .get_json_as(
            &staff.changsha,
            &format!(
                "/api/crossregion/v1/transfers/{}",
                transfer["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(transfer["state"], "accepted", "{transfer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_life_events_parts_are_shown_side_by_side_on_each_parts_page() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (bundle_id, codes) = crate::cases::bundle_in_force(&test).await;
    let (_, applicant) = citizen(&test, 64).await;
    let admin = test.admin("parts.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "parts.clerk", "window_clerk", HESHAN)
        .await;
    let (_, approver) = test
        .staff_with_role(&admin, "parts.approver", "approver", HESHAN)
        .await;
    let (parts, id) = crate::approval::one_application_is_accepted_once_with_a_part_per_department(
        &test, &applicant, &bundle_id, &codes, &clerk,
    )
    .await;
    crate::harness::eventually(
        "approval records the joint case",
        Duration::from_secs(30),
        || async {
            (test
                .get_as(&approver, &format!("/api/approval/v1/joint-cases/{id}"))
                .await
                .status()
                == 200)
                .then_some(())
        },
    )
    .await;
    let numbers: Vec<String> = {
        let mut numbers = Vec::new();
        // The joint case is recorded with its first part; each part's work item opens as its
        // own event arrives.
        for part in &parts {
            let path = format!("/api/approval/v1/work-items/{part}");
            let number = crate::harness::eventually(
                "each part's work item opens",
                Duration::from_secs(30),
                || async {
                    let response = test.get_as(&approver, &path).await;
                    if response.status() != 200 {
                        return None;
                    }
                    let item: Value = response.json().await.ok()?;
                    item["case_number"].as_str().map(str::to_owned)
                },
            )
            .await;
            numbers.push(number);
        }
        numbers
    };

    let mut visitor = Visitor::new(&test);
    visitor
        .sign_in("parts.approver", &staff_password("parts.approver"))
        .await;
    let (status, _, page) = visitor.get(&format!("/console/work/{}", parts[0])).await;

    assert_eq!(status, 200);
    assert!(page.contains("一件事各子项"), "{page}");
    assert!(
        page.contains(&format!("/console/work/{}", parts[1])) && page.contains(&numbers[1]),
        "the other part, linked"
    );
    assert!(
        page.contains(&numbers[0]) && page.contains("本件"),
        "this part, marked"
    );
}
