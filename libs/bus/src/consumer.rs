//! Consuming events: each event's effect and its inbox row commit in one transaction, and the
//! offset is stored only after that commit (librdkafka commits stored offsets periodically and
//! on close). A redelivered event finds its inbox row and changes nothing.
//!
//! A service runs one consumer group (`tongban.<service>`) over every topic its handlers read,
//! and hands each event to every handler that wants it, each in a transaction of its own with an
//! inbox row under the handler's key (`tongban.<service>.<handler>`). One group per service keeps
//! the number of groups a broker has to rebalance after a restart small however many
//! projections a service keeps; the per-handler inbox key means a crash between two handlers
//! re-applies only the one that had not committed.
//!
//! A consumer may take a batch of the events already fetched (up to `batch`) and apply each
//! handler's share of it in one transaction, inbox rows included: one commit for many events
//! where a projection is rebuilt or a backlog drains. When anything in a batch fails, the batch
//! is rolled back and its events are applied one by one as above, so a bad event is
//! dead-lettered alone and a transient failure is retried in order.
//!
//! What can never be processed (missing CloudEvents headers, an event type the contract does not
//! know, a payload that does not decode) goes to `tongban.deadletter.v1` with the reason, and the
//! partition moves on. Transient failures (the database is down) are retried with a capped
//! back-off without moving on, so order is kept.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use tongban_events::{Event, topics};
use tongban_runtime::config::KafkaSettings;
use tongban_runtime::telemetry;

use crate::envelope::{self, Delivered};
pub use crate::error::HandleError;
use crate::kafka;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What a consumer hands events to: a registered handler's table of event types (services
/// register typed handlers with [`ConsumerSpec::named`] and [`Consumes::on`]).
pub(crate) trait Handler: Send + Sync + 'static {
    /// Whether this handler wants events of `ce_type`; others on its topics are passed over.
    fn handles(&self, ce_type: &str) -> bool;

    /// Applies `event` inside `tx`; the inbox row is already written in the same transaction.
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>>;
}

/// One handler of a service's consumer, built with [`ConsumerSpec::named`].
#[derive(Clone)]
pub struct ConsumerSpec {
    /// Unique within the service; the handler's inbox key is `tongban.<service>.<name>`.
    pub name: &'static str,
    pub topics: Vec<&'static str>,
    pub(crate) handler: Arc<dyn Handler>,
}

impl ConsumerSpec {
    /// A handler named `name` reading `topics`, to which each event type it applies is added
    /// with [`Consumes::on`].
    pub fn named(name: &'static str, topics: &[&'static str]) -> Consumes {
        Consumes {
            name,
            topics: topics.to_vec(),
            routes: Vec::new(),
        }
    }
}

/// What a service does with events of type `E`: implemented once per event type a handler
/// applies, with the payload already decoded (one that does not decode is dead-lettered before
/// any handler sees it).
pub trait On<E: Event>: Send + Sync + 'static {
    /// Applies `event` inside `tx`; the inbox row is already written in the same transaction.
    /// `delivered` is the envelope it came in (its time, subject, regions).
    fn on(
        &self,
        tx: &mut PgConnection,
        event: E,
        delivered: &Delivered,
    ) -> impl Future<Output = Result<(), HandleError>> + Send;
}

/// An event type's decoding and application, its type erased so one handler keeps a table of
/// them.
type Apply = dyn for<'a> Fn(&'a mut PgConnection, &'a Delivered) -> BoxFuture<'a, Result<(), HandleError>>
    + Send
    + Sync;

/// A handler being registered: the event types it applies, each with what applies it.
pub struct Consumes {
    name: &'static str,
    topics: Vec<&'static str>,
    routes: Vec<(&'static str, Arc<Apply>)>,
}

impl Consumes {
    /// Events of type `E` go to `handler`.
    pub fn on<E: Event, H: On<E>>(mut self, handler: Arc<H>) -> Self {
        let apply = erased(move |tx, delivered| {
            let handler = handler.clone();
            async move {
                let event: E = delivered.decode()?;
                handler.on(tx, event, delivered).await
            }
            .boxed()
        });
        self.routes.push((E::TYPE, Arc::new(apply)));
        self
    }
}

/// Gives a closure the higher-ranked signature of [`Apply`] (the borrow of the transaction and
/// of the envelope lasts as long as the future).
fn erased<F>(f: F) -> F
where
    F: for<'a> Fn(&'a mut PgConnection, &'a Delivered) -> BoxFuture<'a, Result<(), HandleError>>,
{
    f
}

impl From<Consumes> for ConsumerSpec {
    fn from(consumes: Consumes) -> Self {
        Self {
            name: consumes.name,
            topics: consumes.topics,
            handler: Arc::new(Dispatch(consumes.routes)),
        }
    }
}

/// A registered handler's table: each event type to what applies it.
struct Dispatch(Vec<(&'static str, Arc<Apply>)>);

impl Handler for Dispatch {
    fn handles(&self, ce_type: &str) -> bool {
        self.0.iter().any(|(t, _)| *t == ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        match self.0.iter().find(|(t, _)| *t == event.attributes.ce_type) {
            Some((_, apply)) => apply(tx, event),
            None => {
                let unwanted = format!("not handled here: {}", event.attributes.ce_type);
                async move { Err(HandleError::Permanent(unwanted)) }.boxed()
            }
        }
    }
}

/// A handler with its inbox key.
struct Route {
    key: String,
    spec: ConsumerSpec,
}

impl Route {
    fn wants(&self, delivered: &Delivered) -> bool {
        self.spec.topics.contains(&delivered.topic.as_str())
            && self.spec.handler.handles(&delivered.attributes.ce_type)
    }
}

pub struct Consumer {
    group: String,
    /// Events applied per transaction, at most (1: each on its own).
    batch: usize,
    topics: Vec<&'static str>,
    routes: Vec<Route>,
    pool: PgPool,
    consumer: StreamConsumer,
    dead_letters: FutureProducer,
}

impl Consumer {
    /// The consumer group of `service` (`tongban.<service>`), feeding `specs` up to
    /// `kafka.consumer_batch` events per transaction.
    pub fn new(
        service: &str,
        specs: Vec<ConsumerSpec>,
        pool: PgPool,
        settings: &KafkaSettings,
        dead_letters: FutureProducer,
    ) -> anyhow::Result<Self> {
        Self::in_group(
            service,
            format!("tongban.{service}"),
            settings.consumer_batch,
            specs,
            pool,
            settings,
            dead_letters,
        )
    }

    /// Like [`Consumer::new`], in consumer group `group` (a projection rebuilt from the start
    /// reads in a new group), applying up to `batch` events per transaction.
    pub fn in_group(
        service: &str,
        group: String,
        batch: usize,
        specs: Vec<ConsumerSpec>,
        pool: PgPool,
        settings: &KafkaSettings,
        dead_letters: FutureProducer,
    ) -> anyhow::Result<Self> {
        let mut topics: Vec<&'static str> = specs.iter().flat_map(|s| s.topics.clone()).collect();
        topics.sort_unstable();
        topics.dedup();
        let routes = specs
            .into_iter()
            .map(|spec| Route {
                key: format!("tongban.{service}.{}", spec.name),
                spec,
            })
            .collect();
        let mut config = kafka::client_config(settings);
        if let Some(wait) = settings.fetch_wait_max_ms {
            config.set("fetch.wait.max.ms", wait.to_string());
        }
        let consumer: StreamConsumer = config
            .set("group.id", &group)
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("auto.commit.interval.ms", "500")
            .set("auto.offset.reset", "earliest")
            .set(
                "session.timeout.ms",
                settings.session_timeout_ms.to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (settings.session_timeout_ms / 3).max(100).to_string(),
            )
            .create()?;
        consumer.subscribe(&topics)?;
        Ok(Self {
            group,
            batch: batch.max(1),
            topics,
            routes,
            pool,
            consumer,
            dead_letters,
        })
    }

    /// Consumes until `shutdown`, then commits the stored offsets.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(group = %self.group, topics = ?self.topics, batch = self.batch, "consuming");
        loop {
            let received = tokio::select! {
                received = self.consumer.recv() => received,
                () = shutdown.cancelled() => break,
            };
            let first = match received {
                Ok(message) => message,
                Err(err) => {
                    tracing::warn!(group = %self.group, error = %err, "consumer error");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            // Whatever else is already fetched joins the batch; nothing waits for more.
            let mut messages = vec![first];
            while messages.len() < self.batch {
                match self.consumer.recv().now_or_never() {
                    Some(Ok(message)) => messages.push(message),
                    Some(Err(err)) => {
                        tracing::warn!(group = %self.group, error = %err, "consumer error");
                        break;
                    }
                    None => break,
                }
            }
            let done = if let [message] = messages.as_slice() {
                self.process(message, &shutdown).await
            } else {
                self.process_batch(&messages, &shutdown).await
            };
            if !done {
                break;
            }
            for message in &messages {
                if let Err(err) = self.consumer.store_offset_from_message(message) {
                    tracing::warn!(group = %self.group, error = %err, "cannot store offset");
                }
            }
        }
        if let Err(err) = self.consumer.commit_consumer_state(CommitMode::Sync) {
            // Nothing stored since the last commit is not an error worth more than a note.
            tracing::debug!(group = %self.group, error = %err, "final offset commit");
        }
        tracing::info!(group = %self.group, "stopped consuming");
    }

    /// The handlers that want `delivered`.
    fn routes_for<'a>(&'a self, delivered: &'a Delivered) -> impl Iterator<Item = &'a Route> + 'a {
        self.routes.iter().filter(|r| r.wants(delivered))
    }

    /// The span an event is handled in, continuing the publisher's trace.
    fn span(&self, delivered: &Delivered) -> tracing::Span {
        let span = tracing::info_span!(
            "consume",
            otel.name = %format!("{} process", delivered.topic),
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.destination.name = %delivered.topic,
            messaging.consumer.group.name = %self.group,
            messaging.message.id = %delivered.attributes.id,
            ce_type = %delivered.attributes.ce_type,
        );
        telemetry::set_parent_from(
            &span,
            delivered
                .attributes
                .trace
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        span
    }

    /// Applies several messages, each handler's share in one transaction; a handler whose
    /// transaction fails has its share applied one by one instead ([`Consumer::process`]'s
    /// rules). False when shutdown interrupted it.
    async fn process_batch(
        &self,
        messages: &[BorrowedMessage<'_>],
        shutdown: &CancellationToken,
    ) -> bool {
        let mut parsed = Vec::with_capacity(messages.len());
        for message in messages {
            match envelope::parse(message) {
                Ok(delivered) => parsed.push((message, delivered)),
                Err(reason) => {
                    if !self
                        .dead_letter(message, &self.group, &reason, shutdown)
                        .await
                    {
                        return false;
                    }
                }
            }
        }
        let mut wanted = 0;
        for route in &self.routes {
            let share: Vec<_> = parsed
                .iter()
                .filter(|(_, delivered)| route.wants(delivered))
                .collect();
            wanted += share.len();
            if share.is_empty() {
                continue;
            }
            let events: Vec<&Delivered> = share.iter().map(|(_, d)| d).collect();
            match self.apply_all(route, &events).await {
                Ok(()) => {}
                Err(err) => {
                    tracing::debug!(handler = %route.key, error = %err, events = share.len(), "a batch failed; applying its events one by one");
                    for (message, delivered) in share {
                        if !self
                            .apply_retrying(route, message, delivered, shutdown)
                            .await
                        {
                            return false;
                        }
                    }
                }
            }
        }
        if wanted == 0 {
            self.count(&self.group, "skipped");
        }
        true
    }

    /// One transaction: every event's inbox row (in one statement) and, where fresh, its
    /// effect, in the event's own span.
    async fn apply_all(&self, route: &Route, events: &[&Delivered]) -> Result<(), HandleError> {
        let spans: Vec<tracing::Span> = events.iter().map(|e| self.span(e)).collect();
        let mut tx = self.pool.begin().await?;
        let mut fresh = Self::record_all(&mut tx, route, events, &spans).await?;
        let mut applied = 0;
        for (event, span) in events.iter().zip(spans) {
            // An event published twice may come twice in one batch: the first one applies it.
            if fresh.remove(&event.attributes.id) {
                route
                    .spec
                    .handler
                    .handle(&mut tx, event)
                    .instrument(span)
                    .await?;
                applied += 1;
            }
        }
        tx.commit().await?;
        metrics::counter!("events_consumed_total", "consumer" => route.key.clone(), "outcome" => "applied")
            .increment(applied);
        metrics::counter!("events_consumed_total", "consumer" => route.key.clone(), "outcome" => "duplicate")
            .increment(events.len() as u64 - applied);
        Ok(())
    }

    /// Applies, passes over or dead-letters one message, handler by handler. False when
    /// shutdown interrupted it (the offset is then not stored and the message comes again;
    /// the handlers that had committed find their inbox rows).
    async fn process(&self, message: &BorrowedMessage<'_>, shutdown: &CancellationToken) -> bool {
        let delivered = match envelope::parse(message) {
            Ok(delivered) => delivered,
            Err(reason) => {
                return self
                    .dead_letter(message, &self.group, &reason, shutdown)
                    .await;
            }
        };
        let routes: Vec<&Route> = self.routes_for(&delivered).collect();
        if routes.is_empty() {
            self.count(&self.group, "skipped");
            return true;
        }
        for route in routes {
            if !self
                .apply_retrying(route, message, &delivered, shutdown)
                .await
            {
                return false;
            }
        }
        true
    }

    /// Applies one event for one handler: retried while the failure is transient,
    /// dead-lettered when it is permanent. False when shutdown interrupted it.
    async fn apply_retrying(
        &self,
        route: &Route,
        message: &BorrowedMessage<'_>,
        delivered: &Delivered,
        shutdown: &CancellationToken,
    ) -> bool {
        let span = self.span(delivered);
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.apply(route, delivered).instrument(span.clone()).await {
                Ok(()) => return true,
                Err(HandleError::Permanent(reason)) => {
                    return self
                        .dead_letter(message, &route.key, &reason, shutdown)
                        .await;
                }
                Err(HandleError::Transient(err)) => {
                    tracing::warn!(parent: &span, handler = %route.key, error = %err, retry_in_ms = backoff.as_millis() as u64, "event not applied, retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => return false,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    async fn apply(&self, route: &Route, event: &Delivered) -> Result<(), HandleError> {
        let mut tx = self.pool.begin().await?;
        // Called in the event's span (apply_retrying): its trace goes on the inbox row.
        let current = tracing::Span::current();
        let fresh = !Self::record_all(&mut tx, route, &[event], std::slice::from_ref(&current))
            .await?
            .is_empty();
        if fresh {
            route.spec.handler.handle(&mut tx, event).await?;
        }
        tx.commit().await?;
        self.count(&route.key, if fresh { "applied" } else { "duplicate" });
        Ok(())
    }

    /// Writes the inbox rows of `events` for `route` (each with the trace of its span) in one
    /// statement; returns the ids of those that were not there yet (a redelivery's was).
    async fn record_all(
        tx: &mut PgConnection,
        route: &Route,
        events: &[&Delivered],
        spans: &[tracing::Span],
    ) -> Result<HashSet<Uuid>, HandleError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.attributes.id).collect();
        let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
        let partitions: Vec<i32> = events.iter().map(|e| e.partition).collect();
        let offsets: Vec<i64> = events.iter().map(|e| e.offset).collect();
        let traces: Vec<String> = spans
            .iter()
            .map(|span| span.in_scope(telemetry::current_trace_id))
            .collect();
        let fresh: Vec<Uuid> = sqlx::query_scalar(
            r#"insert into inbox (consumer, event_id, topic, "partition", "offset", trace_id)
               select $1, * from unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[], $6::text[])
               on conflict do nothing
               returning event_id"#,
        )
        .bind(&route.key)
        .bind(&ids)
        .bind(&topics)
        .bind(&partitions)
        .bind(&offsets)
        .bind(&traces)
        .fetch_all(&mut *tx)
        .await?;
        Ok(fresh.into_iter().collect())
    }

    /// Publishes the message unchanged to the dead-letter topic with why and where it failed
    /// (`by`: the handler, or the group when no handler could even be chosen). Retries until
    /// the broker takes it: a dead letter must not be lost either.
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        by: &str,
        reason: &str,
        shutdown: &CancellationToken,
    ) -> bool {
        tracing::warn!(consumer = %by, topic = message.topic(), partition = message.partition(), offset = message.offset(), reason, "dead-lettering event");
        let mut backoff = Duration::from_millis(100);
        loop {
            let partition = message.partition().to_string();
            let offset = message.offset().to_string();
            let mut headers = OwnedHeaders::new();
            if let Some(original) = message.headers() {
                for header in original.iter() {
                    headers = headers.insert(Header {
                        key: header.key,
                        value: header.value,
                    });
                }
            }
            let headers = headers
                .insert(Header {
                    key: "tongban_dlq_reason",
                    value: Some(reason),
                })
                .insert(Header {
                    key: "tongban_dlq_consumer",
                    value: Some(by),
                })
                .insert(Header {
                    key: "tongban_dlq_topic",
                    value: Some(message.topic()),
                })
                .insert(Header {
                    key: "tongban_dlq_partition",
                    value: Some(&partition),
                })
                .insert(Header {
                    key: "tongban_dlq_offset",
                    value: Some(&offset),
                });
            let mut record: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(topics::DEADLETTER).headers(headers);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            match self
                .dead_letters
                .send(record, Duration::from_secs(10))
                .await
            {
                Ok(_) => {
                    self.count(by, "deadlettered");
                    return true;
                }
                Err((err, _)) => {
                    tracing::warn!(group = %self.group, error = %err, "dead letter not published, retrying");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => return false,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    fn count(&self, consumer: &str, outcome: &'static str) {
        metrics::counter!("events_consumed_total", "consumer" => consumer.to_owned(), "outcome" => outcome)
            .increment(1);
    }
}
