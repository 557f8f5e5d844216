//! The case events that become messages (acceptance's, approval's and the crossregion
//! service's), read into what the rules need; acceptance's events also keep the cases
//! projection (whose applicant a case is).
//!
//! Each event type has its own `On<E>` impl below: it reads the event into [`Facts`] and hands
//! them to [`CaseMessages::raise`], where the rules (`db::messages`) make the messages. The
//! one-time correction notice (一次性告知) starts at `On<CorrectionRequested>`: the reasons of
//! the missing materials become its `items`.

use std::collections::BTreeMap;

use std::sync::Arc;

use sqlx::PgConnection;

use tongban_bus::{ConsumerSpec, Delivered, HandleError, On, field};
use tongban_events::acceptance::v1 as acceptance;
use tongban_events::approval::v1 as approval;
use tongban_events::crossregion::v1 as crossregion;
use tongban_events::hall::v1 as hall;
use tongban_events::{Event, topics};

use crate::db::messages::{self, Facts};
use crate::domain::Value;

/// The consumer of case events (`case-messages`).
pub struct CaseMessages {
    /// Events older than this keep the projections but make no message: a new installation,
    /// or a new build reading its topics from the start, does not flood inboxes with news of
    /// long ago.
    pub max_age: chrono::Duration,
}

/// The event types read here: every acceptance event keeps the cases projection; those with a
/// rule become messages.
pub const TYPES: [&str; 20] = [
    acceptance::CaseSubmitted::TYPE,
    acceptance::CorrectionRequested::TYPE,
    acceptance::CaseAccepted::TYPE,
    acceptance::CaseRefused::TYPE,
    acceptance::CaseWithdrawn::TYPE,
    acceptance::CaseDelivered::TYPE,
    acceptance::DeferredMaterialSupplied::TYPE,
    acceptance::DeferredMaterialOverdue::TYPE,
    approval::CaseConcluded::TYPE,
    approval::WorkItemOpened::TYPE,
    approval::DeadlineApproaching::TYPE,
    approval::CaseOverdue::TYPE,
    crossregion::TransferSent::TYPE,
    crossregion::TransferRejected::TYPE,
    crossregion::HandOverOverdue::TYPE,
    acceptance::VisitRecorded::TYPE,
    acceptance::RemediationOpened::TYPE,
    acceptance::RemediationOverdue::TYPE,
    hall::AppointmentReminderDue::TYPE,
    hall::BookingSuspended::TYPE,
];

fn facts(event: &Delivered) -> Facts {
    Facts {
        event_id: event.attributes.id,
        event_type: event.attributes.ce_type.clone(),
        at: event.attributes.time,
        case_id: None,
        applicant_id: None,
        implementation_code: String::new(),
        handling_region: String::new(),
        receiving_region: String::new(),
        department_id: None,
        assignee_id: None,
        values: BTreeMap::new(),
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn date(what: &str, value: &str) -> Result<Option<Value>, HandleError> {
    Ok(field::optional_date(what, value)?.map(Value::Date))
}

/// Keeps the case (its number, applicant and regions) and starts its facts.
async fn case_facts(
    tx: &mut PgConnection,
    event: &Delivered,
    case: Option<&acceptance::CaseRef>,
) -> Result<Facts, HandleError> {
    let case =
        case.ok_or_else(|| HandleError::Permanent("a case event without its case".into()))?;
    let id = field::uuid("case_id", &case.case_id)?;
    let applicant = field::optional_uuid("applicant_id", &case.applicant_id)?;
    sqlx::query(
        "insert into cases (case_id, case_number, applicant_id, entered_by, receiving_region,
             handling_region)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (case_id) do update set case_number = excluded.case_number",
    )
    .bind(id)
    .bind(&case.case_number)
    .bind(applicant)
    .bind(field::optional_uuid("entered_by", &case.entered_by)?)
    .bind(&case.receiving_region)
    .bind(&case.handling_region)
    .execute(&mut *tx)
    .await?;
    let mut facts = facts(event);
    facts.case_id = Some(id);
    facts.applicant_id = applicant;
    facts.implementation_code = case.implementation_code.clone();
    facts.handling_region = case.handling_region.clone();
    facts.receiving_region = case.receiving_region.clone();
    if !case.case_number.is_empty() {
        facts.values.insert("case_number", text(&case.case_number));
    }
    Ok(facts)
}

fn work_facts(event: &Delivered, work: Option<&approval::WorkRef>) -> Result<Facts, HandleError> {
    let work =
        work.ok_or_else(|| HandleError::Permanent("a work item event without its work".into()))?;
    let mut facts = facts(event);
    facts.case_id = Some(field::uuid("case_id", &work.case_id)?);
    facts.implementation_code = work.implementation_code.clone();
    facts.handling_region = work.handling_region.clone();
    facts.receiving_region = work.receiving_region.clone();
    facts.department_id = field::optional_uuid("department_id", &work.department_id)?;
    facts.values.insert("case_number", text(&work.case_number));
    Ok(facts)
}

fn transfer_facts(
    event: &Delivered,
    transfer: Option<&crossregion::TransferRef>,
) -> Result<Facts, HandleError> {
    let transfer = transfer
        .ok_or_else(|| HandleError::Permanent("a transfer event without its transfer".into()))?;
    let mut facts = facts(event);
    facts.case_id = Some(field::uuid("case_id", &transfer.case_id)?);
    facts.implementation_code = transfer.implementation_code.clone();
    facts.handling_region = transfer.handling_region.clone();
    facts.receiving_region = transfer.receiving_region.clone();
    facts.values.extend([
        ("case_number", text(&transfer.case_number)),
        ("receiving_region", text(&transfer.receiving_region)),
        ("handling_region", text(&transfer.handling_region)),
    ]);
    Ok(facts)
}

/// A remediation's facts: (case id, number, region) and (department, assignee, due date); the
/// region is where it is handled (its supervisors are told when it runs late).
fn remediation_facts(
    event: &Delivered,
    (case_id, number, region): (&str, &str, &str),
    (department, assignee, due): (&str, &str, &str),
) -> Result<Facts, HandleError> {
    let mut facts = facts(event);
    facts.case_id = field::optional_uuid("case_id", case_id)?;
    facts.handling_region = region.to_owned();
    facts.receiving_region = region.to_owned();
    facts.department_id = field::optional_uuid("department_id", department)?;
    facts.assignee_id = field::optional_uuid("assignee_id", assignee)?;
    facts.values.insert("case_number", text(number));
    facts
        .values
        .extend(date("due_date", due)?.map(|d| ("due_date", d)));
    Ok(facts)
}

impl CaseMessages {
    /// The consumer: every event type of [`TYPES`], each applied by its `On` impl.
    pub fn consumer(self) -> ConsumerSpec {
        let me = Arc::new(self);
        ConsumerSpec::named(
            "case-messages",
            &[
                topics::ACCEPTANCE,
                topics::APPROVAL,
                topics::CROSSREGION,
                topics::HALL,
            ],
        )
        .on::<acceptance::CaseSubmitted, _>(me.clone())
        .on::<acceptance::CorrectionRequested, _>(me.clone())
        .on::<acceptance::CaseAccepted, _>(me.clone())
        .on::<acceptance::CaseRefused, _>(me.clone())
        .on::<acceptance::CaseWithdrawn, _>(me.clone())
        .on::<acceptance::CaseDelivered, _>(me.clone())
        .on::<acceptance::DeferredMaterialSupplied, _>(me.clone())
        .on::<acceptance::DeferredMaterialOverdue, _>(me.clone())
        .on::<approval::CaseConcluded, _>(me.clone())
        .on::<approval::WorkItemOpened, _>(me.clone())
        .on::<approval::DeadlineApproaching, _>(me.clone())
        .on::<approval::CaseOverdue, _>(me.clone())
        .on::<crossregion::TransferSent, _>(me.clone())
        .on::<crossregion::TransferRejected, _>(me.clone())
        .on::<crossregion::HandOverOverdue, _>(me.clone())
        .on::<acceptance::VisitRecorded, _>(me.clone())
        .on::<acceptance::RemediationOpened, _>(me.clone())
        .on::<acceptance::RemediationOverdue, _>(me.clone())
        .on::<hall::AppointmentReminderDue, _>(me.clone())
        .on::<hall::BookingSuspended, _>(me)
        .into()
    }

    /// Makes the messages the rules call for from `facts`, unless the event is too old to be
    /// news. Its age is measured on the system clock (`Clock::system()`), not the service
    /// clock: an event's time is stamped by the database's real clock when it enters the
    /// outbox, and a test that moves the service clock days ahead (a remediation running
    /// late) must not make the events published since look days old and silence them.
    async fn raise(&self, tx: &mut PgConnection, facts: &Facts) -> Result<(), HandleError> {
        if tongban_kernel::Clock::system().now() - facts.at > self.max_age {
            tracing::debug!(event = %facts.event_id, "an old event makes no message");
            return Ok(());
        }
        messages::raise(tx, facts).await?;
        Ok(())
    }
}

/// Events whose messages need only the case's facts.
macro_rules! on_case_only {
    ($($event:ty),* $(,)?) => {$(
        impl On<$event> for CaseMessages {
            async fn on(
                &self,
                tx: &mut PgConnection,
                e: $event,
                delivered: &Delivered,
            ) -> Result<(), HandleError> {
                let facts = case_facts(tx, delivered, e.case.as_ref()).await?;
                self.raise(tx, &facts).await
            }
        }
    )*};
}

/// A submission reaches the receiving hall's clerks when the applicant made it online (a
/// window submission is the clerk's own doing), with whether it is a resubmission.
impl On<acceptance::CaseSubmitted> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CaseSubmitted,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = case_facts(tx, delivered, e.case.as_ref()).await?;
        if e.case.as_ref().is_some_and(|c| c.channel != "online") {
            return Ok(());
        }
        facts
            .values
            .insert("submission", Value::Number(i64::from(e.submission)));
        self.raise(tx, &facts).await
    }
}

on_case_only!(
    acceptance::DeferredMaterialSupplied,
    acceptance::DeferredMaterialOverdue,
    acceptance::VisitRecorded,
);

impl On<acceptance::CaseAccepted> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CaseAccepted,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = case_facts(tx, delivered, e.case.as_ref()).await?;
        facts
            .values
            .extend(date("due_date", &e.due_date)?.map(|d| ("due_date", d)));
        self.raise(tx, &facts).await
    }
}

/// The one-time correction notice (一次性告知): every missing material's reason, joined, is
/// the `items` its templates show the applicant (the `correction_requested` rules and
/// templates are data of this service's migrations).
impl On<acceptance::CorrectionRequested> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CorrectionRequested,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = case_facts(tx, delivered, e.case.as_ref()).await?;
        let items: Vec<&str> = e.items.iter().map(|i| i.reason.as_str()).collect();
        facts.values.insert("items", text(&items.join("；")));
        self.raise(tx, &facts).await
    }
}

/// A withdrawal tells the applicant, with the reason they gave; a 一件事 application's parts
/// withdrawn with it keep the projection but raise no message of their own.
impl On<acceptance::CaseWithdrawn> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CaseWithdrawn,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        told_with_reason(self, tx, delivered, e.case.as_ref(), &e.reason).await
    }
}

/// A refusal at the window tells the applicant why; as with a withdrawal, the parts refused
/// with their 一件事 application raise no message of their own.
impl On<acceptance::CaseRefused> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CaseRefused,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        told_with_reason(self, tx, delivered, e.case.as_ref(), &e.reason).await
    }
}

/// The case's projection kept up and its messages raised with `reason`, unless it is a part
/// of a 一件事 application: the applicant ended one application, and hears of it once.
async fn told_with_reason(
    messages: &CaseMessages,
    tx: &mut PgConnection,
    delivered: &Delivered,
    case: Option<&acceptance::CaseRef>,
    reason: &str,
) -> Result<(), HandleError> {
    let mut facts = case_facts(tx, delivered, case).await?;
    if case.is_some_and(|c| c.kind == "part") {
        return Ok(());
    }
    facts.values.insert("reason", text(reason));
    messages.raise(tx, &facts).await
}

impl On<acceptance::CaseDelivered> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: acceptance::CaseDelivered,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = case_facts(tx, delivered, e.case.as_ref()).await?;
        let method = match e.method.as_str() {
            "post" => format!("{} {}", e.carrier, e.tracking_number),
            other => other.to_owned(),
        };
        facts.values.insert("method", text(&method));
        self.raise(tx, &facts).await
    }
}

/// Remediation events: the facts of the remediation (its region's supervisors hear of it).
macro_rules! on_remediation {
    ($($event:ty),* $(,)?) => {$(
        impl On<$event> for CaseMessages {
            async fn on(
                &self,
                tx: &mut PgConnection,
                e: $event,
                delivered: &Delivered,
            ) -> Result<(), HandleError> {
                let facts = remediation_facts(
                    delivered,
                    (&e.case_id, &e.case_number, &e.region_code),
                    (&e.department_id, &e.assignee_id, &e.due_date),
                )?;
                self.raise(tx, &facts).await
            }
        }
    )*};
}

on_remediation!(
    acceptance::RemediationOpened,
    acceptance::RemediationOverdue
);

impl On<approval::CaseConcluded> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: approval::CaseConcluded,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = match e.work.as_ref() {
            Some(work) => work_facts(delivered, Some(work))?,
            None => {
                let mut facts = facts(delivered);
                facts.case_id = Some(field::uuid("case_id", &e.case_id)?);
                facts
            }
        };
        let decision = match e.decision.as_str() {
            "approved" => Value::Words {
                zh: "准予",
                en: "approved",
            },
            _ => Value::Words {
                zh: "不予",
                en: "refused",
            },
        };
        facts.values.insert("decision", decision);
        facts.values.insert("reason", text(&e.reason));
        self.raise(tx, &facts).await
    }
}

/// Work item events that say when it is due.
macro_rules! on_work_due {
    ($($event:ty),* $(,)?) => {$(
        impl On<$event> for CaseMessages {
            async fn on(
                &self,
                tx: &mut PgConnection,
                e: $event,
                delivered: &Delivered,
            ) -> Result<(), HandleError> {
                let mut facts = work_facts(delivered, e.work.as_ref())?;
                facts
                    .values
                    .extend(date("due_date", &e.due_date)?.map(|d| ("due_date", d)));
                self.raise(tx, &facts).await
            }
        }
    )*};
}

on_work_due!(approval::WorkItemOpened, approval::CaseOverdue);

impl On<approval::DeadlineApproaching> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: approval::DeadlineApproaching,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = work_facts(delivered, e.work.as_ref())?;
        facts
            .values
            .extend(date("due_date", &e.due_date)?.map(|d| ("due_date", d)));
        facts.values.insert(
            "working_days_left",
            Value::Number(i64::from(e.working_days_left)),
        );
        self.raise(tx, &facts).await
    }
}

impl On<crossregion::TransferSent> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: crossregion::TransferSent,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = transfer_facts(delivered, e.transfer.as_ref())?;
        facts
            .values
            .extend(date("respond_by", &e.respond_by)?.map(|d| ("respond_by", d)));
        self.raise(tx, &facts).await
    }
}

impl On<crossregion::TransferRejected> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: crossregion::TransferRejected,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = transfer_facts(delivered, e.transfer.as_ref())?;
        facts.values.insert("reason", text(&e.reason));
        self.raise(tx, &facts).await
    }
}

impl On<crossregion::HandOverOverdue> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: crossregion::HandOverOverdue,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = transfer_facts(delivered, e.transfer.as_ref())?;
        let hand_over = match e.hand_over.as_str() {
            "response" => Value::Words {
                zh: "接收答复",
                en: "response",
            },
            _ => Value::Words {
                zh: "结果送达",
                en: "delivery",
            },
        };
        facts.values.insert("hand_over", hand_over);
        facts
            .values
            .extend(date("deadline", &e.deadline)?.map(|d| ("deadline", d)));
        self.raise(tx, &facts).await
    }
}

/// A booking's facts: its person's account (a clerk's booking for a caller has none, and
/// tells nobody), its item, its hall and its slot in China time.
fn appointment_facts(
    event: &Delivered,
    appointment: Option<&hall::AppointmentRef>,
) -> Result<Facts, HandleError> {
    let a = appointment.ok_or_else(|| {
        HandleError::Permanent("an appointment event without its appointment".into())
    })?;
    let mut facts = facts(event);
    facts.applicant_id = field::optional_uuid("account_id", &a.account_id)?;
    facts.implementation_code = a.item_code.clone();
    facts.receiving_region = a.region_code.clone();
    facts.handling_region = a.region_code.clone();
    if let Some(starts) = &a.starts_at {
        let at = tongban_events::datetime(starts)
            .ok_or_else(|| HandleError::Permanent("starts_at out of range".into()))?;
        let local = at.with_timezone(&tongban_kernel::clock::china());
        facts.values.insert(
            "starts_at",
            text(&local.format("%Y-%m-%d %H:%M").to_string()),
        );
    }
    Ok(facts)
}

/// The day before a booking, its person is reminded where and when to come.
impl On<hall::AppointmentReminderDue> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: hall::AppointmentReminderDue,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = appointment_facts(delivered, e.appointment.as_ref())?;
        facts.values.extend([
            ("centre_name", text(&e.centre_name)),
            ("group_name", text(&e.group_name)),
        ]);
        self.raise(tx, &facts).await
    }
}

/// Repeated no-shows suspended booking: the person learns until when.
impl On<hall::BookingSuspended> for CaseMessages {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: hall::BookingSuspended,
        delivered: &Delivered,
    ) -> Result<(), HandleError> {
        let mut facts = appointment_facts(delivered, e.appointment.as_ref())?;
        facts
            .values
            .insert("no_shows", Value::Number(i64::from(e.no_shows)));
        if let Some(until) = &e.until {
            let until = tongban_events::datetime(until)
                .ok_or_else(|| HandleError::Permanent("until out of range".into()))?;
            facts.values.insert(
                "until",
                Value::Date(tongban_kernel::clock::local_date(until)),
            );
        }
        self.raise(tx, &facts).await
    }
}
