//! Messages from events: the rules for an event's type name a template, recipients and channels;
//! each recipient gets one message per channel, rendered from the template's latest version,
//! once however often the event is delivered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::notification::v1 as events;

use crate::domain::{self, Value};

/// What an event says that messages need.
#[derive(Debug, Clone)]
pub struct Facts {
    pub event_id: Uuid,
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub case_id: Option<Uuid>,
    /// The applicant's account, when the event names it (else from the cases projection).
    pub applicant_id: Option<Uuid>,
    pub implementation_code: String,
    pub handling_region: String,
    pub receiving_region: String,
    /// The department that handles the case, when the event names it.
    pub department_id: Option<Uuid>,
    /// Whoever must act (a bad rating's remediation), when the event names one.
    pub assignee_id: Option<Uuid>,
    /// The kind's variables the event provides (case_number and item_name are filled in from
    /// the projections when missing).
    pub values: BTreeMap<&'static str, Value>,
}

#[derive(sqlx::FromRow)]
struct Rule {
    template: String,
    recipients: Vec<String>,
    channels: Vec<String>,
    urgent: bool,
}

/// The accounts a rule's recipient kinds name for the case of `facts`.
async fn recipients(
    tx: &mut PgConnection,
    kinds: &[String],
    facts: &Facts,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut accounts = Vec::new();
    for kind in kinds {
        let (role, region, department) = match kind.as_str() {
            "applicant" => {
                accounts.extend(facts.applicant_id);
                continue;
            }
            // Whoever must act; none named: the handling side's window clerks.
            "assignee" if facts.assignee_id.is_some() => {
                accounts.extend(facts.assignee_id);
                continue;
            }
            "assignee" => ("window_clerk", &facts.handling_region, None),
            "handlers" => ("approver", &facts.handling_region, facts.department_id),
            "handling_clerks" => ("window_clerk", &facts.handling_region, None),
            "receiving_clerks" => ("window_clerk", &facts.receiving_region, None),
            "supervisors" => ("supervisor", &facts.handling_region, None),
            "receiving_supervisors" => ("supervisor", &facts.receiving_region, None),
            other => {
                tracing::warn!(
                    recipients = other,
                    "a rule names unknown recipients; skipped"
                );
                continue;
            }
        };
        if region.is_empty() {
            continue;
        }
        // A binding reaches its region and every region below it; one restricted to a
        // department reaches that department's cases only.
        let found: Vec<Uuid> = sqlx::query_scalar(
            "select distinct account_id from role_bindings
             where role = $1 and $2 like region_prefix || '%'
               and ($3::uuid is null or department_id is null or department_id = $3)",
        )
        .bind(role)
        .bind(region)
        .bind(department)
        .fetch_all(&mut *tx)
        .await?;
        accounts.extend(found);
    }
    accounts.sort_unstable();
    accounts.dedup();
    Ok(accounts)
}

/// The latest version of template `key` in `locale`: (version, subject, body).
pub async fn latest_template(
    tx: &mut PgConnection,
    key: &str,
    locale: &str,
) -> Result<Option<(i32, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select version, subject, body from templates where key = $1 and locale = $2
         order by version desc limit 1",
    )
    .bind(key)
    .bind(locale)
    .fetch_optional(&mut *tx)
    .await
}

/// Makes the messages the rules for `facts.event_type` call for; returns how many were new.
pub async fn raise(tx: &mut PgConnection, facts: &Facts) -> Result<u64, sqlx::Error> {
    let rules: Vec<Rule> = sqlx::query_as(
        "select template, recipients, channels, urgent from rules
         where event_type = $1 and enabled order by template",
    )
    .bind(&facts.event_type)
    .fetch_all(&mut *tx)
    .await?;
    let hooks: Vec<Uuid> = sqlx::query_scalar(
        "select id from webhooks where enabled and $1 = any(event_types) order by id",
    )
    .bind(&facts.event_type)
    .fetch_all(&mut *tx)
    .await?;
    if rules.is_empty() && hooks.is_empty() {
        return Ok(0);
    }
    let mut facts = facts.clone();
    if let Some(case_id) = facts.case_id {
        let case: Option<(String, Option<Uuid>, String, String)> = sqlx::query_as(
            "select case_number, applicant_id, receiving_region, handling_region
             from cases where case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((number, applicant, receiving, handling)) = case {
            facts
                .values
                .entry("case_number")
                .or_insert(Value::Text(number));
            facts.applicant_id = facts.applicant_id.or(applicant);
            if facts.receiving_region.is_empty() {
                facts.receiving_region = receiving;
            }
            if facts.handling_region.is_empty() {
                facts.handling_region = handling;
            }
        }
    }
    if !facts.values.contains_key("item_name") {
        let name: Option<String> =
            sqlx::query_scalar("select name from items where implementation_code = $1")
                .bind(&facts.implementation_code)
                .fetch_optional(&mut *tx)
                .await?;
        facts
            .values
            .insert("item_name", Value::Text(name.unwrap_or_default()));
    }
    let mut made = 0;
    for rule in rules {
        if domain::kind(&rule.template).is_none() {
            tracing::warn!(template = rule.template, "a rule names an unknown template");
            continue;
        }
        let accounts = recipients(tx, &rule.recipients, &facts).await?;
        if accounts.is_empty() {
            continue;
        }
        // Each recipient reads the language they chose (Chinese unless they chose English).
        for (locale, accounts) in by_locale(tx, &accounts).await? {
            let Some((version, subject, body)) =
                latest_template(tx, &rule.template, locale).await?
            else {
                tracing::warn!(
                    template = rule.template,
                    locale,
                    "no template to render; no message"
                );
                continue;
            };
            let subject = domain::render(&subject, &facts.values, locale);
            let body = domain::render(&body, &facts.values, locale);
            made += store(
                tx,
                &facts,
                &rule,
                (version, locale, &subject, &body),
                &accounts,
            )
            .await?;
        }
    }
    if !hooks.is_empty() {
        made += webhook_messages(tx, &facts, &hooks).await?;
    }
    Ok(made)
}

/// `accounts` grouped by the language each chose (zh-CN unless they chose en).
pub(crate) async fn by_locale(
    tx: &mut PgConnection,
    accounts: &[Uuid],
) -> Result<Vec<(&'static str, Vec<Uuid>)>, sqlx::Error> {
    let english: Vec<Uuid> = sqlx::query_scalar(
        "select account_id from preferences where account_id = any($1) and locale = 'en'",
    )
    .bind(accounts)
    .fetch_all(&mut *tx)
    .await?;
    let (en, zh): (Vec<Uuid>, Vec<Uuid>) = accounts.iter().partition(|a| english.contains(a));
    Ok([("zh-CN", zh), ("en", en)]
        .into_iter()
        .filter(|(_, group)| !group.is_empty())
        .collect())
}

/// Stores the rule's messages to `accounts` on each of its channels, rendered (`version`,
/// `locale`, subject, body); the inbox's are delivered at once, with their events.
async fn store(
    tx: &mut PgConnection,
    facts: &Facts,
    rule: &Rule,
    (version, locale, subject, body): (i32, &str, &str, &str),
    accounts: &[Uuid],
) -> Result<u64, sqlx::Error> {
    let mut made = 0;
    for channel in &rule.channels {
        // The in-app inbox delivers on storing; the other channels queue for their senders.
        let inbox = channel == "inbox";
        let stored: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "insert into messages (id, event_id, event_type, case_id, recipient_id, channel,
                     template, template_version, locale, subject, body, urgent, status, created_at,
                     delivered_at, next_attempt_at)
                 select gen_random_uuid(), $1, $2, $3, recipient, $4, $5, $6, $7, $8, $9, $10, $11,
                     $12, case when $13 then $12 end, case when not $13 then now() end
                 from unnest($14::uuid[]) as recipient
                 on conflict on constraint messages_once do nothing
                 returning id, recipient_id",
        )
        .bind(facts.event_id)
        .bind(&facts.event_type)
        .bind(facts.case_id)
        .bind(channel)
        .bind(&rule.template)
        .bind(version)
        .bind(locale)
        .bind(subject)
        .bind(body)
        .bind(rule.urgent)
        .bind(if inbox { "delivered" } else { "queued" })
        .bind(facts.at)
        .bind(inbox)
        .bind(accounts)
        .fetch_all(&mut *tx)
        .await?;
        made += stored.len() as u64;
        if inbox {
            for (id, recipient) in stored {
                let reference = crate::delivery::Reference {
                    id,
                    event_id: facts.event_id,
                    event_type: &facts.event_type,
                    case_id: facts.case_id,
                    recipient_id: recipient,
                    channel,
                    template: &rule.template,
                };
                let delivered = events::MessageDelivered {
                    message: Some(reference.event()),
                    delivered_at: Some(tongban_events::timestamp(facts.at)),
                };
                crate::delivery::publish(tx, id, &delivered).await?;
            }
        }
    }
    Ok(made)
}

/// One message per webhook subscription to the event's type: the event's facts as JSON, sent
/// and signed by the sender.
async fn webhook_messages(
    tx: &mut PgConnection,
    facts: &Facts,
    hooks: &[Uuid],
) -> Result<u64, sqlx::Error> {
    let values: serde_json::Map<String, serde_json::Value> = facts
        .values
        .iter()
        .map(|(name, value)| {
            (
                (*name).to_owned(),
                serde_json::Value::String(value.render("en")),
            )
        })
        .collect();
    let body = serde_json::json!({
        "event_id": facts.event_id,
        "event_type": facts.event_type,
        "occurred_at": facts.at,
        "case_id": facts.case_id,
        "implementation_code": facts.implementation_code,
        "receiving_region": facts.receiving_region,
        "handling_region": facts.handling_region,
        "values": values,
    })
    .to_string();
    Ok(sqlx::query(
        "insert into messages (id, event_id, event_type, case_id, recipient_id, channel, template,
             template_version, locale, subject, body, status, created_at, next_attempt_at)
         select gen_random_uuid(), $1, $2, $3, hook, 'webhook', '', 0, '', $2, $4, 'queued', $5, now()
         from unnest($6::uuid[]) as hook
         on conflict on constraint messages_once do nothing",
    )
    .bind(facts.event_id)
    .bind(&facts.event_type)
    .bind(facts.case_id)
    .bind(&body)
    .bind(facts.at)
    .bind(hooks)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}
