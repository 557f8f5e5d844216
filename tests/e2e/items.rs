//! Service items end to end: the basic catalogue, implementation items through their life
//! (draft → published → superseded → withdrawn), keyword search by region, import and export,
//! 一件事 bundles, and the events the province receives.

use prost::Message as _;
use serde_json::{Value, json};

use tongban_events::catalogue::v1::{BundlePublished, ItemPublished};

use crate::events::{Received, read_events_until};
use crate::harness::{BrokerStorage, TestPlatform, credit_code};

pub(crate) const HESHAN: &str = "430903000000";
const NANXIAN: &str = "430921000000";
const CHANGSHA: &str = "430100000000";

pub(crate) fn basic_item(code: &str, name: &str) -> Value {
    json!({
        "code": code,
        "province_code": "430000000000",
        "name": name,
        "aliases": ["办执照"],
        "item_type": "administrative_licence",
        "legal_basis": "《市场主体登记管理条例》第三条",
        "supervising_department": "湖南省市场监督管理局",
        "handling_items": [
            { "number": 1, "kind": "new", "name": format!("{name}（新办）") },
            { "number": 2, "kind": "change", "name": format!("{name}（变更）") }
        ]
    })
}

pub(crate) fn spec(promised: u32, scope: &str) -> Value {
    json!({
        "aliases": ["开店"],
        "kind": "promised",
        "legal_time_limit": { "value": 15, "unit": "working_days" },
        "promised_time_limit": { "value": promised, "unit": "working_days" },
        "acceptance_conditions": "申请材料齐全、符合法定形式",
        "fee": { "charged": false },
        "visits_required": 0,
        "online_depth": "handle",
        "postal": { "results": true, "materials": false },
        "tongban": { "scope": scope, "covered_regions": [] },
        "steps": [
            { "name": "受理", "role": "window_clerk", "time_limit": { "value": 1, "unit": "working_days" } },
            { "name": "审核", "role": "approver", "time_limit": { "value": 1, "unit": "working_days" } }
        ],
        "results": [{ "name": "营业执照", "kind": "licence", "e_certificate": true }],
        "materials": [
            { "name": "个体工商户登记申请书", "kind": "form", "source": "applicant", "necessity": "required", "originals": 1 },
            { "name": "居民身份证", "kind": "certificate", "source": "government", "necessity": "required",
              "originals": 1, "certificate_type": "居民身份证" },
            { "name": "经营场所使用证明", "kind": "other", "source": "applicant", "necessity": "deferrable", "copies": 1 }
        ]
    })
}

pub(crate) async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POSTs `body` as `token`: the status and the JSON answer.
pub(crate) async fn post(
    test: &TestPlatform,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    status_and_body(test.post_as(token, path, body).await).await
}

/// PUTs `body` as `token`: the status and the JSON answer.
pub(crate) async fn put_as(
    test: &TestPlatform,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = test
        .http
        .put(test.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    status_and_body(response).await
}

pub(crate) async fn get(test: &TestPlatform, path: &str) -> (u16, Value) {
    status_and_body(test.http.get(test.url(path)).send().await.unwrap()).await
}

/// The code of the first town (by code) of `county`.
pub(crate) async fn first_town(test: &TestPlatform, county: &str) -> String {
    let towns = get(
        test,
        &format!("/api/catalogue/v1/regions/{county}/children"),
    )
    .await
    .1;
    towns[0]["code"].as_str().unwrap().to_owned()
}

/// Registers a department and returns its credit code.
pub(crate) async fn department(test: &TestPlatform, region: &str, name: &str, n: u32) -> String {
    let credit = credit_code(n);
    let response = test.register_department(region, name, &credit).await;
    assert_eq!(response.status(), 201, "{name} registered");
    credit
}

/// Whether `event` is the catalogue's `name` event.
fn of_type(event: &Received, name: &str) -> bool {
    event.header("ce_type") == Some(format!("cn.tongban.catalogue.{name}.v1"))
}

fn codes(found: &Value) -> Vec<String> {
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_item_lives_from_draft_to_withdrawal_and_published_versions_never_change() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.staff_token().await.to_owned();

    the_basic_catalogue_is_kept_by_the_province(&test, &admin).await;
    let code = an_implementation_item_gets_a_built_code(&test, &admin).await;
    let publish = a_draft_is_seen_and_published_only_by_its_editors(&test, &code, &admin).await;
    a_published_version_is_in_force_and_frozen(&test, &admin, &code, publish).await;
    version_two_supersedes_version_one_unchanged(&test, &admin, &code).await;
    search_reaches_where_the_scope_does_and_withdrawal_ends_the_offer(&test, &code, &admin).await;
    the_province_and_acceptance_receive_every_version(&test, &code).await;
    test.stop().await;
}

async fn the_basic_catalogue_is_kept_by_the_province(test: &TestPlatform, admin: &str) {
    // The basic catalogue: kept by the province, codes unique, item types from the code list.
    let (status, _) = status_and_body(
        test.post_as(
            admin,
            "/api/catalogue/v1/basic-items",
            basic_item("014300001000", "个体工商户登记"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let again = test
        .post_as(
            admin,
            "/api/catalogue/v1/basic-items",
            basic_item("014300001000", "个体工商户登记"),
        )
        .await;
    assert_eq!(again.status(), 409);
    let mut bad_type = basic_item("014300002000", "x");
    bad_type["item_type"] = json!("magic");
    let (status, body) = status_and_body(
        test.post_as(admin, "/api/catalogue/v1/basic-items", bad_type)
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("item_type")));
}

async fn an_implementation_item_gets_a_built_code(test: &TestPlatform, admin: &str) -> String {
    // An implementation item of 赫山区's market regulator: the code is built, not typed.
    let credit = department(test, HESHAN, "赫山区市场监督管理局", 101).await;
    let row = json!({ "basic_code": "014300001000", "department_credit_code": credit, "spec": spec(5, "county") });
    // A step plan longer than the promise is refused, naming the field.
    let mut slow = row.clone();
    slow["spec"]["promised_time_limit"]["value"] = json!(1);
    let (status, body) =
        status_and_body(test.post_as(admin, "/api/catalogue/v1/items", slow).await).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("spec.steps")),
        "{body}"
    );
    let (status, created) = status_and_body(
        test.post_as(admin, "/api/catalogue/v1/items", row.clone())
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(
        code,
        format!("{credit}4014300001000"),
        "credit code + county level + basic code"
    );
    assert_eq!(created["version"], 1);
    assert_eq!(created["version_status"], "draft");
    let materials = created["material_codes"].as_array().unwrap();
    assert_eq!(materials.len(), 3);
    assert_eq!(
        materials[2],
        format!("{code}003"),
        "34-character material codes"
    );
    assert_eq!(
        test.post_as(admin, "/api/catalogue/v1/items", row.clone())
            .await
            .status(),
        409
    );

    // A credit code with a wrong check character is refused, naming the field.
    let mut wrong = row.clone();
    let last = if credit.ends_with('0') { "1" } else { "0" };
    wrong["department_credit_code"] = json!(format!("{}{last}", &credit[..17]));
    let (status, body) =
        status_and_body(test.post_as(admin, "/api/catalogue/v1/items", wrong).await).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("department_credit_code")),
        "{body}"
    );
    code
}

async fn a_draft_is_seen_and_published_only_by_its_editors(
    test: &TestPlatform,
    code: &str,
    admin: &str,
) -> Value {
    // A draft is invisible to the public; its editors see it.
    assert_eq!(
        get(test, &format!("/api/catalogue/v1/items/{code}"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(
            test,
            &format!("/api/catalogue/v1/items/{code}?version=draft")
        )
        .await
        .0,
        404
    );
    let draft = test
        .get_json_as(
            admin,
            &format!("/api/catalogue/v1/items/{code}?version=draft"),
        )
        .await;
    assert_eq!(draft["spec"]["promised_time_limit"]["value"], 5);
    // The drafts awaiting publication: the editors' list of work.
    let drafts = test
        .get_json_as(admin, "/api/catalogue/v1/items/drafts")
        .await;
    assert_eq!(
        (
            drafts[0]["code"].as_str(),
            drafts[0]["version"].as_i64(),
            drafts[0]["current_version"].as_i64()
        ),
        (Some(code), Some(1), None),
        "{drafts}"
    );

    // Outside the editor's scope: a city admin elsewhere, a staff member without the role.
    let identity_admin = test.admin("items.admin", "430000000000").await;
    let (_, changsha) = test
        .staff_with_role(
            &identity_admin,
            "changsha.catalogue",
            "catalogue_admin",
            CHANGSHA,
        )
        .await;
    let elsewhere = test
        .get_json_as(&changsha, "/api/catalogue/v1/items/drafts")
        .await;
    assert_eq!(elsewhere, json!([]), "no draft of 益阳 in 长沙's list");
    assert_eq!(
        test.get_as(
            &changsha,
            &format!("/api/catalogue/v1/items/drafts?region_code={HESHAN}")
        )
        .await
        .status(),
        403
    );
    let (status, _) = put_as(
        test,
        &changsha,
        &format!("/api/catalogue/v1/items/{code}/draft"),
        spec(4, "county"),
    )
    .await;
    assert_eq!(status, 403);
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.clerk", "window_clerk", HESHAN)
        .await;
    let publish = json!({ "version": 1 });
    assert_eq!(
        test.post_as(
            &clerk,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            publish.clone()
        )
        .await
        .status(),
        403
    );
    publish
}

async fn a_published_version_is_in_force_and_frozen(
    test: &TestPlatform,
    admin: &str,
    code: &str,
    publish: Value,
) {
    // Published: in force, public, and frozen.
    let (status, published) = status_and_body(
        test.post_as(
            admin,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            publish.clone(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, published["version_status"].as_str()),
        (200, Some("published"))
    );
    assert_eq!(published["basic"]["name"], "个体工商户登记");
    assert_eq!(
        test.post_as(
            admin,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            publish
        )
        .await
        .status(),
        409,
        "only a draft can be published"
    );
    let frozen = sqlx::query(
        "update catalogue.item_versions set spec = jsonb_set(spec, '{visits_required}', '2') where version = 1",
    )
    .execute(&test.db)
    .await;
    assert!(
        frozen.unwrap_err().to_string().contains("cannot change"),
        "the database refuses too"
    );
}

async fn version_two_supersedes_version_one_unchanged(
    test: &TestPlatform,
    admin: &str,
    code: &str,
) {
    // Version 2: edits go to a new draft; version 1 stays as it was, then is superseded.
    let (status, v2) = put_as(
        test,
        admin,
        &format!("/api/catalogue/v1/items/{code}/draft"),
        spec(3, "county"),
    )
    .await;
    assert_eq!((status, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    let (status, again) = put_as(
        test,
        admin,
        &format!("/api/catalogue/v1/items/{code}/draft"),
        spec(3, "county"),
    )
    .await;
    assert_eq!(
        (status, again["version"].as_i64()),
        (200, Some(2)),
        "one draft at a time"
    );
    let (_, current) = get(test, &format!("/api/catalogue/v1/items/{code}")).await;
    assert_eq!(current["version"], 1, "the draft is not in force");
    let (status, _) = status_and_body(
        test.post_as(
            admin,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            json!({ "version": 2 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, first) = get(test, &format!("/api/catalogue/v1/items/{code}?version=1")).await;
    assert_eq!(first["version_status"], "superseded");
    assert_eq!(
        first["spec"]["promised_time_limit"]["value"], 5,
        "a case pinned to v1 still reads v1"
    );
    assert_eq!(
        first["material_codes"], current["material_codes"],
        "material codes are stable"
    );
}

async fn search_reaches_where_the_scope_does_and_withdrawal_ends_the_offer(
    test: &TestPlatform,
    code: &str,
    admin: &str,
) {
    let code = &code.to_owned();
    // Search: by keyword and alias, where the county-wide scope reaches (a town of 赫山区), not
    // in another county.
    let town = first_town(test, HESHAN).await;
    for query in [
        format!("q=%E4%B8%AA%E4%BD%93%E5%B7%A5%E5%95%86%E6%88%B7&region_code={town}"), // 个体工商户
        format!("q=%E5%8A%9E%E6%89%A7%E7%85%A7&region_code={HESHAN}"), // 办执照 (alias)
        "q=%E7%99%BB%E8%AE%B0".to_owned(),                             // 登记
    ] {
        let (_, found) = get(test, &format!("/api/catalogue/v1/items?{query}")).await;
        assert_eq!(codes(&found), std::slice::from_ref(code), "{query}");
    }
    let (_, elsewhere) = get(
        test,
        &format!("/api/catalogue/v1/items?q=%E7%99%BB%E8%AE%B0&region_code={NANXIAN}"),
    )
    .await;
    assert!(codes(&elsewhere).is_empty(), "县域通办 does not reach 南县");
    let (status, body) = get(test, "/api/catalogue/v1/items?q=x&region_code=430999000000").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("region_code")),
        "no such county"
    );
    let (_, apart) = get(test, "/api/catalogue/v1/items?q=%E5%95%86%E7%99%BB").await; // 商登: not adjacent
    assert!(codes(&apart).is_empty());

    // Withdrawn: no longer offered, history kept.
    let (status, history) = status_and_body(
        test.post_as(
            admin,
            &format!("/api/catalogue/v1/items/{code}/withdraw"),
            json!({ "reason": "职能调整" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let states: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["withdrawn", "superseded"]);
    assert_eq!(
        get(test, &format!("/api/catalogue/v1/items/{code}"))
            .await
            .0,
        404
    );
    let (_, gone) = get(test, "/api/catalogue/v1/items?q=%E7%99%BB%E8%AE%B0").await;
    assert!(codes(&gone).is_empty());
}

async fn the_province_and_acceptance_receive_every_version(test: &TestPlatform, code: &str) {
    // The province received both versions, whole, and the withdrawal.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::CATALOGUE, |got| {
        got.iter().any(|e| of_type(e, "item_withdrawn"))
    })
    .await;
    let published: Vec<ItemPublished> = events
        .iter()
        .filter(|e| of_type(e, "item_published"))
        .map(|e| ItemPublished::decode(e.payload.as_slice()).unwrap())
        .collect();
    assert_eq!(
        published.iter().map(|e| e.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(published[1].implementation_code, code);
    assert_eq!(published[1].promised_time_limit.as_ref().unwrap().value, 3);
    assert_eq!(published[1].materials[2].necessity, "deferrable");
    assert_eq!(published[1].materials[2].code.len(), 34);
    assert!(events.iter().any(|e| of_type(e, "item_withdrawn")));
    assert!(
        events
            .iter()
            .all(|e| e.header("ce_subject").as_deref() != Some(""))
    );

    // Acceptance keeps both versions (cases pin them) and offers nothing once withdrawn.
    crate::harness::eventually(
        "acceptance to project the item's versions and withdrawal",
        std::time::Duration::from_secs(30),
        || async {
            let versions = test
                .scalar("select count(*) from acceptance.item_versions")
                .await;
            let offered = test
                .scalar("select count(*) from acceptance.offered_items")
                .await;
            (versions == 2 && offered == 0).then_some(())
        },
    )
    .await;
    assert_eq!(
        test.scalar(
            "select promised_value::bigint from acceptance.item_versions where version = 1"
        )
        .await,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_region_list_exports_and_imports_all_or_nothing() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.staff_token().await.to_owned();
    for (code, name) in [
        ("014300001000", "个体工商户登记"),
        ("014300003000", "食品经营许可"),
    ] {
        let created = test
            .post_as(
                &admin,
                "/api/catalogue/v1/basic-items",
                basic_item(code, name),
            )
            .await;
        assert_eq!(created.status(), 201);
    }
    let credit = department(&test, HESHAN, "赫山区市场监督管理局", 201).await;
    let row = |basic: &str, promised: u32| json!({ "basic_code": basic, "department_credit_code": credit, "spec": spec(promised, "province") });

    // One good row and two bad ones: nothing is imported, every problem is reported.
    let mut unknown_depth = row("014300003000", 5);
    unknown_depth["spec"]["online_depth"] = json!("telepathy");
    let list = json!({ "region_code": HESHAN, "publish": true, "items": [
        row("014300001000", 5), unknown_depth, row("014300009000", 5)
    ]});
    let (status, report) = status_and_body(
        test.post_as(&admin, "/api/catalogue/v1/items/import", list)
            .await,
    )
    .await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(report["imported"], 0);
    let rejected: Vec<(i64, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(2, "spec.online_depth"), (3, "basic_code")]);
    assert_eq!(
        test.scalar("select count(*) from catalogue.items").await,
        0,
        "nothing half-imported"
    );

    // The good list goes in whole, in force; exporting gives it back; re-importing the export
    // makes new drafts of the same items.
    let list = json!({ "region_code": HESHAN, "publish": true, "items": [row("014300001000", 5), row("014300003000", 4)] });
    let (status, report) = status_and_body(
        test.post_as(&admin, "/api/catalogue/v1/items/import", list)
            .await,
    )
    .await;
    assert_eq!(
        (
            status,
            report["imported"].as_i64(),
            report["published"].as_i64()
        ),
        (200, Some(2), Some(2))
    );
    let (_, exported) = get(
        &test,
        &format!("/api/catalogue/v1/items/export?region_code={HESHAN}"),
    )
    .await;
    let items = exported["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["spec"]["materials"][0]["number"], 1,
        "numbers travel with the export"
    );
    let (status, report) = status_and_body(
        test.post_as(&admin, "/api/catalogue/v1/items/import", exported)
            .await,
    )
    .await;
    assert_eq!(
        (status, report["imported"].as_i64()),
        (200, Some(2)),
        "{report}"
    );
    assert_eq!(test.scalar("select count(*) from catalogue.items").await, 2);
    assert_eq!(
        test.scalar("select count(*) from catalogue.item_versions where status = 'draft'")
            .await,
        2
    );

    // Only an admin of the region imports.
    let identity_admin = test.admin("import.admin", "430000000000").await;
    let (_, outsider) = test
        .staff_with_role(
            &identity_admin,
            "changsha.importer",
            "catalogue_admin",
            CHANGSHA,
        )
        .await;
    let list = json!({ "region_code": HESHAN, "items": [] });
    assert_eq!(
        test.post_as(&outsider, "/api/catalogue/v1/items/import", list)
            .await
            .status(),
        403
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_asks_for_shared_materials_once() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.staff_token().await.to_owned();
    for (code, name) in [
        ("014300001000", "个体工商户登记"),
        ("014300003000", "食品经营许可"),
    ] {
        assert_eq!(
            test.post_as(
                &admin,
                "/api/catalogue/v1/basic-items",
                basic_item(code, name)
            )
            .await
            .status(),
            201
        );
    }
    let market = department(&test, HESHAN, "赫山区市场监督管理局", 301).await;
    let approvals = department(&test, HESHAN, "赫山区行政审批服务局", 302).await;
    let mut item_codes = Vec::new();
    for (basic, credit) in [("014300001000", &market), ("014300003000", &approvals)] {
        let row = json!({ "basic_code": basic, "department_credit_code": credit, "spec": spec(5, "none") });
        let created: Value = test
            .post_as(&admin, "/api/catalogue/v1/items", row)
            .await
            .json()
            .await
            .unwrap();
        item_codes.push(created["code"].as_str().unwrap().to_owned());
    }
    let bundle = json!({ "region_code": HESHAN, "spec": {
        "name": "开办餐饮店一件事", "aliases": ["开饭店"], "description": "营业执照与食品经营许可一次办",
        "lead_department_credit_code": market, "items": item_codes
    }});
    let (status, draft) = status_and_body(
        test.post_as(&admin, "/api/catalogue/v1/bundles", bundle)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();

    // Members must be in force before the bundle can be.
    let publish = json!({ "version": 1 });
    let (status, body) = status_and_body(
        test.post_as(
            &admin,
            &format!("/api/catalogue/v1/bundles/{id}/publish"),
            publish.clone(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("spec.items[0]")),
        "{body}"
    );
    for code in &item_codes {
        let published = test
            .post_as(
                &admin,
                &format!("/api/catalogue/v1/items/{code}/publish"),
                json!({ "version": 1 }),
            )
            .await;
        assert_eq!(published.status(), 200);
    }
    let (status, bundle) = status_and_body(
        test.post_as(
            &admin,
            &format!("/api/catalogue/v1/bundles/{id}/publish"),
            publish,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{bundle}");

    // Three materials per item, all shared: asked once each, every member's code kept.
    let materials = bundle["materials"].as_array().unwrap();
    assert_eq!(materials.len(), 3, "{materials:?}");
    let id_card = materials
        .iter()
        .find(|m| m["name"] == "居民身份证")
        .unwrap();
    assert_eq!(
        id_card["used_by"],
        json!([
            format!("{}002", item_codes[0]),
            format!("{}002", item_codes[1])
        ])
    );
    assert_eq!(bundle["members"].as_array().unwrap().len(), 2);

    // Later edits go to one new draft; the version in force stays as published.
    let mut renamed = bundle["spec"].clone();
    renamed["name"] = json!("开办餐饮店一件事（新版）");
    for _ in 0..2 {
        let response = test
            .http
            .put(test.url(&format!("/api/catalogue/v1/bundles/{id}/draft")))
            .bearer_auth(&admin)
            .json(&renamed)
            .send()
            .await
            .unwrap();
        let (status, draft) = status_and_body(response).await;
        assert_eq!(
            (status, draft["version"].as_i64()),
            (200, Some(2)),
            "{draft}"
        );
    }
    let (_, current) = get(&test, &format!("/api/catalogue/v1/bundles/{id}")).await;
    assert_eq!(current["spec"]["name"], "开办餐饮店一件事");
    let (_, listed) = get(
        &test,
        &format!("/api/catalogue/v1/bundles?region_code={HESHAN}&q=%E9%A4%90%E9%A5%AE"),
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "found by 餐饮");

    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::CATALOGUE, |got| {
        got.iter().any(|e| of_type(e, "bundle_published"))
    })
    .await;
    let published = events
        .iter()
        .find(|e| of_type(e, "bundle_published"))
        .map(|e| BundlePublished::decode(e.payload.as_slice()).unwrap())
        .expect("BundlePublished on the topic");
    assert_eq!(published.members.len(), 2);
    assert_eq!(published.materials.len(), 3);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_catalogue_benchmark_runs_over_the_demo_and_synthetic_items() {
    let settings = tongban_runtime::Settings::load(None).unwrap();
    let load = tongban::bench::Load {
        requests: 200,
        concurrency: 4,
        rounds: 1,
    };

    let report = tongban::bench::catalogue(settings, load, 2, |_| {})
        .await
        .unwrap();

    // The demo's 20 items and 14 more per synthetic department, every request answered 200.
    assert_eq!(report.items, 20 + 2 * 14);
    assert_eq!(report.lookup_by_code.requests, 200);
    assert_eq!(report.keyword_search.requests, 200);
    assert!(tongban::bench::catalogue_table(&report).contains("keyword search"));
}
