//! Events cross services through the outbox and the broker: exactly once, in the producer's
//! trace, and without loss when the broker restarts mid-stream.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use prost::Message as _;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

use tongban_events::Event as _;
use tongban_events::catalogue::v1::DepartmentRegistered;
use tongban_events::topics;

use crate::harness::{BrokerStorage, TestPlatform, ce_headers, credit_code, eventually};

/// Approval's consumer group, and the inbox key of its department directory.
const GROUP: &str = "tongban.approval";
const DIRECTORY: &str = "tongban.approval.department-directory";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_state_change_reaches_another_service_once_in_the_same_trace() {
    // Arrange
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";

    // Act: catalogue commits a department and its event; approval consumes it.
    let token = test.staff_token().await.to_owned();
    let response = test
        .http
        .post(test.url("/api/catalogue/v1/departments"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({
            "region_code": "430921000000",
            "name": "南县行政审批服务局",
            "credit_code": credit_code(7),
        }))
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 201);
    let department: serde_json::Value = response.json().await.unwrap();
    eventually(
        "approval to learn the department",
        Duration::from_secs(30),
        || async {
            let known = test
                .departments_known_to_approval(&test.gateway, "430921000000")
                .await;
            (known == Some(1)).then_some(())
        },
    )
    .await;
    let id: uuid::Uuid = department["id"].as_str().unwrap().parse().unwrap();
    let projected: i64 = sqlx::query_scalar(
        "select count(*) from approval.department_directory where department_id = $1",
    )
    .bind(id)
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(projected, 1);
    let (applied, consumer_trace): (i64, Option<String>) =
        sqlx::query_as("select count(*), max(trace_id) from approval.inbox where consumer = $1")
            .bind(DIRECTORY)
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(applied, 1, "applied exactly once");
    assert_eq!(
        consumer_trace.as_deref(),
        Some(trace_id),
        "the consumer continued the caller's trace"
    );
    assert_eq!(
        test.scalar("select count(*) from catalogue.outbox where sent_at is null")
            .await,
        0
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_delivered_three_times_together_is_applied_once() {
    // Arrange: a department's registration as catalogue would publish it, copied three times
    // into one produce request, so the copies reach approval together (one batch).
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let brokers = test.platform.settings.kafka.brokers.clone();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("linger.ms", "50")
        .create()
        .unwrap();
    let event_id = uuid::Uuid::now_v7();
    let department = uuid::Uuid::now_v7();
    let payload = DepartmentRegistered {
        department_id: department.to_string(),
        region_code: "430922000000".to_owned(),
        name: "桃江县重复投递测试局".to_owned(),
        credit_code: credit_code(9_001),
        registered_at: None,
    }
    .encode_to_vec();
    let key = department.to_string();

    // Act
    let sends: Vec<_> = (0..3)
        .map(|_| {
            producer.send(
                FutureRecord::to(topics::CATALOGUE)
                    .key(&key)
                    .payload(&payload)
                    .headers(ce_headers(DepartmentRegistered::TYPE, event_id)),
                Duration::from_secs(10),
            )
        })
        .collect();
    let mut written = Vec::new();
    for sent in futures::future::join_all(sends).await {
        let delivery = sent.unwrap();
        written.push((delivery.partition, delivery.offset));
    }
    let (partition, last) = written.iter().copied().max().unwrap();
    assert!(
        written.iter().all(|(p, _)| *p == partition),
        "one key, one partition"
    );

    // Assert: approval has read all three (its offset is past the last) and applied one.
    eventually(
        "approval to read the copies",
        Duration::from_secs(30),
        || async { (committed_offset(&brokers, partition).await > last).then_some(()) },
    )
    .await;
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from approval.inbox where event_id = '{event_id}'"
        ))
        .await,
        1
    );
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from approval.department_directory where department_id = '{department}'"
        ))
        .await,
        1
    );
    assert_eq!(
        test.scalar(
            "select departments::bigint from approval.region_department_counts
              where region_code = '430922000000'"
        )
        .await,
        1,
        "counted once"
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_restart_mid_stream_loses_nothing_and_applies_nothing_twice() {
    // Arrange: a durable broker, and 1,000 departments across ten counties. The broker keeps
    // its log and group state in PostgreSQL; on a loaded machine its group coordinator answers
    // slowly, and the default six-second session would rebalance the consumers again and
    // again (no loss, but no progress): sessions here last longer, as on a busy cluster.
    let mut test = TestPlatform::start_with(BrokerStorage::Durable, |s| {
        s.kafka.session_timeout_ms = 30_000;
    })
    .await;
    const TOTAL: u32 = 1_000;
    // Ten real divisions of Yiyang (departments must name a known region).
    let counties: Vec<String> = [
        "430900", "430902", "430903", "430921", "430922", "430923", "430971", "430972", "430981",
        "430000",
    ]
    .iter()
    .map(|c| format!("{c:0<12}"))
    .collect();

    // Act: register them, stopping the broker after 300 and starting it again after 600.
    register_range(&test, 0..300, &counties).await;
    test.platform
        .broker
        .as_mut()
        .expect("embedded broker")
        .stop()
        .await;
    // Requests keep succeeding while the broker is down: events wait in the outbox.
    register_range(&test, 300..600, &counties).await;
    let waiting = test
        .scalar("select count(*) from catalogue.outbox where sent_at is null")
        .await;
    assert!(
        waiting > 0,
        "events wait in the outbox while the broker is down"
    );
    test.platform
        .broker
        .as_mut()
        .unwrap()
        .start_again()
        .await
        .expect("broker restarts");
    register_range(&test, 600..TOTAL, &counties).await;

    // Assert: every event applied once.
    eventually("approval to apply every event", Duration::from_secs(120), || async {
        let counted = test
            .scalar("select coalesce(sum(departments), 0)::bigint from approval.region_department_counts")
            .await;
        (counted >= i64::from(TOTAL)).then_some(())
    })
    .await;
    assert_counts(&test, TOTAL).await;

    // Act again: the relay republishes everything, as after a crash between publishing and
    // marking rows sent. The consumer sees every event twice and must change nothing.
    sqlx::query("update catalogue.outbox set sent_at = null")
        .execute(&test.db)
        .await
        .unwrap();
    let brokers = test.platform.settings.kafka.brokers.clone();
    eventually(
        "the consumer to catch up with the republished events",
        Duration::from_secs(120),
        || {
            let brokers = brokers.clone();
            async move {
                consumer_caught_up(&brokers, 2 * i64::from(TOTAL))
                    .await
                    .then_some(())
            }
        },
    )
    .await;
    assert_counts(&test, TOTAL).await;

    // The broker kept every event across its restart: a new reader sees all of them.
    let registered = |e: &Received| {
        e.header("ce_type").as_deref() == Some("cn.tongban.catalogue.department_registered.v1")
    };
    let ids: HashSet<String> = read_events_patiently(
        &brokers,
        topics::CATALOGUE,
        Duration::from_secs(60),
        |got| got.iter().filter(|e| registered(e)).count() >= 2 * TOTAL as usize,
    )
    .await
    .iter()
    .filter(|e| registered(e))
    .filter_map(|e| e.header("ce_id"))
    .collect();
    assert_eq!(
        ids.len(),
        TOTAL as usize,
        "each of the 1,000 events is on the topic"
    );

    test.stop().await;
}

/// Registers departments `range` through the gateway, 16 at a time, spread over `counties`.
async fn register_range(test: &TestPlatform, range: std::ops::Range<u32>, counties: &[String]) {
    futures::stream::iter(range)
        .map(|n| async move {
            let region = &counties[(n % counties.len() as u32) as usize];
            let response = test
                .register_department(region, &format!("部门{n:04}"), &credit_code(n))
                .await;
            assert_eq!(response.status(), 201, "department {n}");
        })
        .buffer_unordered(16)
        .collect::<()>()
        .await;
}

async fn assert_counts(test: &TestPlatform, total: u32) {
    let total = i64::from(total);
    assert_eq!(
        test.scalar(
            "select coalesce(sum(departments), 0)::bigint from approval.region_department_counts"
        )
        .await,
        total,
        "each department counted once"
    );
    assert_eq!(
        test.scalar("select count(*) from approval.department_directory")
            .await,
        total
    );
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from approval.inbox where consumer = '{DIRECTORY}'"
        ))
        .await,
        total
    );
    assert_eq!(
        test.scalar("select count(*) from catalogue.outbox where sent_at is null")
            .await,
        0
    );
    // Events applied in a batch (the backlog after the restart comes in one) each keep their
    // own request's trace, on the inbox row as on the handler's work.
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from approval.inbox i join catalogue.outbox o on o.id = i.event_id
              where i.consumer = '{DIRECTORY}'
                and i.trace_id is distinct from split_part(o.headers->>'traceparent', '-', 2)"
        ))
        .await,
        0,
        "every inbox row carries its own event's trace"
    );
}

/// A client in approval's consumer group that never subscribes: it reads the group's offsets.
fn approval_group(brokers: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", GROUP)
        .create()
        .unwrap()
}

/// Whether the approval consumer group has committed offsets up to `produced` messages on the
/// catalogue topic.
async fn consumer_caught_up(brokers: &str, produced: i64) -> bool {
    let brokers = brokers.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer = approval_group(&brokers);
        // A broker busy catching up may time out: that is "not yet", and the caller asks again.
        let Ok(metadata) = consumer.fetch_metadata(Some(topics::CATALOGUE), Duration::from_secs(5))
        else {
            return false;
        };
        let partitions = metadata.topics()[0].partitions().len() as i32;
        let mut list = TopicPartitionList::new();
        let mut high_total = 0;
        for partition in 0..partitions {
            list.add_partition(topics::CATALOGUE, partition);
            let Ok((_, high)) =
                consumer.fetch_watermarks(topics::CATALOGUE, partition, Duration::from_secs(5))
            else {
                return false;
            };
            high_total += high;
        }
        let Ok(committed) = consumer.committed_offsets(list, Duration::from_secs(5)) else {
            return false;
        };
        let committed_total: i64 = committed
            .elements()
            .iter()
            .map(|e| match e.offset() {
                Offset::Offset(o) => o,
                _ => 0,
            })
            .sum();
        high_total >= produced && committed_total >= high_total
    })
    .await
    .unwrap()
}

/// The approval group's committed offset on a partition of the catalogue topic (-1 when none).
async fn committed_offset(brokers: &str, partition: i32) -> i64 {
    let brokers = brokers.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer = approval_group(&brokers);
        let mut list = TopicPartitionList::new();
        list.add_partition(topics::CATALOGUE, partition);
        match consumer.committed_offsets(list, Duration::from_secs(5)) {
            Ok(committed) => match committed.elements().first().map(|e| e.offset()) {
                Some(Offset::Offset(offset)) => offset,
                _ => -1,
            },
            // A broker busy answering late is "not yet"; the caller asks again.
            Err(_) => -1,
        }
    })
    .await
    .unwrap()
}

/// A message as read back from a topic.
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Reads `topic` from the start with a new group until `done` says so (or ten seconds pass
/// without a message).
pub async fn read_events_until(
    brokers: &str,
    topic: &str,
    done: impl Fn(&[Received]) -> bool,
) -> Vec<Received> {
    read_events_patiently(brokers, topic, Duration::from_secs(10), done).await
}

/// [`read_events_until`], giving up only after `silence` without a message (a broker that
/// keeps its log in PostgreSQL answers slowly on a loaded machine).
pub async fn read_events_patiently(
    brokers: &str,
    topic: &str,
    silence: Duration,
    done: impl Fn(&[Received]) -> bool,
) -> Vec<Received> {
    use rdkafka::message::Headers;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("e2e-reader-{}", uuid::Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut received = Vec::new();
    while !done(&received) {
        let Ok(Ok(message)) = tokio::time::timeout(silence, consumer.recv()).await else {
            break;
        };
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                        (h.key.to_owned(), value.into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        received.push(Received {
            headers,
            payload: message.payload().unwrap_or_default().to_vec(),
        });
    }
    received
}
