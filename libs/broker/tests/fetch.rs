//! The embedded broker answers a waiting fetch when a record arrives (the patch in
//! vendor/tansu-storage), not when the consumer's fetch wait ends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use tongban_broker::EmbeddedBroker;

/// Far longer than the answer may take: a broker that held the fetch for its wait would answer
/// after several seconds.
const FETCH_WAIT_MS: &str = "6000";

async fn produce(producer: &FutureProducer, payload: &str) {
    producer
        .send(
            FutureRecord::to("waiting").key("k").payload(payload),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(err, _)| err)
        .unwrap();
}

async fn next(consumer: &StreamConsumer) -> String {
    let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
        .await
        .expect("a record within 30 s")
        .unwrap();
    String::from_utf8(message.payload().unwrap().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_reaches_a_waiting_consumer_without_waiting_out_its_fetch() {
    let mut broker = EmbeddedBroker::start("127.0.0.1:0", "memory://tansu/")
        .await
        .unwrap();
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", broker.address());
    let admin: AdminClient<DefaultClientContext> = config.create().unwrap();
    for created in admin
        .create_topics(
            &[NewTopic::new("waiting", 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap()
    {
        created.unwrap();
    }
    let producer: FutureProducer = config.clone().set("linger.ms", "0").create().unwrap();
    let consumer: StreamConsumer = config
        .clone()
        .set("group.id", "waiting")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", FETCH_WAIT_MS)
        .create()
        .unwrap();
    let mut partition = TopicPartitionList::new();
    partition
        .add_partition_offset("waiting", 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&partition).unwrap();

    // The consumer is reading: it has the first record.
    produce(&producer, "first").await;
    assert_eq!(next(&consumer).await, "first");
    // Now its next fetch finds nothing and waits at the broker.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = Instant::now();
    produce(&producer, "second").await;
    assert_eq!(next(&consumer).await, "second");
    let took = sent.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the record took {took:?}: the broker held the fetch for its wait"
    );
    // The clients close while the broker is still there to say goodbye to.
    drop((consumer, producer, admin));
    broker.stop().await;
}
