//! The administrators' pages (plain HTTP through the gateway): an identity administrator makes
//! a clerk with a role and a password shown once, resets it, disables and enables the account,
//! revokes the role, and may not touch their own account or see a sibling county's staff; a
//! catalogue administrator publishes an item's draft and proposes, signs and ends a 通办
//! agreement with the other county's administrator.

use super::{Visitor, csrf_of};
use crate::cases::{ANHUA, item_in_force};
use crate::harness::{BrokerStorage, TestPlatform, staff_password};
use crate::items::{HESHAN, spec, status_and_body};

/// The temporary password a page shows once.
fn shown_password(page: &str) -> String {
    let at = page
        .find("<code class=\"password\">")
        .unwrap_or_else(|| panic!("a password shown: {page}"));
    let rest = &page[at + "<code class=\"password\">".len()..];
    rest[..rest.find('<').unwrap()].to_owned()
}

/// The id in a `/console/staff/{id}` link of `page` for `login`.
fn account_id(page: &str, login: &str) -> String {
    let end = page
        .find(&format!("\">{login}</a>"))
        .unwrap_or_else(|| panic!("{login} listed: {page}"));
    page[end - 36..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn administrators_keep_staff_items_and_agreements_in_the_console() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let province = test.admin("admins.province", "430000000000").await;
    let (admin_id, _) = test
        .staff_with_role(&province, "heshan.accounts", "identity_admin", HESHAN)
        .await;
    test.staff_with_role(&province, "anhua.accounts", "identity_admin", ANHUA)
        .await;

    let mut admin = Visitor::new(&test);
    admin
        .sign_in("heshan.accounts", &staff_password("heshan.accounts"))
        .await;
    let (status, _, page) = admin.get("/console/staff").await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);

    // A clerk made with a role; the password shown once signs in, and must be changed.
    let (status, _, made) = admin
        .post(
            "/console/staff",
            &[
                ("csrf", &csrf),
                ("username", "heshan.newclerk"),
                ("name", "王五"),
                ("region_code", HESHAN),
                ("role", "window_clerk"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{made}");
    assert!(
        made.contains("已建立人员账号") && made.contains("综合受理窗口"),
        "{made}"
    );
    let password = shown_password(&made);
    let mut clerk = Visitor::new(&test);
    let (status, to) = clerk.sign_in("heshan.newclerk", &password).await;
    assert_eq!((status.as_u16(), to.as_str()), (303, "/console/password"));

    // Refused in identity's words, the form kept: a name taken, the administrator's own account.
    let (status, _, taken) = admin
        .post(
            "/console/staff",
            &[
                ("csrf", &csrf),
                ("username", "heshan.newclerk"),
                ("name", "重名"),
                ("region_code", HESHAN),
            ],
        )
        .await;
    assert_eq!(status, 422, "{taken}");
    assert!(
        taken.contains("role=\"alert\"") && taken.contains("value=\"重名\""),
        "{taken}"
    );
    let (status, _, own) = admin
        .post(
            &format!("/console/staff/{admin_id}/disable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 422, "{own}");

    // The directory finds the clerk; a reset shows a new password once; disabled, the clerk
    // signs in nowhere; enabled again, the new password works.
    let (_, _, found) = admin.get("/console/staff?q=newclerk").await;
    let id = account_id(&found, "heshan.newclerk");
    assert!(found.contains("待本人设置密码"), "{found}");
    let (status, _, reset) = admin
        .post(&format!("/console/staff/{id}/password"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 200, "{reset}");
    let again = shown_password(&reset);
    assert_ne!(again, password);
    let (status, headers, _) = admin
        .post(&format!("/console/staff/{id}/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        format!("/console/staff/{id}?done=account_disabled").as_str()
    );
    assert_eq!(test.sign_in("heshan.newclerk", &again).await.status(), 400);
    admin
        .post(&format!("/console/staff/{id}/enable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(test.sign_in("heshan.newclerk", &again).await.status(), 200);

    // The role revoked from the account's page.
    let (_, _, page) = admin.get(&format!("/console/staff/{id}")).await;
    let marker = format!("/console/staff/{id}/roles/");
    let at = page.find(&marker).expect("a role to revoke") + marker.len();
    let binding = &page[at..at + 36];
    let (status, _, _) = admin
        .post(
            &format!("/console/staff/{id}/roles/{binding}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = admin.get(&format!("/console/staff/{id}")).await;
    assert!(page.contains("尚未授予任何角色"), "{page}");

    // 安化县's administrator sees none of 赫山区's staff.
    let mut sibling = Visitor::new(&test);
    sibling
        .sign_in("anhua.accounts", &staff_password("anhua.accounts"))
        .await;
    let (_, _, listed) = sibling.get("/console/staff").await;
    assert!(!listed.contains("heshan.newclerk"), "{listed}");
    let (status, _, _) = sibling.get(&format!("/console/staff/{id}")).await;
    assert_eq!(status, 404);
    if crate::dashboard::browser_tools() {
        let paths = ["/console/staff".to_owned(), format!("/console/staff/{id}")];
        super::in_the_browser(
            &test,
            "pages",
            &[
                ("username", "heshan.accounts".into()),
                ("password", staff_password("heshan.accounts")),
                ("paths", paths.join("|")),
                ("shots", "81-staff".into()),
            ],
        )
        .await;
    }

    items_and_agreements(&test, &province).await;
}

/// A draft published and an agreement proposed, signed by the other county and ended.
async fn items_and_agreements(test: &TestPlatform, province: &str) {
    let code = item_in_force(test).await;
    let editor = test.staff_token().await.to_owned();
    let (status, draft) = status_and_body(
        test.http
            .put(test.url(&format!("/api/catalogue/v1/items/{code}/draft")))
            .bearer_auth(&editor)
            .json(&spec(4, "county"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{draft}");
    test.staff_with_role(province, "heshan.items", "catalogue_admin", HESHAN)
        .await;
    test.staff_with_role(province, "anhua.items", "catalogue_admin", ANHUA)
        .await;

    let mut heshan = Visitor::new(test);
    heshan
        .sign_in("heshan.items", &staff_password("heshan.items"))
        .await;
    let (_, _, drafts) = heshan.get("/console/drafts").await;
    assert!(
        drafts.contains(&code) && drafts.contains("第 2 版") && drafts.contains("替代第 1 版"),
        "{drafts}"
    );
    let csrf = csrf_of(&drafts);
    let (status, headers, _) = heshan
        .post(
            &format!("/console/drafts/{code}/publish"),
            &[("csrf", &csrf), ("version", "2")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/console/drafts?done=draft_published");
    let item = test
        .get_json_as(&editor, &format!("/api/catalogue/v1/items/{code}"))
        .await;
    assert_eq!(item["version"], 2, "{item}");

    // Proposed by 赫山区 (its item), signed by 安化县 (where cases are collected), ended.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string();
    let (status, headers, _) = heshan
        .post(
            "/console/agreements",
            &[
                ("csrf", &csrf),
                ("title", "益阳市个体工商户登记县际通办"),
                ("mode", "collect_elsewhere"),
                ("items", &code),
                ("collecting_regions", ANHUA),
                ("effective_from", &today),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        "/console/agreements?done=agreement_proposed"
    );
    let (_, _, listed) = heshan.get("/console/agreements").await;
    assert!(
        listed.contains("待签署") && listed.contains("安化县"),
        "{listed}"
    );

    let mut anhua = Visitor::new(test);
    anhua
        .sign_in("anhua.items", &staff_password("anhua.items"))
        .await;
    let (_, _, page) = anhua.get("/console/agreements").await;
    let marker = "/console/agreements/";
    let at = page.find(marker).unwrap() + marker.len();
    let agreement = page[at..at + 36].to_owned();
    let anhua_csrf = csrf_of(&page);
    let (status, _, _) = anhua
        .post(
            &format!("/console/agreements/{agreement}/sign"),
            &[("csrf", &anhua_csrf)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = heshan.get("/console/agreements").await;
    assert!(page.contains("生效中"), "{page}");
    let (status, _, refused) = heshan
        .post(
            &format!("/console/agreements/{agreement}/terminate"),
            &[("csrf", &csrf), ("reason", "")],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, _, _) = heshan
        .post(
            &format!("/console/agreements/{agreement}/terminate"),
            &[("csrf", &csrf), ("reason", "事项调整为全程网办")],
        )
        .await;
    assert_eq!(status, 303);
    let agreement = test
        .get_json_as(
            &editor,
            &format!("/api/crossregion/v1/agreements/{agreement}"),
        )
        .await;
    assert_eq!(
        (
            agreement["status"].as_str(),
            agreement["termination_reason"].as_str()
        ),
        (Some("terminated"), Some("事项调整为全程网办")),
        "{agreement}"
    );
    if crate::dashboard::browser_tools() {
        super::in_the_browser(
            test,
            "pages",
            &[
                ("username", "heshan.items".into()),
                ("password", staff_password("heshan.items")),
                ("paths", "/console/agreements|/console/drafts".into()),
                ("shots", "82-catalogue".into()),
            ],
        )
        .await;
    }
}
