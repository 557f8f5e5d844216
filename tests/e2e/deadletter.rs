//! What can never be processed is dead-lettered with the reason, and the partition keeps going.

use std::time::Duration;

use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message};

use tongban_events::topics;

use crate::harness::{BrokerStorage, TestPlatform, ce_headers, credit_code, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_and_unknown_events_are_dead_lettered_and_the_partition_flows() {
    // Arrange
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let brokers = test.platform.settings.kafka.brokers.clone();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    let partitions = test.platform.settings.kafka.partitions;

    bad_messages_then_good_ones_on_every_partition(&test, &producer, partitions).await;
    let (letters, reader) = the_good_are_applied_and_the_bad_dead_lettered_once_per_consumer(
        &test, &brokers, partitions,
    )
    .await;
    every_letter_says_why_and_where_it_came_from(&letters, partitions, reader).await;
    test.stop().await;
}

async fn bad_messages_then_good_ones_on_every_partition(
    test: &TestPlatform,
    producer: &FutureProducer,
    partitions: i32,
) {
    // Act: on every partition, a message without CloudEvents headers, one of a type the
    // contract does not know, and one whose payload is not the protobuf it claims to be.
    for partition in 0..partitions {
        let bad: [(OwnedHeaders, &[u8], &str); 3] = [
            (OwnedHeaders::new(), b"{}", "missing header"),
            (
                ce_headers("cn.tongban.catalogue.unheard_of.v1", uuid::Uuid::now_v7()),
                b"",
                "unknown event type",
            ),
            (
                ce_headers(
                    "cn.tongban.catalogue.department_registered.v1",
                    uuid::Uuid::now_v7(),
                ),
                &[0xff, 0xff, 0xff],
                "payload is not a valid",
            ),
        ];
        for (headers, payload, _) in bad {
            producer
                .send(
                    FutureRecord::to(topics::CATALOGUE)
                        .partition(partition)
                        .key("poison")
                        .payload(payload)
                        .headers(headers),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
        }
    }
    // ... then ten good events, which land on every partition behind the bad ones.
    for n in 0..10 {
        let response = test
            .register_department(
                "430902000000",
                &format!("资阳区部门{n}"),
                &credit_code(100 + n),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
}

async fn the_good_are_applied_and_the_bad_dead_lettered_once_per_consumer(
    test: &TestPlatform,
    brokers: &str,
    partitions: i32,
) -> (Vec<(String, String, String)>, StreamConsumer) {
    // Assert: the good events are applied...
    eventually(
        "the good events to be applied",
        Duration::from_secs(60),
        || async {
            (test
                .scalar("select count(*) from approval.department_directory")
                .await
                == 10)
                .then_some(())
        },
    )
    .await;

    // ... and each bad one is on the dead-letter topic with its reason and origin.
    let reader: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "e2e-deadletter-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader.subscribe(&[topics::DEADLETTER]).unwrap();
    // Every service reading the topic dead-letters what it cannot process: a message without
    // an envelope or of an unknown type once per service (by its group), an undecodable payload
    // once per handler that wanted it (approval's department directory and insight's names;
    // acceptance, crossregion, notification and the hall do not handle department_registered,
    // so that payload is never decoded there).
    let expected = 14 * partitions as usize;
    let letters: Vec<(String, String, String)> = reader
        .stream()
        .take(expected)
        .map(|message| {
            let message = message.unwrap();
            let header = |key: &str| {
                message
                    .headers()
                    .and_then(|h| h.iter().find(|h| h.key == key).and_then(|h| h.value))
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            };
            (
                header("tongban_dlq_reason"),
                header("tongban_dlq_consumer"),
                header("tongban_dlq_topic"),
            )
        })
        .collect::<Vec<_>>()
        .await;
    assert_eq!(letters.len(), expected);
    let by = |group: &str| letters.iter().filter(|(_, c, _)| c == group).count();
    assert_eq!(by("tongban.approval"), 2 * partitions as usize);
    assert_eq!(
        by("tongban.approval.department-directory"),
        partitions as usize
    );
    assert_eq!(by("tongban.acceptance"), 2 * partitions as usize);
    assert_eq!(by("tongban.crossregion"), 2 * partitions as usize);
    assert_eq!(by("tongban.notification"), 2 * partitions as usize);
    assert_eq!(by("tongban.hall"), 2 * partitions as usize);
    (letters, reader)
}

async fn every_letter_says_why_and_where_it_came_from(
    letters: &[(String, String, String)],
    partitions: i32,
    reader: StreamConsumer,
) {
    let by = |group: &str| letters.iter().filter(|(_, c, _)| c == group).count();
    // The insight service's group carries its feed's id and generation.
    let insight_group = letters
        .iter()
        .filter(|(_, c, _)| c.starts_with("tongban.insight.") && c.ends_with(".g1"))
        .count();
    assert_eq!(insight_group, 2 * partitions as usize);
    assert_eq!(by("tongban.insight.names"), partitions as usize);
    for (reason, _, topic) in letters {
        assert_eq!(topic, topics::CATALOGUE);
        assert!(
            [
                "missing header",
                "unknown event type",
                "payload is not a valid"
            ]
            .iter()
            .any(|r| reason.starts_with(r)),
            "unexpected reason {reason}"
        );
    }
    for (kind, consumers) in [
        ("missing header", 6),
        ("unknown event type", 6),
        ("payload is not a valid", 2),
    ] {
        let count = letters
            .iter()
            .filter(|(r, _, _)| r.starts_with(kind))
            .count();
        assert_eq!(
            count,
            consumers * partitions as usize,
            "one {kind} per partition and consumer"
        );
    }

    // Kafka clients close before the broker goes, or they wait for it.
    drop(reader);
}
