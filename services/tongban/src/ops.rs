//! Operator commands behind `tongban doctor`, `tongban outbox replay` and
//! `tongban admin rotate-keys` (deploy/RUNBOOK.md uses them).

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::Serialize;
use sqlx::PgPool;

use secrecy::ExposeSecret;
use tongban_identity::config::IdentitySettings;
use tongban_insight::db::feed::Feed;
use tongban_notification::config::NotificationSettings;
use tongban_runtime::Settings;
use tongban_vault::store::Column;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but an operator should look (e.g. a secret not set for a cluster install).
    Warn,
    /// Broken: the platform cannot work like this.
    Fail,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
}

/// Everything `tongban doctor` checked.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// No check failed.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    fn push(&mut self, name: &str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_owned(),
            status,
            detail: detail.into(),
        });
    }

    /// The report as a table for a terminal; `problems_only` leaves out what is fine.
    pub fn render(&self, problems_only: bool) -> String {
        let mut out = String::new();
        for check in &self.checks {
            if problems_only && check.status == Status::Ok {
                continue;
            }
            let status = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            out.push_str(&format!("{status}  {:<22} {}\n", check.name, check.detail));
        }
        out
    }
}

/// Checks the database (reachable, every service's migrations applied), the broker (reachable,
/// every topic there), the token signing keys, the first administrator and the secrets a
/// cluster needs. Never changes anything.
pub async fn doctor(settings: &Settings) -> Report {
    let mut report = Report { checks: Vec::new() };
    match crate::database::probe(settings).await {
        Ok(pool) => {
            let version: Result<String, _> = sqlx::query_scalar("show server_version")
                .fetch_one(&pool)
                .await;
            report.push(
                "database",
                Status::Ok,
                format!(
                    "PostgreSQL {} at {}",
                    version.unwrap_or_default(),
                    crate::redact_url(settings.database_url())
                ),
            );
            migrations(&pool, &mut report).await;
            keys(&pool, settings, &mut report).await;
            sealed(&pool, settings, &mut report).await;
            administrators(&pool, &mut report).await;
            pool.close().await;
        }
        Err(err) => report.push(
            "database",
            Status::Fail,
            format!(
                "{} not reachable: {err:#}",
                crate::redact_url(settings.database_url())
            ),
        ),
    }
    broker(settings, &mut report).await;
    secrets(settings, &mut report);
    report
}

/// Each service's schema: the migrations this binary has, applied or not.
async fn migrations(pool: &PgPool, report: &mut Report) {
    for (schema, migrator) in crate::migrators() {
        let known: BTreeSet<i64> = migrator
            .iter()
            .chain(tongban_bus::migrator().iter())
            .map(|m| m.version)
            .collect();
        let applied: Result<Vec<i64>, _> = sqlx::query_scalar(&format!(
            "select version from {schema}._sqlx_migrations where success"
        ))
        .fetch_all(pool)
        .await;
        let name = format!("migrations: {schema}");
        match applied {
            Err(_) => report.push(&name, Status::Fail, "none applied: run `tongban migrate`"),
            Ok(applied) => {
                let applied: BTreeSet<i64> = applied.into_iter().collect();
                let pending = known.difference(&applied).count();
                let newer = applied.difference(&known).count();
                if pending > 0 {
                    report.push(
                        &name,
                        Status::Fail,
                        format!("{pending} pending: run `tongban migrate`"),
                    );
                } else if newer > 0 {
                    report.push(
                        &name,
                        Status::Warn,
                        format!(
                            "{newer} applied that this binary does not know: a newer version ran here (rolled back?)"
                        ),
                    );
                } else {
                    report.push(&name, Status::Ok, format!("{} applied", applied.len()));
                }
            }
        }
    }
}

/// The signing key that signs: its id, when it was made, and the database's time now.
type ActiveKey = (String, DateTime<Utc>, DateTime<Utc>);

async fn keys(pool: &PgPool, settings: &Settings, report: &mut Report) {
    // The key's age on the database's time, which stamped its creation.
    let active: Result<Option<ActiveKey>, _> = sqlx::query_as(
        "select kid, created_at, now() from identity.signing_keys where retired_at is null
         order by created_at desc limit 1",
    )
    .fetch_optional(pool)
    .await;
    match active {
        Ok(Some((kid, created, now))) => {
            let identity = match settings.section::<IdentitySettings>() {
                Ok(identity) => identity,
                Err(err) => {
                    return report.push("identity settings", Status::Fail, err.to_string());
                }
            };
            let age = (now - created).num_days();
            let rotation = identity.key_rotation_days;
            let status = if age > rotation + 1 {
                Status::Warn
            } else {
                Status::Ok
            };
            report.push(
                "signing key",
                status,
                format!("{kid}, {age} days old (rotated after {rotation})"),
            );
        }
        Ok(None) => report.push(
            "signing key",
            Status::Fail,
            "none active: identity makes one when it starts",
        ),
        Err(_) => report.push(
            "signing key",
            Status::Fail,
            "identity's schema is missing: run `tongban migrate`",
        ),
    }
}

/// The columns of secrets kept sealed under the KEK, in every service's schema.
pub const SEALED: [Column; 9] = [
    tongban_identity::keys::SEALED,
    tongban_console::session::SEALED,
    tongban_portal::SEALED,
    tongban_acceptance::case::password::SEALED,
    tongban_acceptance::case::applicant::SEALED,
    tongban_approval::certificate::seal::SEALED,
    tongban_approval::certificate::sm2_seal::SEALED,
    tongban_notification::db::webhooks::SEALED,
    tongban_hall::booking::person::SEALED,
];

/// Whether the configured KEK opens every stored secret.
async fn sealed(pool: &PgPool, settings: &Settings, report: &mut Report) {
    let vault = match settings.secrets.vault() {
        Ok(vault) => vault,
        Err(err) => return report.push("key-encryption key", Status::Fail, err.to_string()),
    };
    report.push(
        "key-encryption key",
        Status::Ok,
        format!("KEK {} configured", vault.kek_id()),
    );
    for column in SEALED {
        let name = format!("secrets: {}", column.table);
        match tongban_vault::store::census(pool, &vault, &column).await {
            Err(_) => report.push(
                &name,
                Status::Fail,
                "the schema is missing: run `tongban migrate`",
            ),
            Ok(census) if census.unreadable > 0 => report.push(
                &name,
                Status::Fail,
                format!(
                    "{} of {} do not open with the configured KEK (a wrong or missing KEK?): {}",
                    census.unreadable,
                    census.total,
                    census.reasons.join("; ")
                ),
            ),
            Ok(census) if census.previous > 0 => report.push(
                &name,
                Status::Warn,
                format!(
                    "{} of {} still under a previous KEK: run `tongban admin rotate-kek`",
                    census.previous, census.total
                ),
            ),
            Ok(census) => report.push(
                &name,
                Status::Ok,
                format!("{} sealed under KEK {}", census.total, vault.kek_id()),
            ),
        }
    }
}

/// Re-wraps every stored secret under the current KEK (`secrets.kek`), opening those under a
/// previous one (`secrets.previous_keks`); `progress` hears each column's `(name, done,
/// total)`. Returns how many were re-wrapped per column.
pub async fn rotate_kek(
    settings: &Settings,
    mut progress: impl FnMut(&str, u64, u64),
) -> anyhow::Result<Vec<(String, u64)>> {
    let vault = settings.secrets.vault()?;
    let pool = crate::database::probe(settings).await?;
    let mut rewrapped = Vec::new();
    for column in SEALED {
        let name = column.name();
        let count = tongban_vault::store::rewrap(&pool, &vault, &column, |done, total| {
            progress(&name, done, total)
        })
        .await
        .with_context(|| format!("re-wrapping {name} (has `tongban migrate` run?)"))?;
        rewrapped.push((name, count));
    }
    pool.close().await;
    Ok(rewrapped)
}

async fn administrators(pool: &PgPool, report: &mut Report) {
    let count: Result<i64, _> = sqlx::query_scalar(
        "select count(*) from identity.role_bindings
         where role = 'identity_admin' and revoked_at is null",
    )
    .fetch_one(pool)
    .await;
    match count {
        Ok(0) => report.push(
            "administrators",
            Status::Warn,
            "no identity administrator yet: `tongban admin create`",
        ),
        Ok(n) => report.push(
            "administrators",
            Status::Ok,
            format!("{n} identity administrators"),
        ),
        Err(_) => {}
    }
}

async fn broker(settings: &Settings, report: &mut Report) {
    let brokers = settings.kafka.brokers.trim().to_owned();
    if brokers.is_empty() {
        report.push(
            "broker",
            Status::Ok,
            format!(
                "kafka.brokers is empty: `tongban up` runs the embedded broker on {} (one machine only)",
                settings.broker.listen
            ),
        );
        return;
    }
    let kafka = settings.kafka.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = tongban_bus::kafka::client_config(&kafka)
            .set("group.id", "tongban-doctor")
            .create()?;
        let metadata = consumer.fetch_metadata(None, Duration::from_secs(5))?;
        let brokers = metadata.brokers().len();
        let topics: Vec<(String, usize)> = metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| (t.name().to_owned(), t.partitions().len()))
            .collect();
        anyhow::Ok((brokers, topics))
    })
    .await;
    match metadata {
        Ok(Ok((count, topics))) => {
            report.push(
                "broker",
                Status::Ok,
                format!("{count} brokers at {brokers}"),
            );
            for topic in tongban_events::topics::ALL {
                match topics.iter().find(|(name, _)| name == topic) {
                    Some((_, partitions)) => report.push(
                        &format!("topic {topic}"),
                        Status::Ok,
                        format!("{partitions} partitions"),
                    ),
                    None => report.push(
                        &format!("topic {topic}"),
                        Status::Fail,
                        "missing: apply k8s/base/kafka-topics.yaml (or start a service, which creates it)",
                    ),
                }
            }
        }
        Ok(Err(err)) => report.push(
            "broker",
            Status::Fail,
            format!("{brokers} not reachable: {err:#}"),
        ),
        Err(err) => report.push("broker", Status::Fail, format!("{err}")),
    }
}

/// What a cluster install must set that `tongban up` makes up for itself.
fn secrets(settings: &Settings, report: &mut Report) {
    let notification = match settings.section::<NotificationSettings>() {
        Ok(notification) => notification,
        Err(err) => {
            report.push("notification settings", Status::Fail, err.to_string());
            return;
        }
    };
    let cluster = !settings.kafka.brokers.trim().is_empty();
    if cluster && notification.client_secret.expose_secret().is_empty() {
        report.push(
            "notification account",
            Status::Warn,
            "notification.client_secret is empty: no text or e-mail can be addressed; \
             `tongban admin notification-account` makes one",
        );
    }
    if notification.sms_endpoint.is_empty() {
        report.push(
            "sms",
            Status::Warn,
            "notification.sms_endpoint is empty: texts (and one-time codes) are not sent",
        );
    }
}

/// Republishes every event the services recorded since `since` (those of `services`, or all):
/// their outbox rows are marked unsent and each service's relay sends them again. Consumers
/// apply an event once (their inbox), so this only fills gaps (a topic restored from an older
/// backup, a consumer that lost its state). The outbox keeps `outbox.retention_hours`; older
/// events are replayed from Kafka by resetting a consumer group's offsets (the runbook).
/// Returns the rows marked per service.
pub async fn replay_outbox(
    settings: &Settings,
    since: DateTime<Utc>,
    services: &[String],
) -> anyhow::Result<Vec<(String, u64)>> {
    for service in services {
        anyhow::ensure!(
            tongban_runtime::config::SERVICES.contains(&service.as_str()),
            "{service} is not a service: one of {}",
            tongban_runtime::config::SERVICES.join(", ")
        );
    }
    let pool = crate::database::probe(settings).await?;
    let mut replayed = Vec::new();
    for service in tongban_runtime::config::SERVICES {
        if !services.is_empty() && !services.iter().any(|s| s == service) {
            continue;
        }
        let marked = sqlx::query(&format!(
            "update {service}.outbox set sent_at = null
             where created_at >= $1 and sent_at is not null"
        ))
        .bind(since)
        .execute(&pool)
        .await?
        .rows_affected();
        // Wake the relay now rather than at its next poll.
        sqlx::query(&format!("select pg_notify('tongban_outbox_{service}', '')"))
            .execute(&pool)
            .await?;
        replayed.push((service.to_owned(), marked));
    }
    pool.close().await;
    Ok(replayed)
}

/// Makes a new signing key now and retires the others (they keep verifying until the tokens
/// they signed have expired); returns the new key's id.
pub async fn rotate_keys(settings: &Settings) -> anyhow::Result<String> {
    let pool = tongban_runtime::db::connect(&settings.database, tongban_identity::NAME).await?;
    let key = tongban_identity::keys::rotate_now(&pool, &settings.secrets.vault()?).await?;
    pool.close().await;
    Ok(key)
}

/// Rebuilds the insight service's statistics from the topics: empties them and moves its
/// consumer to a new group, which reads every topic from its first retained event (the running
/// service notices within a second). Returns the feed as rebuilt.
pub async fn rebuild_insight(settings: &Settings) -> anyhow::Result<Feed> {
    let pool = tongban_runtime::db::connect(&settings.database, tongban_insight::NAME).await?;
    let feed = tongban_insight::db::feed::rebuild(&pool)
        .await
        .context("emptying the statistics (has `tongban migrate` run?)")?;
    pool.close().await;
    Ok(feed)
}

/// How far the insight service's consumer group `feed` has read its topics.
pub async fn insight_position(
    settings: &Settings,
    feed: &Feed,
) -> anyhow::Result<tongban_bus::kafka::GroupPosition> {
    tongban_bus::kafka::group_position(
        &settings.kafka,
        &feed.group(),
        &tongban_insight::events::topics(),
    )
    .await
}

/// The generation the insight service's statistics are at.
pub async fn insight_feed(settings: &Settings) -> anyhow::Result<Feed> {
    let pool = tongban_runtime::db::connect(&settings.database, tongban_insight::NAME).await?;
    let feed = tongban_insight::db::feed::current(&pool).await?;
    pool.close().await;
    Ok(feed)
}

/// The services that keep an audit chain of their staff's actions (tongban_audit).
pub const AUDITED: [&str; 3] = [
    tongban_identity::NAME,
    tongban_acceptance::NAME,
    tongban_approval::NAME,
];

/// Walks `service`'s audit chain (tongban_audit::verify), telling `length` the number of
/// entries its lanes' heads name and `progress` how many were checked.
pub async fn verify_audit_chain(
    settings: &Settings,
    service: &str,
    length: impl Fn(u64),
    progress: impl Fn(u64),
) -> anyhow::Result<tongban_audit::Walk> {
    let pool = tongban_runtime::db::connect(&settings.database, service).await?;
    let head: i64 = sqlx::query_scalar("select coalesce(sum(seq), 0)::bigint from audit_head")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("the audit chain of {service} (are its migrations applied?)"))?;
    length(head.max(0) as u64);
    let walk = tongban_audit::verify(&pool, |done| progress(done.max(0) as u64)).await?;
    pool.close().await;
    Ok(walk)
}
