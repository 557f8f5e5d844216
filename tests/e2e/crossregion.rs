//! 通办 agreements end to end: proposed and signed by the catalogue administrators of the
//! regions involved, in force from a date, checked for a receiving region, terminated; public to
//! read, published as events; found by the collecting hall's catalogue search.

use serde_json::{Value, json};

use tongban_events::crossregion::v1::{AgreementConcluded, AgreementTerminated};

use crate::events::{Received, read_events_until};
use crate::harness::{BrokerStorage, TestPlatform};
use crate::items::{HESHAN, first_town, get, spec};

const ANHUA: &str = "430923000000";
const NANXIAN: &str = "430921000000";
const CHANGSHA_COUNTY: &str = "430121000000";
const ZHUJI: &str = "330681000000";
/// 嵊州市: 诸暨's neighbour in 绍兴市.
const SHENGZHOU: &str = "330683000000";

fn of_type(event: &Received, name: &str) -> bool {
    event.header("ce_type") == Some(format!("cn.tongban.crossregion.{name}.v1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agreements_signed_by_every_region_let_other_windows_take_cases_in_until_terminated() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = heshan_item(&test, "none").await;
    let province = test.staff_token().await.to_owned();
    let hunan = test.admin("agreements.hunan", "430000000000").await;
    let (_, heshan_admin) = test
        .staff_with_role(&hunan, "heshan.catalogue", "catalogue_admin", HESHAN)
        .await;
    let zhejiang_admin = zhejiang_admin(&test).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();

    bad_input_names_its_field(&test, &code, today, &province).await;
    let city =
        a_window_takes_a_case_in_once_the_province_signed(&test, &code, today, &hunan, &province)
            .await;
    a_proposal_applies_once_every_region_signed(&test, &code, today, &heshan_admin, &province)
        .await;
    let anhua_town = a_receiving_region_is_checked_and_provinces_agree_across(
        &test,
        &code,
        today,
        &city,
        &province,
        &zhejiang_admin,
    )
    .await;
    agreements_are_public_and_end_when_terminated(
        &test,
        &code,
        today,
        &city,
        &province,
        &zhejiang_admin,
        &heshan_admin,
        anhua_town,
    )
    .await;
    each_conclusion_and_termination_is_an_event(&test, &city).await;
    test.stop().await;
}

async fn bad_input_names_its_field(
    test: &TestPlatform,
    code: &str,
    today: chrono::NaiveDate,
    province: &str,
) {
    let province = province.to_owned();
    // Bad input names its field.
    for (body, status, field) in [
        (
            json!({ "title": "x", "mode": "teleport", "items": [code], "collecting_regions": [ANHUA], "effective_from": today }),
            400,
            "mode",
        ),
        (
            json!({ "title": "x", "mode": "online", "items": ["123"], "collecting_regions": [ANHUA], "effective_from": today }),
            400,
            "items[0]",
        ),
        (
            json!({ "title": "x", "mode": "online", "items": [format!("{}9", &code[..30])], "collecting_regions": [ANHUA], "effective_from": today }),
            422,
            "items[0]",
        ),
        (
            json!({ "title": "x", "mode": "online", "items": [code], "collecting_regions": ["990000000000"], "effective_from": today }),
            422,
            "collecting_regions[0]",
        ),
        (
            json!({ "title": "x", "mode": "online", "items": [code], "collecting_regions": [ANHUA], "effective_from": today,
            "effective_until": today - chrono::Duration::days(1) }),
            422,
            "effective_until",
        ),
    ] {
        let (got, body) = post(
            test,
            province.clone(),
            "/api/crossregion/v1/agreements".into(),
            body,
        )
        .await;
        assert_eq!(
            (got, body["field"].as_str()),
            (status, Some(field)),
            "{body}"
        );
    }
}

async fn a_window_takes_a_case_in_once_the_province_signed(
    test: &TestPlatform,
    code: &str,
    today: chrono::NaiveDate,
    hunan: &str,
    province: &str,
) -> Value {
    let province = province.to_owned();
    // Without an agreement, 安化县's window cannot take in 赫山区's item (its scope is that hall
    // only).
    let (_, anhua_clerk) = test
        .staff_with_role(hunan, "anhua.clerk", "window_clerk", ANHUA)
        .await;
    let id_card = tongban_kernel::IdCardNumber::complete("43092319850505123").unwrap();
    let intake = json!({
        "implementation_code": code, "receiving_region": ANHUA,
        "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card", "document_number": id_card.as_str() },
    });
    let (status, body) = post(
        test,
        anhua_clerk.clone(),
        "/api/acceptance/v1/cases/intake".into(),
        intake.clone(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("receiving_region")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("agreement"),
        "{body}"
    );

    // A province-wide administrator signs for every region at once: in force today, city-wide
    // between 赫山区 and 安化县, province-wide with 长沙县.
    let (status, city) = post(
        test,
        province.clone(),
        "/api/crossregion/v1/agreements".into(),
        agreement(code, today, &[ANHUA]),
    )
    .await;
    assert_eq!(
        (status, city["status"].as_str(), city["scope"].as_str()),
        (201, Some("in_force"), Some("city")),
        "{city}"
    );
    // Now 安化县's window takes the case in; 赫山区 handles it (异地代收代办).
    let taken = crate::harness::eventually(
        "acceptance to learn the agreement",
        std::time::Duration::from_secs(30),
        || async {
            let (status, case) = post(
                test,
                anhua_clerk.clone(),
                "/api/acceptance/v1/cases/intake".into(),
                intake.clone(),
            )
            .await;
            (status == 201).then_some(case)
        },
    )
    .await;
    assert_eq!(
        (
            taken["receiving_region"].as_str(),
            taken["handling_region"].as_str()
        ),
        (Some(ANHUA), Some(HESHAN)),
        "{taken}"
    );
    let (_, wide) = post(
        test,
        province.clone(),
        "/api/crossregion/v1/agreements".into(),
        agreement(code, today, &[CHANGSHA_COUNTY]),
    )
    .await;
    assert_eq!(wide["scope"], "province");
    city
}

async fn a_proposal_applies_once_every_region_signed(
    test: &TestPlatform,
    code: &str,
    today: chrono::NaiveDate,
    heshan_admin: &str,
    province: &str,
) {
    let code = code.to_owned();
    let heshan_admin = heshan_admin.to_owned();
    let province = province.to_owned();
    // 赫山区's own administrator proposes; 安化县 has not signed, so it does not apply yet.
    let (status, proposed) = post(
        test,
        heshan_admin.clone(),
        "/api/crossregion/v1/agreements".into(),
        agreement(&code, today, &[NANXIAN]),
    )
    .await;
    assert_eq!(
        (status, proposed["status"].as_str()),
        (201, Some("proposed")),
        "{proposed}"
    );
    let (status, nanxian) = check(test, &code, first_town(test, NANXIAN).await, today).await;
    assert_eq!(
        (status, nanxian["agreed"].as_bool()),
        (200, Some(false)),
        "awaiting 南县's signature"
    );
    let id = proposed["id"].as_str().unwrap().to_owned();
    let (status, _) = post(
        test,
        heshan_admin.clone(),
        format!("/api/crossregion/v1/agreements/{id}/sign"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403, "赫山区 has signed its part");
    signed_in_force(test, province.clone(), &id).await;
    assert_eq!(
        post(
            test,
            province.clone(),
            format!("/api/crossregion/v1/agreements/{id}/sign"),
            json!({})
        )
        .await
        .0,
        409
    );
}

async fn a_receiving_region_is_checked_and_provinces_agree_across(
    test: &TestPlatform,
    code: &str,
    today: chrono::NaiveDate,
    city: &Value,
    province: &str,
    zhejiang_admin: &str,
) -> String {
    let code = code.to_owned();
    let province = province.to_owned();
    let zhejiang_admin = zhejiang_admin.to_owned();
    // Checked for a receiving region: covered below a collecting region, local at home, not
    // elsewhere, and not before it starts.
    let anhua_town = first_town(test, ANHUA).await;
    let (_, covered) = check(test, &code, anhua_town.clone(), today).await;
    assert_eq!(
        (covered["agreed"].as_bool(), covered["local"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(covered["agreements"][0]["id"], city["id"]);
    let (_, home) = check(test, &code, first_town(test, HESHAN).await, today).await;
    assert_eq!(
        (home["agreed"].as_bool(), home["local"].as_bool()),
        (Some(true), Some(true))
    );
    let (_, elsewhere) = check(test, &code, "430922000000".into(), today).await;
    assert_eq!(elsewhere["agreed"], false);
    let (_, early) = check(
        test,
        &code,
        anhua_town.clone(),
        today - chrono::Duration::days(1),
    )
    .await;
    assert_eq!(early["agreed"], false);
    let (status, body) = check(test, &code, "4309".into(), today).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("receiving_region"))
    );

    // Cross-province: proposed by Hunan, signed by Zhejiang.
    let (_, delta) = post(
        test,
        province.clone(),
        "/api/crossregion/v1/agreements".into(),
        agreement(&code, today, &[ZHUJI]),
    )
    .await;
    assert_eq!(
        (delta["status"].as_str(), delta["scope"].as_str()),
        (Some("proposed"), Some("cross_province"))
    );
    let delta_id = delta["id"].as_str().unwrap().to_owned();
    let (status, delta) = post(
        test,
        zhejiang_admin.clone(),
        format!("/api/crossregion/v1/agreements/{delta_id}/sign"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, delta["status"].as_str()),
        (200, Some("in_force")),
        "{delta}"
    );
    let (_, zhuji) = check(test, &code, first_town(test, ZHUJI).await, today).await;
    assert_eq!(zhuji["agreed"], true);
    anhua_town
}

// A phase of a scenario takes the scenario's people and values one by one.
#[allow(clippy::too_many_arguments)]
async fn agreements_are_public_and_end_when_terminated(
    test: &TestPlatform,
    code: &str,
    today: chrono::NaiveDate,
    city: &Value,
    province: &str,
    zhejiang_admin: &str,
    heshan_admin: &str,
    anhua_town: String,
) {
    let code = code.to_owned();
    let province = province.to_owned();
    let zhejiang_admin = zhejiang_admin.to_owned();
    let heshan_admin = heshan_admin.to_owned();
    // Public to read: by region (collecting or handling) and by item.
    let (status, listed) = get(
        test,
        &format!("/api/crossregion/v1/agreements?region_code={ANHUA}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (_, handled) = get(
        test,
        &format!("/api/crossregion/v1/agreements?region_code={HESHAN}&on={today}"),
    )
    .await;
    assert_eq!(
        handled.as_array().unwrap().len(),
        4,
        "every agreement of 赫山区's item"
    );

    // Terminated by a region involved, with a reason, once; then it no longer applies.
    let terminate = format!(
        "/api/crossregion/v1/agreements/{}/terminate",
        city["id"].as_str().unwrap()
    );
    let (status, body) = post(
        test,
        province.clone(),
        terminate.clone(),
        json!({ "reason": " " }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    assert_eq!(
        post(
            test,
            zhejiang_admin.clone(),
            terminate.clone(),
            json!({ "reason": "协议到期" })
        )
        .await
        .0,
        403
    );
    let (status, ended) = post(
        test,
        heshan_admin.clone(),
        terminate.clone(),
        json!({ "reason": "协议到期" }),
    )
    .await;
    assert_eq!(
        (status, ended["status"].as_str()),
        (200, Some("terminated")),
        "{ended}"
    );
    assert_eq!(
        post(
            test,
            province.clone(),
            terminate,
            json!({ "reason": "再次" })
        )
        .await
        .0,
        409
    );
    let (_, after) = check(test, &code, anhua_town, today + chrono::Duration::days(1)).await;
    assert_eq!(after["agreed"], false);
}

async fn each_conclusion_and_termination_is_an_event(test: &TestPlatform, city: &Value) {
    // Each conclusion and termination is an event.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::CROSSREGION, |got| {
        got.iter()
            .filter(|e| of_type(e, "agreement_concluded"))
            .count()
            >= 4
            && got.iter().any(|e| of_type(e, "agreement_terminated"))
    })
    .await;
    let concluded: Vec<AgreementConcluded> = events
        .iter()
        .filter(|e| of_type(e, "agreement_concluded"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .collect();
    assert_eq!(
        concluded.len(),
        4,
        "the proposal was not an agreement until signed"
    );
    assert!(
        concluded
            .iter()
            .any(|c| c.scope == "cross_province" && c.collecting_regions == [ZHUJI])
    );
    let terminated: AgreementTerminated = events
        .iter()
        .find(|e| of_type(e, "agreement_terminated"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .unwrap();
    assert_eq!(terminated.agreement_id, city["id"].as_str().unwrap());
}

/// Issue 25: a hall's catalogue search finds the items of other regions an agreement lets it
/// collect, marked so beside its own and those its scope reaches, until the agreement ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_halls_search_finds_what_an_agreement_lets_it_collect_until_the_agreement_ends() {
    let clock = tongban_runtime::Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| s.clock = moved).await;
    // 赫山区's item, its scope city-wide (益阳市, so 安化县 too).
    let code = heshan_item(&test, "city").await;
    let province = test.staff_token().await.to_owned();
    let zhejiang_admin = zhejiang_admin(&test).await;
    let today = clock.today();
    let own = [(code.clone(), json!("own"), Value::Null)];
    let agreed = [(code.clone(), json!("agreement"), json!("collect_elsewhere"))];

    // Before any agreement: 赫山区 finds its own item, 安化县 finds it by its scope, 诸暨 nothing.
    assert_eq!(found(&test, HESHAN).await, own);
    assert_eq!(
        found(&test, ANHUA).await,
        [(code.clone(), json!("tongban_scope"), Value::Null)]
    );
    assert!(
        found(&test, ZHUJI).await.is_empty(),
        "nothing lets 诸暨 collect it yet"
    );

    // Hunan proposes that 诸暨 collects it, Zhejiang signs: in force today.
    let (_, proposed) = post(
        &test,
        province,
        "/api/crossregion/v1/agreements".into(),
        agreement(&code, today, &[ZHUJI]),
    )
    .await;
    let id = proposed["id"].as_str().unwrap().to_owned();
    signed_in_force(&test, zhejiang_admin.clone(), &id).await;
    // 诸暨, and a town below it, find it as an agreement's; 嵊州 (a sibling county) does not;
    // 赫山区 still finds its own.
    let zhuji = crate::harness::eventually(
        "the catalogue to learn the agreement",
        std::time::Duration::from_secs(30),
        || async {
            let got = found(&test, ZHUJI).await;
            (!got.is_empty()).then_some(got)
        },
    )
    .await;
    assert_eq!(zhuji, agreed);
    assert_eq!(found(&test, &first_town(&test, ZHUJI).await).await, agreed);
    assert!(
        found(&test, SHENGZHOU).await.is_empty(),
        "嵊州 collects nothing"
    );
    assert_eq!(found(&test, HESHAN).await, own);

    // Terminated today: it still applies today (its last day), and no longer tomorrow.
    let (status, ended) = post(
        &test,
        zhejiang_admin,
        format!("/api/crossregion/v1/agreements/{id}/terminate"),
        json!({ "reason": "协议到期" }),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    test.eventually_counts(
        "the catalogue to learn the termination",
        "select count(*) from catalogue.agreements where effective_until is not null",
        1,
    )
    .await;
    assert_eq!(found(&test, ZHUJI).await, agreed);
    assert!(clock.set_today(today + chrono::Duration::days(1)));
    assert!(
        found(&test, ZHUJI).await.is_empty(),
        "the agreement has ended"
    );
    assert_eq!(found(&test, HESHAN).await, own);
    test.stop().await;
}

/// What a hall of `region` finds for 个体工商户: each item's code, `available_as` and
/// `agreement_mode`.
async fn found(test: &TestPlatform, region: &str) -> Vec<(String, Value, Value)> {
    let (status, body) = get(
        test,
        &format!(
            "/api/catalogue/v1/items?q=%E4%B8%AA%E4%BD%93%E5%B7%A5%E5%95%86%E6%88%B7&region_code={region}"
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["code"].as_str().unwrap().to_owned(),
                item["available_as"].clone(),
                item["agreement_mode"].clone(),
            )
        })
        .collect()
}

/// 赫山区's 个体工商户登记 with 通办 scope `scope`, in force and known to acceptance and
/// crossregion: its code.
async fn heshan_item(test: &TestPlatform, scope: &str) -> String {
    let code =
        crate::cases::item_in_force_with(test, HESHAN, "赫山区市场监督管理局", 701, spec(5, scope))
            .await;
    test.eventually_counts(
        "crossregion to learn the item",
        "select count(*) from crossregion.items where in_force",
        1,
    )
    .await;
    code
}

/// A catalogue administrator of 浙江省, who signs for 诸暨: their token.
async fn zhejiang_admin(test: &TestPlatform) -> String {
    let zhejiang = test.admin("agreements.zhejiang", "330000000000").await;
    test.staff_with_role(
        &zhejiang,
        "zhejiang.catalogue",
        "catalogue_admin",
        "330000000000",
    )
    .await
    .1
}

/// `token` signs agreement `id`, the last signature it needed: it is in force.
async fn signed_in_force(test: &TestPlatform, token: String, id: &str) {
    let (status, signed) = post(
        test,
        token,
        format!("/api/crossregion/v1/agreements/{id}/sign"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, signed["status"].as_str()),
        (200, Some("in_force")),
        "{signed}"
    );
}

/// The agreement every scenario here proposes: `code` collected in `collecting` from `today`.
fn agreement(code: &str, today: chrono::NaiveDate, collecting: &[&str]) -> Value {
    json!({
        "title": "个体工商户登记市域通办", "mode": "collect_elsewhere", "items": [code],
        "collecting_regions": collecting, "effective_from": today,
    })
}

/// Whether an agreement lets `region` take item `code` in on `on`: the status and the answer.
async fn check(
    test: &TestPlatform,
    code: &str,
    region: String,
    on: chrono::NaiveDate,
) -> (u16, Value) {
    get(test, &format!("/api/crossregion/v1/agreements/check?implementation_code={code}&receiving_region={region}&on={on}")).await
}

/// `token` POSTs `body` to `path`: the status and the JSON answer.
async fn post(test: &TestPlatform, token: String, path: String, body: Value) -> (u16, Value) {
    crate::items::post(test, &token, &path, body).await
}
