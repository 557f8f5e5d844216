//! The operator commands the runbook uses, against a live platform: `tongban doctor` finds
//! what is fine and what is broken, `tongban outbox replay` publishes events again without any
//! consumer applying one twice, `tongban admin rotate-keys` changes the signing key without
//! signing anyone out, the stored secrets are sealed under a key-encryption key that
//! `tongban admin rotate-kek` changes, and the runbook's restore resets every consumer group the
//! platform runs.

use std::time::Duration;

use secrecy::ExposeSecret as _;

use crate::harness::{BrokerStorage, TestPlatform, eventually};
use tongban::ops::{self, Status};
use tongban_vault::Vault;

fn status_of(report: &ops::Report, name: &str) -> Status {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {}", report.render(false)))
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_doctor_tells_a_working_install_from_a_broken_one() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    test.admin("doctor.admin", "430000000000").await;
    let settings = (*test.platform.settings).clone();

    // Working: the database, every schema migrated, the broker with every topic, a key.
    let report = eventually(
        "every service to have migrated",
        Duration::from_secs(30),
        || async {
            let report = ops::doctor(&settings).await;
            report.healthy().then_some(report)
        },
    )
    .await;
    for service in tongban_runtime::config::SERVICES {
        assert_eq!(
            status_of(&report, &format!("migrations: {service}")),
            Status::Ok
        );
    }
    for topic in tongban_events::topics::ALL {
        assert_eq!(status_of(&report, &format!("topic {topic}")), Status::Ok);
    }
    assert_eq!(status_of(&report, "signing key"), Status::Ok);
    assert_eq!(status_of(&report, "administrators"), Status::Ok);
    let table = report.render(false);
    assert!(table.contains("ok    database"), "{table}");

    // No broker where it is said to be.
    let mut unreachable = settings.clone();
    unreachable.kafka.brokers = "127.0.0.1:1".into();
    let report = ops::doctor(&unreachable).await;
    assert_eq!(status_of(&report, "broker"), Status::Fail);
    assert!(!report.healthy());
    assert!(
        report.render(true).starts_with("FAIL  broker"),
        "{}",
        report.render(true)
    );

    // A database nobody migrated: every schema says so.
    let empty = format!("tongban_doctor_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("create database {empty}"))
        .execute(&test.db)
        .await
        .unwrap();
    let mut unmigrated = settings.clone();
    let mut url = url::Url::parse(settings.database_url()).unwrap();
    url.set_path(&empty);
    unmigrated.database.url = url.to_string().into();
    let report = ops::doctor(&unmigrated).await;
    assert_eq!(status_of(&report, "database"), Status::Ok);
    assert_eq!(status_of(&report, "migrations: acceptance"), Status::Fail);
    assert_eq!(status_of(&report, "signing key"), Status::Fail);
    assert!(!report.healthy());
    sqlx::query(&format!("drop database {empty} with (force)"))
        .execute(&test.db)
        .await
        .unwrap();

    // No database at all.
    url.set_port(Some(1)).unwrap();
    let mut nowhere = settings.clone();
    nowhere.database.url = url.to_string().into();
    let report = ops::doctor(&nowhere).await;
    assert_eq!(status_of(&report, "database"), Status::Fail);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_publishes_again_and_nothing_is_applied_twice_and_a_key_rotation_signs_nobody_out()
{
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let settings = (*test.platform.settings).clone();
    let start = chrono::Utc::now() - chrono::Duration::seconds(1);
    for n in 0..5u32 {
        let response = test
            .register_department(
                "430903000000",
                &format!("重放部门{n}"),
                &crate::harness::credit_code(7_000 + n),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let counted =
        "select coalesce(sum(departments), 0)::bigint from approval.region_department_counts";
    test.eventually_counts("approval to count the departments", counted, 5)
        .await;
    let applied = "select count(*) from approval.inbox";
    let before = test.scalar(applied).await;

    // Every catalogue event since the start goes out again; approval applies none twice.
    let replayed = ops::replay_outbox(&settings, start, &["catalogue".to_owned()])
        .await
        .unwrap();
    assert_eq!(replayed.len(), 1);
    assert!(replayed[0].1 >= 5, "{replayed:?}");
    test.eventually_counts(
        "the relay to send them again",
        "select count(*) from catalogue.outbox where sent_at is null",
        0,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(test.scalar(counted).await, 5, "nothing applied twice");
    assert_eq!(test.scalar(applied).await, before);
    let wrong = ops::replay_outbox(&settings, start, &["billing".to_owned()]).await;
    assert!(wrong.unwrap_err().to_string().contains("not a service"));

    // A rotation: the new key signs; a token signed before keeps working everywhere.
    let token = test.staff_token().await.to_owned();
    let kid = ops::rotate_keys(&settings).await.unwrap();
    let active: String =
        sqlx::query_scalar("select kid from identity.signing_keys where retired_at is null")
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(active, kid);
    let still = test.get_as(&token, "/api/identity/v1/accounts/me").await;
    assert_eq!(still.status(), 200, "a token signed before the rotation");

    test.stop().await;
}

/// No 32 bytes of `sealed` are the Ed25519 private key of `public`: what a reader of the
/// database gets is no key.
fn holds_no_key_of(sealed: &[u8], public: &[u8]) -> bool {
    sealed.windows(32).all(|window| {
        tongban_auth::SigningKey::from_bytes("probe", window)
            .is_none_or(|key| key.public_bytes().as_slice() != public)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stored_secrets_are_sealed_under_the_kek_and_a_new_kek_rewraps_them() {
    let mut test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("kek.admin", "430000000000").await;
    let old_kek = test
        .platform
        .settings
        .secrets
        .kek
        .expose_secret()
        .to_owned();

    // A signing key and a webhook secret, as stored: sealed, nothing usable in them.
    let response = test
        .post_as(
            &admin,
            "/api/notification/v1/webhooks",
            serde_json::json!({
                "name": "省平台", "url": "https://partner.example.cn/hooks/tongban",
                "event_types": ["cn.tongban.acceptance.case_accepted.v1"],
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let webhook: serde_json::Value = response.json().await.unwrap();
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let (plain, sealed, public): (Option<Vec<u8>>, Vec<u8>, Vec<u8>) = sqlx::query_as(
        "select secret, sealed_secret, public_key from identity.signing_keys where retired_at is null",
    )
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(plain, None);
    assert!(holds_no_key_of(&sealed, &public));
    let (plain, sealed_secret): (Option<String>, Vec<u8>) =
        sqlx::query_as("select secret, sealed_secret from notification.webhooks")
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(plain, None);
    assert!(
        !sealed_secret
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
    );

    let settings = (*test.platform.settings).clone();
    let report = ops::doctor(&settings).await;
    assert_eq!(status_of(&report, "key-encryption key"), Status::Ok);
    assert_eq!(status_of(&report, "secrets: signing_keys"), Status::Ok);
    assert_eq!(status_of(&report, "secrets: webhooks"), Status::Ok);

    // The doctor knows a missing KEK and a wrong one.
    let mut missing = settings.clone();
    missing.secrets.kek = "".to_owned().into();
    let report = ops::doctor(&missing).await;
    assert_eq!(status_of(&report, "key-encryption key"), Status::Fail);
    assert!(report.render(true).contains("secrets.kek is not set"));
    let mut wrong = settings.clone();
    wrong.secrets.kek = Vault::generate_kek().into();
    let report = ops::doctor(&wrong).await;
    assert_eq!(status_of(&report, "secrets: signing_keys"), Status::Fail);
    assert_eq!(status_of(&report, "secrets: webhooks"), Status::Fail);
    assert!(!report.healthy());
    assert!(
        report.render(true).contains("wrong or missing KEK"),
        "{}",
        report.render(true)
    );

    // A new KEK, the old one kept as previous: everything opens, the doctor asks for a
    // re-wrap; after it, the old KEK is not needed and does not open anything any more.
    let new_kek = Vault::generate_kek();
    let mut rotated = settings.clone();
    rotated.secrets.kek = new_kek.clone().into();
    rotated.secrets.previous_keks = old_kek.clone().into();
    let report = ops::doctor(&rotated).await;
    assert_eq!(status_of(&report, "secrets: signing_keys"), Status::Warn);
    let mut seen = Vec::new();
    let rewrapped = ops::rotate_kek(&rotated, |name, done, total| {
        seen.push((name.to_owned(), done, total))
    })
    .await
    .unwrap();
    let count = |table: &str| {
        rewrapped
            .iter()
            .find(|(name, _)| name.contains(table))
            .map(|(_, n)| *n)
            .unwrap()
    };
    assert!(count("signing_keys") >= 1, "{rewrapped:?}");
    assert_eq!(count("webhooks"), 1, "{rewrapped:?}");
    assert!(
        seen.iter().any(
            |(name, done, total)| name == "notification.webhooks.sealed_secret" && done == total
        ),
        "progress is reported: {seen:?}"
    );
    let again = ops::rotate_kek(&rotated, |_, _, _| {}).await.unwrap();
    assert!(again.iter().all(|(_, n)| *n == 0), "{again:?}");
    let mut only_new = settings.clone();
    only_new.secrets.kek = new_kek.clone().into();
    assert!(ops::doctor(&only_new).await.healthy());
    assert!(!ops::doctor(&settings).await.healthy(), "the old KEK alone");

    // The platform restarted with only the new KEK opens its signing key: a token signed
    // before still verifies, and a new sign-in is signed.
    test.restart_with(|s| {
        s.secrets.kek = new_kek.into();
        s.secrets.previous_keks = "".to_owned().into();
    })
    .await;
    let me = test.get_as(&admin, "/api/identity/v1/accounts/me").await;
    assert_eq!(me.status(), 200, "a token signed before the new KEK");
    test.admin("kek.admin2", "430000000000").await;

    test.stop().await;
}

/// The consumer groups the runbook's restore section resets (or rebuilds), from its table:
/// each row's first cell.
fn groups_the_runbook_resets() -> std::collections::BTreeSet<String> {
    let runbook = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/RUNBOOK.md"),
    )
    .unwrap();
    let section = runbook
        .split("- **After a restore**")
        .nth(1)
        .and_then(|s| s.split("- **The audit chains after a restore**").next())
        .expect("the runbook's restore section");
    section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("| `tongban."))
        .map(|l| format!("tongban.{}", l.split('`').next().unwrap()))
        .collect()
}

/// The consumer groups on the platform's broker, once no new one has appeared for three seconds.
async fn groups_on_the_broker(brokers: &str) -> std::collections::BTreeSet<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let list = || {
        consumer
            .fetch_group_list(None, Duration::from_secs(10))
            .map(|groups| {
                groups
                    .groups()
                    .iter()
                    .map(|g| g.name().to_owned())
                    .filter(|name| name.starts_with("tongban."))
                    .collect::<std::collections::BTreeSet<_>>()
            })
            .unwrap_or_default()
    };
    let (mut seen, mut steady) = (list(), 0);
    while steady < 3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = list();
        steady = if now == seen && !now.is_empty() {
            steady + 1
        } else {
            0
        };
        seen = now;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_runbook_resets_or_rebuilds_every_consumer_group_after_a_restore() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let brokers = test.platform.settings.kafka.brokers.clone();
    // The statistics' group is named by the schema's feed and its generation.
    let running: std::collections::BTreeSet<String> = groups_on_the_broker(&brokers)
        .await
        .into_iter()
        .map(|g| {
            if g.starts_with("tongban.insight.") {
                "tongban.insight.<id>.g<N>".to_owned()
            } else {
                g
            }
        })
        .collect();
    let runbook = groups_the_runbook_resets();
    assert!(running.contains("tongban.acceptance"), "{running:?}");
    assert_eq!(
        running, runbook,
        "the platform's consumer groups and the runbook's restore table (deploy/RUNBOOK.md, \
         section 7) differ"
    );
    test.stop().await;
}
