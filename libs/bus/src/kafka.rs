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
