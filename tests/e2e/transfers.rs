//! 跨域通办 end to end. 异地代收代办: 赫山区 (益阳市) takes in a case that 长沙县 (长沙市) decides under a
//! province-wide 通办 agreement. 赫山区 does the formal review and accepts; a transfer goes to
//! 长沙县, which takes it over, decides, and hands the result back for pickup or posts it to the
//! applicant; originals and the paper result travel as postal legs. A rejected transfer sends the
//! case back to 赫山区, which tells the applicant once what to fix and sends it again. Both halls
//! see the case, 安化县 does not; a missed hand-over deadline is escalated once; every hand-over
//! is an event on tongban.crossregion.v1. 多地联办: a 一件事 bundle of three regions' items, taken in
//! at 赫山区 only, each part decided at home, one sent back and again, the whole delivered where it
//! was taken in. Across provinces: 诸暨市 (浙江) collects for 赫山区 under an agreement both
//! provinces signed.

use std::time::Duration;

use serde_json::{Value, json};

use tongban_events::crossregion::v1::{
    HandOverOverdue, PostalLegSent, ResultReturned, TransferAccepted, TransferCompleted,
    TransferRejected, TransferSent,
};
use tongban_runtime::Clock;

use crate::events::{Received, read_events_until};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post, spec, status_and_body};
use tongban_crossregion::config::CrossregionSettings;

mod bundle;
mod claim;
mod withdrawal;

pub(crate) const CHANGSHA_COUNTY: &str = "430121000000";
pub(crate) const ANHUA: &str = "430923000000";
const ZHUJI: &str = "330681000000";

fn of_type(event: &Received, name: &str) -> bool {
    event.header("ce_type") == Some(format!("cn.tongban.crossregion.{name}.v1"))
}

fn decode<M: prost::Message + Default>(event: &Received) -> M {
    M::decode(event.payload.as_slice()).unwrap()
}

/// The staff of the test: 赫山区's window clerk and supervisor, 长沙县's approver, and 安化县's
/// clerk and approver (a third county).
pub(crate) struct Staff {
    pub(crate) heshan_clerk: String,
    pub(crate) heshan_supervisor: String,
    pub(crate) changsha: String,
    pub(crate) anhua_clerk: String,
    pub(crate) anhua_approver: String,
}

/// 长沙县's item (受理 → 审核) under a province-wide agreement letting 赫山区 collect it, known to
/// acceptance; and the staff.
pub(crate) async fn collected_in_heshan(test: &TestPlatform) -> (String, Staff) {
    collected_in_heshan_with(test, spec(5, "none")).await
}

/// Like [`collected_in_heshan`], the item of `spec`.
pub(crate) async fn collected_in_heshan_with(test: &TestPlatform, spec: Value) -> (String, Staff) {
    let code =
        crate::cases::item_in_force_with(test, CHANGSHA_COUNTY, "长沙县市场监督管理局", 801, spec)
            .await;
    test.eventually_counts(
        "crossregion and approval to learn the item",
        "select (select count(*) from crossregion.items where department_id is not null)
              + (select count(*) from approval.item_versions)",
        2,
    )
    .await;
    let province = test.staff_token().await.to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (status, agreement) = post(
        test,
        &province,
        "/api/crossregion/v1/agreements",
        json!({ "title": "个体工商户登记省内通办", "mode": "collect_elsewhere", "items": [code],
                "collecting_regions": [HESHAN], "effective_from": today }),
    )
    .await;
    assert_eq!(
        (status, agreement["scope"].as_str()),
        (201, Some("province")),
        "{agreement}"
    );
    test.eventually_counts(
        "acceptance to learn the agreement",
        "select count(*) from acceptance.agreements",
        1,
    )
    .await;
    let admin = test.admin("transfers.admin", "430000000000").await;
    let role = |name: &'static str, role: &'static str, region: &'static str| {
        let admin = admin.clone();
        async move { test.staff_with_role(&admin, name, role, region).await.1 }
    };
    let staff = Staff {
        heshan_clerk: role("heshan.collector", "window_clerk", HESHAN).await,
        heshan_supervisor: role("heshan.watch", "supervisor", HESHAN).await,
        changsha: role("changsha.approver", "approver", CHANGSHA_COUNTY).await,
        anhua_clerk: role("anhua.collector", "window_clerk", ANHUA).await,
        anhua_approver: role("anhua.handler", "approver", ANHUA).await,
    };
    (code, staff)
}

/// 赫山区's clerk takes a case of `code` in for applicant number `n`, provides every material,
/// submits and accepts it; returns the case.
async fn taken_in(test: &TestPlatform, clerk: &str, code: &str, n: u32) -> Value {
    taken_in_at(test, clerk, HESHAN, code, n).await
}

/// `clerk` takes a case of `code` in at `region`'s window for applicant number `n` (a case
/// another region decides), provides every material, submits and accepts it; returns the case.
pub(crate) async fn taken_in_at(
    test: &TestPlatform,
    clerk: &str,
    region: &str,
    code: &str,
    n: u32,
) -> Value {
    let id_card = tongban_kernel::IdCardNumber::complete(&format!("43090319850505{n:03}")).unwrap();
    let (status, case) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        json!({
            "implementation_code": code, "receiving_region": region,
            "applicant": { "kind": "citizen", "name": "赵六", "id_type": "resident_id_card",
                           "document_number": id_card.as_str() },
        }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["mode"], "collect_elsewhere", "{case}");
    submitted_and_accepted(test, clerk, &case).await
}

/// `clerk` takes `intake` in once acceptance has learned the agreement that lets the hall
/// collect it; returns the draft.
async fn taken_in_once_agreed(test: &TestPlatform, clerk: &str, intake: &Value) -> Value {
    eventually(
        "acceptance to learn the agreement",
        Duration::from_secs(30),
        || async {
            let (status, case) = post(
                test,
                clerk,
                "/api/acceptance/v1/cases/intake",
                intake.clone(),
            )
            .await;
            (status == 201).then_some(case)
        },
    )
    .await
}

/// `clerk` provides every material of the draft `case`, submits and accepts it; returns the
/// accepted case.
pub(crate) async fn submitted_and_accepted(
    test: &TestPlatform,
    clerk: &str,
    case: &Value,
) -> Value {
    let id = case["id"].as_str().unwrap();
    for material in case["materials"].as_array().unwrap() {
        let material = material["material_code"].as_str().unwrap();
        let uploaded = crate::cases::upload(test, clerk, id, material, "image/png").await;
        assert_eq!(uploaded.0, 204);
    }
    let path = |action: &str| format!("/api/acceptance/v1/cases/{id}/{action}");
    assert_eq!(post(test, clerk, &path("submit"), json!({})).await.0, 200);
    let (status, accepted) = post(test, clerk, &path("accept"), json!({})).await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    accepted
}

/// The transfer of round `round` of `case` once the crossregion service has it, as `token`
/// sees it.
pub(crate) async fn transfer_of(test: &TestPlatform, token: &str, case: &str, round: i64) -> Value {
    eventually(
        "the transfer to be sent",
        Duration::from_secs(30),
        || async {
            let listed = test
                .get_json_as(
                    token,
                    &format!("/api/crossregion/v1/transfers?case_id={case}"),
                )
                .await;
            listed
                .as_array()?
                .iter()
                .find(|t| t["round"] == round)
                .cloned()
        },
    )
    .await
}

/// Waits until `token` sees the work item of `case` with `field` equal to `value`.
pub(crate) async fn work_item_where(
    test: &TestPlatform,
    token: &str,
    case: &str,
    field: &str,
    value: &str,
) -> Value {
    eventually(
        "the work item to change",
        Duration::from_secs(30),
        || async {
            let response = test
                .get_as(token, &format!("/api/approval/v1/work-items/{case}"))
                .await;
            let item: Value = response.json().await.ok()?;
            (item[field] == value).then_some(item)
        },
    )
    .await
}

async fn case_where(test: &TestPlatform, token: &str, case: &str, status: &str) -> Value {
    eventually("the case to change", Duration::from_secs(30), || async {
        let view = test
            .get_json_as(token, &format!("/api/acceptance/v1/cases/{case}"))
            .await;
        (view["status"] == status).then_some(view)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_collected_in_one_city_is_decided_in_another_and_its_result_comes_back() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (code, staff) = collected_in_heshan(&test).await;

    another_window_is_refused_and_an_online_case_goes_straight_home(&test, &code, &staff).await;
    let (tid, case, id) = the_transfer_is_sent_and_waits_in_changsha(&test, &staff, &code).await;
    only_the_two_halls_see_the_case_and_its_files(&test, &tid, &case, &staff, &id).await;
    only_the_handling_side_takes_it_over(&test, &tid, &staff).await;
    the_originals_go_by_post(&test, &tid, &staff).await;
    changsha_decides_on_the_clock_the_hall_sees(&test, &id, &tid, &staff).await;
    the_licence_is_delivered_at_the_window(&test, &tid, &staff, &id).await;
    every_hand_over_is_an_event(&test, &case).await;
    test.stop().await;
}

async fn another_window_is_refused_and_an_online_case_goes_straight_home(
    test: &TestPlatform,
    code: &str,
    staff: &Staff,
) {
    // 安化县 has no agreement to collect the item (a 全程网办 one lets no window collect): its
    // window is refused at intake, with the reason.
    let province = test.staff_token().await.to_owned();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (status, _) = post(
        test,
        &province,
        "/api/crossregion/v1/agreements",
        json!({ "title": "个体工商户登记全程网办", "mode": "online", "items": [code],
                "collecting_regions": [ANHUA], "effective_from": today }),
    )
    .await;
    assert_eq!(status, 201);
    test.eventually_counts(
        "acceptance to learn the online agreement",
        "select count(*) from acceptance.agreements",
        2,
    )
    .await;
    let id_card = tongban_kernel::IdCardNumber::complete("43092319850505123").unwrap();
    let (status, refused) = post(
        test,
        &staff.anhua_clerk,
        "/api/acceptance/v1/cases/intake",
        json!({
            "implementation_code": code, "receiving_region": ANHUA,
            "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card",
                           "document_number": id_card.as_str() },
        }),
    )
    .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("receiving_region")),
        "{refused}"
    );
    assert!(
        refused["message"].as_str().unwrap().contains("agreement"),
        "{refused}"
    );

    // 全程网办: applied for online from anywhere, the case goes straight to 长沙县 (no hall in
    // between, nothing to transfer).
    let (_, applicant) = crate::cases::citizen(test, 71).await;
    let (status, online) = post(
        test,
        &applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    assert_eq!(status, 201, "{online}");
    assert_eq!(
        (
            online["mode"].as_str(),
            online["receiving_region"].as_str(),
            online["handling_region"].as_str()
        ),
        (Some("online"), Some(CHANGSHA_COUNTY), Some(CHANGSHA_COUNTY))
    );
}

async fn the_transfer_is_sent_and_waits_in_changsha(
    test: &TestPlatform,
    staff: &Staff,
    code: &str,
) -> (String, Value, String) {
    // 赫山区 takes the case in, checks it and accepts it: the transfer goes to 长沙县, due to be
    // answered within two working days.
    let case = taken_in(test, &staff.heshan_clerk, code, 1).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let transfer = transfer_of(test, &staff.heshan_clerk, &id, 1).await;
    assert_eq!(
        (
            transfer["state"].as_str(),
            transfer["location"].as_str(),
            transfer["receiving_region"].as_str(),
            transfer["handling_region"].as_str(),
            transfer["mode"].as_str(),
        ),
        (
            Some("sent"),
            Some("handling_region"),
            Some(HESHAN),
            Some(CHANGSHA_COUNTY),
            Some("collect_elsewhere")
        ),
        "{transfer}"
    );
    assert_eq!(transfer["due_date"], case["due_date"]);
    // Sent today: both working days of the hand-over are left, counted in 长沙县's calendar.
    assert_eq!(transfer["working_days_left"], 2, "{transfer}");
    let tid = transfer["id"].as_str().unwrap().to_owned();

    // 长沙县's staff hear of it in their inbox, with the deadline.
    let inbox = crate::notification::inbox_with(test, &staff.changsha, "transfer_sent").await;
    let told = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == "transfer_sent")
        .unwrap();
    let respond_by: chrono::NaiveDate = transfer["respond_by"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        told["body"],
        format!(
            "{HESHAN}转来办件{}，请于{}前接收或退回。",
            case["number"].as_str().unwrap(),
            respond_by.format("%Y年%-m月%-d日")
        )
    );

    // The work item is in 长沙县's queue at once, but cannot be worked before the transfer is
    // taken over.
    let queue = eventually(
        "the work item in 长沙县's queue",
        Duration::from_secs(30),
        || async {
            let queue = test
                .get_json_as(
                    &staff.changsha,
                    &format!("/api/approval/v1/work-items?region_code={CHANGSHA_COUNTY}"),
                )
                .await;
            queue["items"]
                .as_array()?
                .iter()
                .find(|i| i["case_id"] == id.as_str())
                .cloned()
        },
    )
    .await;
    assert_eq!(queue["transfer"], "pending", "{queue}");
    let step =
        |n: u32, action: &str| format!("/api/approval/v1/work-items/{id}/steps/{n}/{action}");
    let (status, body) = post(test, &staff.changsha, &step(2, "claim"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("transfer_pending")),
        "{body}"
    );
    (tid, case, id)
}

async fn only_the_two_halls_see_the_case_and_its_files(
    test: &TestPlatform,
    tid: &str,
    case: &Value,
    staff: &Staff,
    id: &str,
) {
    let transfer_path = |action: &str| format!("/api/crossregion/v1/transfers/{tid}/{action}");
    // The materials went electronically: 长沙县 reads the files 赫山区 took in.
    let material = case["materials"][0]["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = test
        .get_as(
            &staff.changsha,
            &format!("/api/acceptance/v1/cases/{id}/materials/{material}"),
        )
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert!(file.headers()["etag"].to_str().unwrap().len() > 60);
    assert_eq!(
        file.bytes().await.unwrap().as_ref(),
        crate::files::scan("image/png")
    );

    // Both halls and their supervisors see the case; 安化县's staff do not.
    for (who, token) in [
        ("赫山区's clerk", &staff.heshan_clerk),
        ("赫山区's supervisor", &staff.heshan_supervisor),
        ("长沙县's approver", &staff.changsha),
    ] {
        let seen = test
            .get_as(token, &format!("/api/crossregion/v1/transfers/{tid}"))
            .await;
        assert_eq!(seen.status(), 200, "{who}");
        let seen = test
            .get_as(token, &format!("/api/acceptance/v1/cases/{id}"))
            .await;
        assert_eq!(seen.status(), 200, "{who}");
    }
    for token in [&staff.anhua_clerk, &staff.anhua_approver] {
        for path in [
            format!("/api/acceptance/v1/cases/{id}/materials/{material}"),
            format!("/api/crossregion/v1/transfers/{tid}"),
            format!("/api/crossregion/v1/transfers/{tid}/history"),
            format!("/api/acceptance/v1/cases/{id}"),
            format!("/api/approval/v1/work-items/{id}"),
        ] {
            assert_eq!(test.get_as(token, &path).await.status(), 404, "{path}");
        }
        let listed = test
            .get_json_as(token, "/api/crossregion/v1/transfers")
            .await;
        assert_eq!(listed, json!([]));
        let (status, body) = status_and_body(
            test.get_as(
                token,
                &format!(
                    "/api/crossregion/v1/transfers?after={}",
                    uuid::Uuid::now_v7()
                ),
            )
            .await,
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (400, Some("after")));
        assert_eq!(
            post(test, token, &transfer_path("accept"), json!({}))
                .await
                .0,
            404
        );
    }
}

async fn only_the_handling_side_takes_it_over(test: &TestPlatform, tid: &str, staff: &Staff) {
    let transfer_path = |action: &str| format!("/api/crossregion/v1/transfers/{tid}/{action}");
    // Only the handling side takes it over.
    let (status, _) = post(
        test,
        &staff.heshan_clerk,
        &transfer_path("accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = post(
        test,
        &staff.changsha,
        &transfer_path("accept"),
        json!({ "revision": 99 }),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("stale_revision"))
    );
    let (status, taken) = post(test, &staff.changsha, &transfer_path("accept"), json!({})).await;
    assert_eq!(
        (status, taken["state"].as_str(), taken["location"].as_str()),
        (200, Some("accepted"), Some("handling_region")),
        "{taken}"
    );
    assert_eq!(
        post(
            test,
            &staff.changsha,
            &transfer_path("reject"),
            json!({ "kind": "not_competent", "reason": "再议" })
        )
        .await
        .0,
        409,
        "answered once"
    );
}

async fn the_originals_go_by_post(test: &TestPlatform, tid: &str, staff: &Staff) {
    let transfer_path = |action: &str| format!("/api/crossregion/v1/transfers/{tid}/{action}");
    // The originals go by post; 长沙县 receives them.
    let (status, body) = post(
        test,
        &staff.heshan_clerk,
        &transfer_path("legs"),
        json!({ "direction": "sideways", "carrier": "EMS", "tracking_number": "1" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("direction")));
    assert_eq!(
        post(
            test,
            &staff.changsha,
            &transfer_path("legs"),
            json!({ "direction": "materials", "carrier": "EMS", "tracking_number": "EA100" })
        )
        .await
        .0,
        403,
        "the originals are the receiving window's to post"
    );
    let (status, posted) = post(
        test,
        &staff.heshan_clerk,
        &transfer_path("legs"),
        json!({ "direction": "materials", "carrier": "EMS", "tracking_number": "EA100000001CN" }),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    let leg = posted["legs"][0]["id"].as_str().unwrap().to_owned();
    let receive = transfer_path(&format!("legs/{leg}/receive"));
    assert_eq!(
        post(test, &staff.heshan_clerk, &receive, json!({})).await.0,
        403
    );
    let (status, received) = post(test, &staff.changsha, &receive, json!({})).await;
    assert_eq!(status, 200, "{received}");
    assert!(received["legs"][0]["received_at"].is_string());
    assert_eq!(
        post(test, &staff.changsha, &receive, json!({})).await.0,
        409
    );
}

async fn changsha_decides_on_the_clock_the_hall_sees(
    test: &TestPlatform,
    id: &str,
    tid: &str,
    staff: &Staff,
) {
    let step =
        |n: u32, action: &str| format!("/api/approval/v1/work-items/{id}/steps/{n}/{action}");
    // 长沙县 decides; the result comes back to 赫山区, which must deliver it within three
    // working days.
    let item = work_item_where(test, &staff.changsha, id, "transfer", "accepted").await;
    assert_eq!(item["state"], "in_progress");

    // The clock 长沙县 runs is the one 赫山区 sees: paused for a correction, then running again.
    let work = |action: &str| format!("/api/approval/v1/work-items/{id}/{action}");
    let (status, paused) = post(
        test,
        &staff.changsha,
        &work("pause"),
        json!({ "kind": "correction", "reason": "核对经营场所", "notice": "请补正经营场所证明原件" }),
    )
    .await;
    assert_eq!(status, 200, "{paused}");
    let clock_of = |paused: bool| {
        let (test, clerk, tid) = (test, &staff.heshan_clerk, tid);
        async move {
            eventually(
                "the receiving hall to see the clock",
                Duration::from_secs(30),
                || async {
                    let t = test
                        .get_json_as(clerk, &format!("/api/crossregion/v1/transfers/{tid}"))
                        .await;
                    (t["clock_paused"] == paused).then_some(t)
                },
            )
            .await
        }
    };
    clock_of(true).await;
    let (status, resumed) = post(test, &staff.changsha, &work("resume"), json!({})).await;
    assert_eq!(status, 200, "{resumed}");
    let running = clock_of(false).await;
    assert_eq!(running["due_date"], resumed["due_date"]);
    assert_eq!(
        post(test, &staff.changsha, &step(2, "claim"), json!({}))
            .await
            .0,
        200
    );
    let (status, decided) = post(
        test,
        &staff.changsha,
        &step(2, "decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    case_where(test, &staff.heshan_clerk, id, "concluded").await;
    let returned = eventually(
        "the result handed back",
        Duration::from_secs(30),
        || async {
            let t = test
                .get_json_as(
                    &staff.heshan_clerk,
                    &format!("/api/crossregion/v1/transfers/{tid}"),
                )
                .await;
            (t["state"] == "returned").then_some(t)
        },
    )
    .await;
    assert_eq!(
        (returned["decision"].as_str(), returned["location"].as_str()),
        (Some("approved"), Some("receiving_region"))
    );
    assert!(returned["deliver_by"].is_string());
}

async fn the_licence_is_delivered_at_the_window(
    test: &TestPlatform,
    tid: &str,
    staff: &Staff,
    id: &str,
) {
    let transfer_path = |action: &str| format!("/api/crossregion/v1/transfers/{tid}/{action}");
    // The paper licence goes back by post for pickup at 赫山区's window.
    let (status, posted) = post(
        test,
        &staff.changsha,
        &transfer_path("legs"),
        json!({ "direction": "result_to_receiving", "carrier": "顺丰", "tracking_number": "SF1000000002" }),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    let leg = posted["legs"][1]["id"].as_str().unwrap().to_owned();
    let (status, _) = post(
        test,
        &staff.heshan_clerk,
        &transfer_path(&format!("legs/{leg}/receive")),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, delivered) = post(
        test,
        &staff.heshan_clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        json!({ "method": "pickup" }),
    )
    .await;
    assert_eq!(status, 200, "{delivered}");
    let done = eventually("the transfer to end", Duration::from_secs(30), || async {
        let t = test
            .get_json_as(
                &staff.changsha,
                &format!("/api/crossregion/v1/transfers/{tid}"),
            )
            .await;
        (t["state"] == "delivered").then_some(t)
    })
    .await;
    assert_eq!(done["location"], "applicant");
    let history = test
        .get_json_as(&staff.heshan_supervisor, &transfer_path("history"))
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "sent",
            "accepted",
            "leg_sent",
            "leg_received",
            "result_returned",
            "leg_sent",
            "leg_received",
            "delivered"
        ]
    );
}

async fn every_hand_over_is_an_event(test: &TestPlatform, case: &Value) {
    // Every hand-over is an event keyed by the case, so the province can measure them per
    // region pair.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::CROSSREGION, |got| {
        got.iter().any(|e| of_type(e, "transfer_completed"))
    })
    .await;
    let mine: Vec<&Received> = events
        .iter()
        .filter(|e| e.header("ce_subject").as_deref() == case["number"].as_str())
        .collect();
    let types: Vec<String> = mine.iter().map(|e| e.header("ce_type").unwrap()).collect();
    assert_eq!(
        types,
        [
            "transfer_sent",
            "transfer_accepted",
            "postal_leg_sent",
            "postal_leg_received",
            "result_returned",
            "postal_leg_sent",
            "postal_leg_received",
            "transfer_completed"
        ]
        .map(|t| format!("cn.tongban.crossregion.{t}.v1"))
    );
    let sent: TransferSent = decode(mine[0]);
    let pair = sent.transfer.unwrap();
    assert_eq!(
        (
            pair.receiving_region.as_str(),
            pair.handling_region.as_str(),
            pair.round
        ),
        (HESHAN, CHANGSHA_COUNTY, 1)
    );
    let accepted: TransferAccepted = decode(mine[1]);
    assert!(accepted.on_time);
    let leg: PostalLegSent = decode(mine[2]);
    assert_eq!(
        (leg.direction.as_str(), leg.tracking_number.as_str()),
        ("materials", "EA100000001CN")
    );
    let back: ResultReturned = decode(mine[4]);
    assert_eq!(back.decision, "approved");
    let completed: TransferCompleted = decode(mine[7]);
    assert_eq!(
        (completed.method.as_str(), completed.on_time),
        ("pickup", true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_transfer_returns_the_case_once_and_a_missed_deadline_is_escalated() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<CrossregionSettings>()
            .unwrap()
            .timer_sweep_secs = 1;
    })
    .await;
    let (code, staff) = collected_in_heshan(&test).await;

    let id = the_first_transfer_is_rejected_for_defective_materials(&test, &staff, &code).await;
    the_hall_has_the_case_corrected_and_sends_it_again(&test, &staff, &id).await;
    the_second_round_is_decided_and_posted_to_the_applicant(&test, &id, &staff).await;
    let respond_by = an_unanswered_transfer_is_escalated_once(&test, &staff, &code, &clock).await;
    the_rejection_and_the_escalation_are_events(&test, respond_by).await;
    test.stop().await;
}

async fn the_first_transfer_is_rejected_for_defective_materials(
    test: &TestPlatform,
    staff: &Staff,
    code: &str,
) -> String {
    // 长沙县 rejects the first transfer: the materials are defective.
    let case = taken_in(test, &staff.heshan_clerk, code, 2).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let transfer = transfer_of(test, &staff.changsha, &id, 1).await;
    let tid = transfer["id"].as_str().unwrap().to_owned();
    let reject = format!("/api/crossregion/v1/transfers/{tid}/reject");
    for (body, field) in [
        (json!({ "kind": "dislike", "reason": "x" }), "kind"),
        (
            json!({ "kind": "materials_defective", "reason": " " }),
            "reason",
        ),
    ] {
        let (status, answer) = post(test, &staff.changsha, &reject, body).await;
        assert_eq!((status, answer["field"].as_str()), (400, Some(field)));
    }
    let (status, rejected) = post(
        test,
        &staff.changsha,
        &reject,
        json!({ "kind": "materials_defective", "reason": "经营场所使用证明复印件不清晰" }),
    )
    .await;
    assert_eq!(
        (
            status,
            rejected["state"].as_str(),
            rejected["location"].as_str()
        ),
        (200, Some("rejected"), Some("receiving_region")),
        "{rejected}"
    );
    id
}

async fn the_hall_has_the_case_corrected_and_sends_it_again(
    test: &TestPlatform,
    staff: &Staff,
    id: &str,
) {
    // The case is back at 赫山区's window with the reason; the work item left 长沙县's queue.
    let back = case_where(test, &staff.heshan_clerk, id, "returned").await;
    assert_eq!(
        (back["returns"].as_i64(), back["returned"]["kind"].as_str()),
        (Some(1), Some("materials_defective")),
        "{back}"
    );
    let item = work_item_where(test, &staff.changsha, id, "state", "returned").await;
    assert!(item["reason"].as_str().unwrap().contains("不清晰"));

    // 赫山区 tells the applicant once what to fix; a second notice this round is refused.
    let material = back["materials"][2]["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let notice =
        json!({ "items": [{ "material_code": material, "reason": "请提供清晰的复印件" }] });
    let correction = format!("/api/acceptance/v1/cases/{id}/correction");
    let (status, corrected) = post(test, &staff.heshan_clerk, &correction, notice.clone()).await;
    assert_eq!(
        (status, corrected["status"].as_str()),
        (200, Some("needs_correction")),
        "{corrected}"
    );
    assert_eq!(corrected["correction"][0]["reason"], "请提供清晰的复印件");
    let fixed = crate::cases::upload(test, &staff.heshan_clerk, id, &material, "image/png").await;
    assert_eq!(fixed.0, 204);
    let path = |action: &str| format!("/api/acceptance/v1/cases/{id}/{action}");
    assert_eq!(
        post(test, &staff.heshan_clerk, &path("submit"), json!({}))
            .await
            .0,
        200
    );
    let (status, again) = post(test, &staff.heshan_clerk, &path("accept"), json!({})).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("accepted")));
}

async fn the_second_round_is_decided_and_posted_to_the_applicant(
    test: &TestPlatform,
    id: &str,
    staff: &Staff,
) {
    let path = |action: &str| format!("/api/acceptance/v1/cases/{id}/{action}");
    // The second round goes out and is taken over; the work item is back in the queue.
    let second = transfer_of(test, &staff.changsha, id, 2).await;
    assert_eq!(second["state"], "sent");
    let (status, _) = post(
        test,
        &staff.changsha,
        &format!(
            "/api/crossregion/v1/transfers/{}/accept",
            second["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let item = work_item_where(test, &staff.changsha, id, "transfer", "accepted").await;
    assert_eq!(item["state"], "in_progress");
    assert_eq!(item["steps"][1]["state"], "open", "{item}");

    // 长沙县 decides and posts the licence straight to the applicant (异地送达): the last leg.
    let step = |action: &str| format!("/api/approval/v1/work-items/{id}/steps/2/{action}");
    assert_eq!(
        post(test, &staff.changsha, &step("claim"), json!({}))
            .await
            .0,
        200
    );
    let (status, _) = post(
        test,
        &staff.changsha,
        &step("decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200);
    case_where(test, &staff.changsha, id, "concluded").await;
    let (status, body) = post(
        test,
        &staff.changsha,
        &path("deliver"),
        json!({ "method": "pickup" }),
    )
    .await;
    assert_eq!(status, 403, "pickup is at the receiving window: {body}");
    let (status, delivered) = post(
        test,
        &staff.changsha,
        &path("deliver"),
        json!({ "method": "post", "carrier": "EMS", "tracking_number": "EA200000002CN" }),
    )
    .await;
    assert_eq!(status, 200, "{delivered}");
    let done = eventually(
        "the second round to end",
        Duration::from_secs(30),
        || async {
            let t = test
                .get_json_as(
                    &staff.heshan_clerk,
                    &format!(
                        "/api/crossregion/v1/transfers/{}",
                        second["id"].as_str().unwrap()
                    ),
                )
                .await;
            (t["state"] == "delivered").then_some(t)
        },
    )
    .await;
    assert_eq!(
        (
            done["legs"][0]["direction"].as_str(),
            done["legs"][0]["tracking_number"].as_str()
        ),
        (Some("result_to_applicant"), Some("EA200000002CN"))
    );
}

async fn an_unanswered_transfer_is_escalated_once(
    test: &TestPlatform,
    staff: &Staff,
    code: &str,
    clock: &Clock,
) -> chrono::NaiveDate {
    // A third case is left unanswered past its deadline: escalated once, and listed as overdue.
    let late = taken_in(test, &staff.heshan_clerk, code, 3).await;
    let late_id = late["id"].as_str().unwrap().to_owned();
    let unanswered = transfer_of(test, &staff.heshan_supervisor, &late_id, 1).await;
    let respond_by: chrono::NaiveDate = unanswered["respond_by"].as_str().unwrap().parse().unwrap();
    assert!(clock.set_today(respond_by + chrono::Duration::days(1)));
    let overdue = eventually(
        "the missed response to be escalated",
        Duration::from_secs(30),
        || async {
            let listed = test
                .get_json_as(
                    &staff.heshan_supervisor,
                    &format!("/api/crossregion/v1/transfers?overdue=true&region_code={CHANGSHA_COUNTY}&side=handling"),
                )
                .await;
            let listed = listed.as_array()?.clone();
            (!listed.is_empty()).then_some(listed)
        },
    )
    .await;
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["case_id"], late_id.as_str());
    assert_eq!(overdue[0]["response_overdue"], true);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        test.scalar("select count(*) from crossregion.transfer_history where action = 'overdue'")
            .await,
        1,
        "escalated once"
    );
    respond_by
}

async fn the_rejection_and_the_escalation_are_events(
    test: &TestPlatform,
    respond_by: chrono::NaiveDate,
) {
    let brokers = test.platform.broker.as_ref().unwrap().address();
    // The three cases' events are on different partitions: read until each one wanted is in.
    let events = read_events_until(&brokers, tongban_events::topics::CROSSREGION, |got| {
        ["hand_over_overdue", "transfer_rejected", "postal_leg_sent"]
            .iter()
            .all(|name| got.iter().any(|e| of_type(e, name)))
    })
    .await;
    let rejection: TransferRejected = decode(
        events
            .iter()
            .find(|e| of_type(e, "transfer_rejected"))
            .unwrap(),
    );
    assert_eq!(
        (rejection.reason_kind.as_str(), rejection.on_time),
        ("materials_defective", true)
    );
    let escalation: HandOverOverdue = decode(
        events
            .iter()
            .find(|e| of_type(e, "hand_over_overdue"))
            .unwrap(),
    );
    assert_eq!(
        (escalation.hand_over.as_str(), escalation.deadline),
        ("response", respond_by.to_string())
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| of_type(e, "postal_leg_sent"))
            .count(),
        1,
        "the posted result"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_handover_benchmark_times_every_case_from_acceptance_to_the_other_queue() {
    let settings = tongban_runtime::Settings::load(None).unwrap();

    let report = tongban::bench::handover::handover(settings, 20, 20.0, 4, |_| {})
        .await
        .unwrap();

    // Every case of both phases was accepted through the gateway, transferred, and measured
    // into the queue.
    assert_eq!(report.transfers, 40);
    for phase in [&report.paced, &report.flat_out] {
        assert_eq!((phase.acceptances.requests, phase.handovers), (20, 20));
        assert!(phase.handover_p50_ms > 0.0);
        assert!(phase.handover_p50_ms <= phase.handover_p99_ms);
        assert!(phase.handover_p99_ms <= phase.handover_max_ms);
    }
    assert_eq!(report.paced.offered_per_second, Some(20.0));
    assert!(tongban::bench::handover::table(&report).contains("paced, 20/s offered"));
}

/// An item of basic item `basic` (`name`) implemented by a new department `department` (credit
/// code number `n`) of `region`, taken in only at its own hall (scope none), published.
pub(crate) async fn item_of(
    test: &TestPlatform,
    (basic, name): (&str, &str),
    region: &str,
    department: &str,
    n: u32,
) -> (String, String) {
    let admin = test.staff_token().await.to_owned();
    let created = test
        .post_as(
            &admin,
            "/api/catalogue/v1/basic-items",
            crate::items::basic_item(basic, name),
        )
        .await;
    assert!([201, 409].contains(&created.status().as_u16()));
    let credit = crate::items::department(test, region, department, n).await;
    let row =
        json!({ "basic_code": basic, "department_credit_code": credit, "spec": spec(5, "none") });
    let (status, item) = post(test, &admin, "/api/catalogue/v1/items", row).await;
    assert_eq!(status, 201, "{item}");
    let code = item["code"].as_str().unwrap().to_owned();
    let (status, _) = post(
        test,
        &admin,
        &format!("/api/catalogue/v1/items/{code}/publish"),
        json!({ "version": 1 }),
    )
    .await;
    assert_eq!(status, 200);
    (code, credit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cross_province_agreement_lets_zhuji_collect_for_heshan() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (code, _) = item_of(
        &test,
        ("014300001000", "个体工商户登记"),
        HESHAN,
        "赫山区市场监督管理局",
        821,
    )
    .await;
    test.eventually_counts(
        "every service to learn the item",
        "select (select count(*) from acceptance.offered_items)
              + (select count(*) from approval.item_versions)
              + (select count(*) from crossregion.items where department_id is not null)",
        3,
    )
    .await;
    let province = test.staff_token().await.to_owned();
    let hunan = test.admin("delta.hunan", "430000000000").await;
    let zhejiang = test.admin("delta.zhejiang", "330000000000").await;
    let (_, zhejiang_admin) = test
        .staff_with_role(
            &zhejiang,
            "delta.zhejiang.catalogue",
            "catalogue_admin",
            "330000000000",
        )
        .await;
    let (_, zhuji_clerk) = test
        .staff_with_role(&zhejiang, "delta.zhuji.clerk", "window_clerk", ZHUJI)
        .await;
    let (_, zhejiang_supervisor) = test
        .staff_with_role(
            &zhejiang,
            "delta.zhejiang.watch",
            "supervisor",
            "330000000000",
        )
        .await;
    let (_, heshan_approver) = test
        .staff_with_role(&hunan, "delta.heshan", "approver", HESHAN)
        .await;
    let (_, anhua_clerk) = test
        .staff_with_role(&hunan, "delta.anhua", "window_clerk", ANHUA)
        .await;

    // Hunan proposes; until Zhejiang signs, 诸暨市's window cannot take the case in.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let (status, proposed) = post(
        &test,
        &province,
        "/api/crossregion/v1/agreements",
        json!({ "title": "湘浙跨省通办", "mode": "collect_elsewhere", "items": [code],
                "collecting_regions": [ZHUJI], "effective_from": today }),
    )
    .await;
    assert_eq!(
        (
            status,
            proposed["status"].as_str(),
            proposed["scope"].as_str()
        ),
        (201, Some("proposed"), Some("cross_province"))
    );
    let id_card = tongban_kernel::IdCardNumber::complete("33068119850505123").unwrap();
    let intake = json!({
        "implementation_code": code, "receiving_region": ZHUJI,
        "applicant": { "kind": "citizen", "name": "钱八", "id_type": "resident_id_card",
                       "document_number": id_card.as_str() },
    });
    let (status, _) = post(
        &test,
        &zhuji_clerk,
        "/api/acceptance/v1/cases/intake",
        intake.clone(),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post(
        &test,
        &zhejiang_admin,
        &format!(
            "/api/crossregion/v1/agreements/{}/sign",
            proposed["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let case = taken_in_once_agreed(&test, &zhuji_clerk, &intake).await;
    let id = case["id"].as_str().unwrap().to_owned();
    submitted_and_accepted(&test, &zhuji_clerk, &case).await;

    // The transfer crosses the provincial border; 赫山区 takes it over. Both provinces'
    // supervisors see it; 安化县 does not.
    let transfer = transfer_of(&test, &zhuji_clerk, &id, 1).await;
    assert_eq!(
        (
            transfer["receiving_region"].as_str(),
            transfer["handling_region"].as_str()
        ),
        (Some(ZHUJI), Some(HESHAN))
    );
    let tid = transfer["id"].as_str().unwrap().to_owned();
    let (status, taken) = post(
        &test,
        &heshan_approver,
        &format!("/api/crossregion/v1/transfers/{tid}/accept"),
        json!({}),
    )
    .await;
    assert_eq!((status, taken["state"].as_str()), (200, Some("accepted")));
    for (who, token, seen) in [
        ("浙江's supervisor", &zhejiang_supervisor, 200),
        ("湖南's supervisor", &province, 200),
        ("安化县's clerk", &anhua_clerk, 404),
    ] {
        assert_eq!(
            test.get_as(token, &format!("/api/crossregion/v1/transfers/{tid}"))
                .await
                .status(),
            seen,
            "{who}"
        );
        assert_eq!(
            test.get_as(token, &format!("/api/acceptance/v1/cases/{id}"))
                .await
                .status(),
            seen,
            "{who}"
        );
    }
    work_item_where(&test, &heshan_approver, &id, "transfer", "accepted").await;

    test.stop().await;
}
