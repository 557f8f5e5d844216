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

#[derive(Debug, serde::Deserialize)]
struct Rule {
    template: String,
    recipients: Vec<String>,
    channels: Vec<String>,
    urgent: bool,
}

/// What raising an event's messages reads, in one statement: the rules and webhook
/// subscriptions for its type, and what the projections know of its case and item.
#[derive(sqlx::FromRow)]
struct Setting {
    rules: sqlx::types::Json<Vec<Rule>>,
    hooks: Vec<Uuid>,
    item_name: Option<String>,
    case_number: Option<String>,
    applicant_id: Option<Uuid>,
    receiving_region: Option<String>,
    handling_region: Option<String>,
}

/// The rules and subscriptions for `facts.event_type`, with the case (`facts.case_id`) and
/// item (`facts.implementation_code`) as the projections have them.
async fn setting(tx: &mut PgConnection, facts: &Facts) -> Result<Setting, sqlx::Error> {
    sqlx::query_as(
        "select
             coalesce((select json_agg(r order by r.template)
                       from (select template, recipients, channels, urgent from rules
                             where event_type = $1 and enabled) r), '[]') as rules,
             array(select id from webhooks where enabled and $1 = any(event_types)
                   order by id) as hooks,
             (select name from items where implementation_code = $2) as item_name,
             c.case_number, c.applicant_id, c.receiving_region, c.handling_region
         from (values (1)) as one left join cases c on c.case_id = $3",
    )
    .bind(&facts.event_type)
    .bind(&facts.implementation_code)
    .bind(facts.case_id)
    .fetch_one(tx)
    .await
}

/// The accounts a rule's recipient kinds name for the case of `facts`, grouped by the language
/// each chose (zh-CN unless they chose en); one statement.
async fn recipients(
    tx: &mut PgConnection,
    kinds: &[String],
    facts: &Facts,
) -> Result<Vec<(&'static str, Vec<Uuid>)>, sqlx::Error> {
    let mut named = Vec::new();
    // Each binding sought: (role, region, department).
    let (mut roles, mut regions, mut departments) = (Vec::new(), Vec::new(), Vec::new());
    for kind in kinds {
        let (role, region, department) = match kind.as_str() {
            "applicant" => {
                named.extend(facts.applicant_id);
                continue;
            }
            // Whoever must act; none named: the handling side's window clerks.
            "assignee" if facts.assignee_id.is_some() => {
                named.extend(facts.assignee_id);
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
        roles.push(role);
        regions.push(region.as_str());
        departments.push(department);
    }
    if named.is_empty() && roles.is_empty() {
        return Ok(Vec::new());
    }
    // A binding reaches its region and every region below it; one restricted to a department
    // reaches that department's cases only.
    let found: Vec<(Uuid, bool)> = sqlx::query_as(
        "with wanted as (
             select account_id from unnest($1::uuid[]) as account_id
             union
             select b.account_id
             from unnest($2::text[], $3::text[], $4::uuid[]) as k(role, region, department)
             join role_bindings b on b.role = k.role and k.region like b.region_prefix || '%'
                 and (k.department is null or b.department_id is null
                      or b.department_id = k.department)
         )
         select w.account_id, coalesce(p.locale = 'en', false)
         from wanted w left join preferences p on p.account_id = w.account_id
         order by w.account_id",
    )
    .bind(&named)
    .bind(&roles)
    .bind(&regions)
    .bind(&departments)
    .fetch_all(&mut *tx)
    .await?;
    Ok(by_language(found))
}

/// The latest version of template `key` in `locale`: (version, subject, body).
pub async fn latest_template(
    tx: &mut PgConnection,
    key: &str,
    locale: &str,
) -> Result<Option<(i32, String, String)>, sqlx::Error> {
    Ok(latest_templates(tx, key, &[locale])
        .await?
        .pop()
        .map(|(_, t)| t))
}

/// The latest version of template `key` in each of `locales` that has one:
/// (locale, (version, subject, body)).
async fn latest_templates(
    tx: &mut PgConnection,
    key: &str,
    locales: &[&str],
) -> Result<Vec<(String, (i32, String, String))>, sqlx::Error> {
    let found: Vec<(String, i32, String, String)> = sqlx::query_as(
        "select distinct on (locale) locale, version, subject, body from templates
         where key = $1 and locale = any($2) order by locale, version desc",
    )
    .bind(key)
    .bind(locales)
    .fetch_all(&mut *tx)
    .await?;
    Ok(found
        .into_iter()
        .map(|(locale, version, subject, body)| (locale, (version, subject, body)))
        .collect())
}

/// Makes the messages the rules for `facts.event_type` call for; returns how many were new.
///
/// The rules (table `rules`: template, recipients, channels, urgent) and the templates' first
/// versions are seeded by this service's migrations (e.g. the one-time correction notice,
/// 一次性告知, in `20261128100000_notifications.sql`); each message is stored here (the inbox's
/// as delivered, the others queued for [`crate::delivery::Sender`]).
pub async fn raise(tx: &mut PgConnection, facts: &Facts) -> Result<u64, sqlx::Error> {
    let setting = setting(tx, facts).await?;
    if setting.rules.is_empty() && setting.hooks.is_empty() {
        return Ok(0);
    }
    let mut facts = facts.clone();
    if let Some(number) = setting.case_number {
        facts
            .values
            .entry("case_number")
            .or_insert(Value::Text(number));
    }
    facts.applicant_id = facts.applicant_id.or(setting.applicant_id);
    if facts.receiving_region.is_empty() {
        facts.receiving_region = setting.receiving_region.unwrap_or_default();
    }
    if facts.handling_region.is_empty() {
        facts.handling_region = setting.handling_region.unwrap_or_default();
    }
    facts
        .values
        .entry("item_name")
        .or_insert(Value::Text(setting.item_name.unwrap_or_default()));
    let mut made = 0;
    for rule in &setting.rules.0 {
        if domain::kind(&rule.template).is_none() {
            tracing::warn!(template = rule.template, "a rule names an unknown template");
            continue;
        }
        // Each recipient reads the language they chose (Chinese unless they chose English).
        let groups = recipients(tx, &rule.recipients, &facts).await?;
        if groups.is_empty() {
            continue;
        }
        let locales: Vec<&str> = groups.iter().map(|(locale, _)| *locale).collect();
        let templates = latest_templates(tx, &rule.template, &locales).await?;
        for (locale, accounts) in groups {
            let Some((_, (version, subject, body))) =
                templates.iter().find(|(found, _)| found == locale)
            else {
                tracing::warn!(
                    template = rule.template,
                    locale,
                    "no template to render; no message"
                );
                continue;
            };
            let subject = domain::render(subject, &facts.values, locale);
            let body = domain::render(body, &facts.values, locale);
            made += store(
                tx,
                &facts,
                rule,
                (*version, locale, &subject, &body),
                &accounts,
            )
            .await?;
        }
    }
    if !setting.hooks.is_empty() {
        made += webhook_messages(tx, &facts, &setting.hooks).await?;
    }
    Ok(made)
}

/// `accounts` grouped by the language each chose (zh-CN unless they chose en).
pub(crate) async fn by_locale(
    tx: &mut PgConnection,
    accounts: &[Uuid],
) -> Result<Vec<(&'static str, Vec<Uuid>)>, sqlx::Error> {
    let found: Vec<(Uuid, bool)> = sqlx::query_as(
        "select a.account_id, coalesce(p.locale = 'en', false)
         from unnest($1::uuid[]) with ordinality as a(account_id, n)
         left join preferences p on p.account_id = a.account_id
         order by a.n",
    )
    .bind(accounts)
    .fetch_all(&mut *tx)
    .await?;
    Ok(by_language(found))
}

/// Accounts, each with whether it chose English, grouped by locale (zh-CN first); no empty group.
fn by_language(found: Vec<(Uuid, bool)>) -> Vec<(&'static str, Vec<Uuid>)> {
    let (en, zh): (Vec<_>, Vec<_>) = found.into_iter().partition(|(_, english)| *english);
    let accounts = |group: Vec<(Uuid, bool)>| group.into_iter().map(|(a, _)| a).collect();
    [("zh-CN", accounts(zh)), ("en", accounts(en))]
        .into_iter()
        .filter(|(_, group): &(_, Vec<Uuid>)| !group.is_empty())
        .collect()
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
