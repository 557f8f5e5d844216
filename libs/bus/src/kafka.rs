//! Kafka clients, configured in one place.

use std::time::Duration;

use futures::future::BoxFuture;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;

use tongban_runtime::config::KafkaSettings;
use tongban_runtime::health::ReadinessCheck;

/// Base configuration every client shares: brokers and the operator's extra properties.
pub fn client_config(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", settings.brokers.trim());
    config.set("client.id", "tongban");
    config.set("log_level", "4");
    for (key, value) in &settings.properties {
        config.set(key, value);
    }
    config
}

/// The idempotent producer: `acks=all`, retries without duplicates or reordering within a
/// partition. A message librdkafka cannot deliver within `message.timeout.ms` comes back as an
/// error and its outbox row stays unsent for the next round.
pub fn producer(settings: &KafkaSettings) -> anyhow::Result<FutureProducer> {
    let producer = client_config(settings)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("message.timeout.ms", "60000")
        .create()?;
    Ok(producer)
}

/// Creates `topics` that do not exist yet with the configured partitions and replication.
/// Existing topics are left as they are.
pub async fn ensure_topics(settings: &KafkaSettings, topics: &[&str]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = client_config(settings).create()?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|name| {
            NewTopic::new(
                name,
                settings.partitions,
                TopicReplication::Fixed(settings.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for result in admin.create_topics(&new_topics, &options).await? {
        match result {
            Ok(topic) => tracing::info!(topic, "created topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("cannot create topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// Ready when the brokers answer a metadata request.
pub struct BrokerCheck(pub FutureProducer);

impl ReadinessCheck for BrokerCheck {
    fn name(&self) -> &str {
        "broker"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        let producer = self.0.clone();
        Box::pin(async move {
            // librdkafka's metadata call blocks; keep it off the async workers.
            tokio::task::spawn_blocking(move || {
                producer
                    .client()
                    .fetch_metadata(None, Duration::from_millis(1500))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())?
        })
    }
}

/// How far a consumer group has read `topics`, partition by partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPosition {
    /// Events the group has committed past, summed over the partitions (from each one's first
    /// retained event).
    pub done: i64,
    /// Events retained in the topics now, summed over the partitions.
    pub retained: i64,
}

impl GroupPosition {
    /// Events retained that the group has not committed past.
    pub fn behind(&self) -> i64 {
        self.retained - self.done
    }
}

/// Where consumer group `group` stands in `topics` (without joining it): committed offsets
/// against each partition's retained range. A partition the group has not committed in counts
/// as not read at all.
pub async fn group_position(
    settings: &KafkaSettings,
    group: &str,
    topics: &[&str],
) -> anyhow::Result<GroupPosition> {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    use rdkafka::{Offset, TopicPartitionList};

    let config = client_config(settings).set("group.id", group).clone();
    let topics: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(10);
        let consumer: BaseConsumer = config.create()?;
        let mut ranges = Vec::new();
        let mut partitions = TopicPartitionList::new();
        for topic in &topics {
            let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
            for found in metadata.topics() {
                for partition in found.partitions() {
                    let (low, high) = consumer.fetch_watermarks(topic, partition.id(), timeout)?;
                    ranges.push(((topic.clone(), partition.id()), (low, high)));
                    partitions.add_partition(topic, partition.id());
                }
            }
        }
        let committed = consumer.committed_offsets(partitions, timeout)?;
        let mut position = GroupPosition::default();
        for ((topic, partition), (low, high)) in ranges {
            let at = match committed
                .find_partition(&topic, partition)
                .map(|p| p.offset())
            {
                Some(Offset::Offset(at)) => at.clamp(low, high),
                _ => low,
            };
            position.done += at - low;
            position.retained += high - low;
        }
        Ok(position)
    })
    .await?
}
