//! `tongban broker`: only the embedded Kafka-compatible broker, with every topic, until Ctrl-C.

use tongban_runtime::{Settings, shutdown};

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let mut broker =
        tongban_broker::EmbeddedBroker::start(&settings.broker.listen, &settings.broker.storage)
            .await?;
    tongban_bus::kafka::ensure_topics(
        &tongban_runtime::config::KafkaSettings {
            brokers: broker.address(),
            ..settings.kafka
        },
        &tongban_events::topics::ALL,
    )
    .await?;
    println!(
        "Embedded broker on {} (storage {}). Ctrl-C stops.",
        broker.address(),
        settings.broker.storage
    );
    let token = tongban_runtime::CancellationToken::new();
    shutdown::cancel_on_signal(token.clone()).await;
    broker.stop().await;
    Ok(())
}
