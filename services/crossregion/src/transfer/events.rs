//! The events of other services that move a transfer: acceptance's CaseAccepted opens one
//! (when the case leaves the region that took it in), approval's CaseConcluded hands the result
//! back, acceptance's CaseDelivered ends it; approval's clock events keep the case's clock on
//! it, so the receiving hall sees it too.

use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::field::{self, optional_date, optional_uuid, uuid};
use tongban_bus::{ConsumerSpec, Delivered, HandleError, On};
use tongban_events::acceptance::v1::{CaseAccepted, CaseDelivered, CaseRef};
use tongban_events::approval::v1::{
    CaseConcluded, CaseOverdue, ClockPaused, ClockResumed, DueDateRecalculated, TimeLimitExtended,
    WorkRef,
};
use tongban_events::topics;

use super::conclude::concluded;
use super::deliver::{Delivery, delivered};
use super::open::{Accepted, open};
use super::state::{DeliveryMethod, Kind, Mode};
use super::store::{self, Applicant};

/// The consumers of the events that move transfers.
pub fn consumers(response_days: u32, delivery_days: u32) -> Vec<ConsumerSpec> {
    let cases = Arc::new(TransferredCases {
        response_days,
        delivery_days,
    });
    let clock = Arc::new(CaseClock);
    vec![
        ConsumerSpec::named("transferred-cases", &[topics::ACCEPTANCE, topics::APPROVAL])
            .on::<CaseAccepted, _>(cases.clone())
            .on::<CaseConcluded, _>(cases.clone())
            .on::<CaseDelivered, _>(cases)
            .into(),
        ConsumerSpec::named("case-clock", &[topics::APPROVAL])
            .on::<ClockPaused, _>(clock.clone())
            .on::<ClockResumed, _>(clock.clone())
            .on::<TimeLimitExtended, _>(clock.clone())
            .on::<DueDateRecalculated, _>(clock.clone())
            .on::<CaseOverdue, _>(clock)
            .into(),
    ]
}

pub struct TransferredCases {
    /// Working days the handling region has to accept or reject a transfer.
    pub response_days: u32,
    /// Working days the receiving side has to deliver a returned result.
    pub delivery_days: u32,
}

fn case_of(case: Option<&CaseRef>) -> Result<&CaseRef, HandleError> {
    case.ok_or_else(|| HandleError::Permanent("a case event without its case".into()))
}

fn transient(err: tongban_kernel::Error) -> HandleError {
    HandleError::Transient(err.into())
}

impl On<CaseAccepted> for TransferredCases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        accepted: CaseAccepted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = case_of(accepted.case.as_ref())?;
        // Only a case leaving the region that took it in is transferred; a bundle moves
        // through its parts.
        let Some(mode) = Mode::parse(&case.mode) else {
            return Ok(());
        };
        if case.kind == "bundle" {
            return Ok(());
        }
        let accepted = Accepted {
            case_id: uuid("case_id", &case.case_id)?,
            case_number: case.case_number.clone(),
            round: accepted.round.max(1) as i32,
            kind: if case.kind == "part" {
                Kind::Part
            } else {
                Kind::Item
            },
            parent_case_id: optional_uuid("parent_case_id", &case.parent_case_id)?,
            mode,
            implementation_code: case.implementation_code.clone(),
            item_version: case.item_version as i32,
            receiving_region: case.receiving_region.clone(),
            handling_region: case.handling_region.clone(),
            applicant: Applicant {
                kind: case.applicant_kind.clone(),
                name: case.applicant_name.clone(),
                document_masked: case.applicant_document_masked.clone(),
                // 0 (not recorded) from events before the level travelled.
                real_name_level: case.real_name_level.clamp(0, 3) as i16,
            },
            accepted_by: optional_uuid("accepted_by", &accepted.accepted_by)?,
            accepted_at: event.instant(accepted.accepted_at),
            due_date: optional_date("due_date", &accepted.due_date)?,
        };
        open(tx, &accepted, self.response_days)
            .await
            .map_err(transient)
    }
}

impl On<CaseConcluded> for TransferredCases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        concluded_case: CaseConcluded,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case_id = uuid("case_id", &concluded_case.case_id)?;
        concluded(
            tx,
            case_id,
            &concluded_case.decision,
            event.instant(concluded_case.concluded_at),
            self.delivery_days,
        )
        .await
        .map_err(transient)?;
        Ok(())
    }
}

impl On<CaseDelivered> for TransferredCases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        delivered_case: CaseDelivered,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = case_of(delivered_case.case.as_ref())?;
        let method = DeliveryMethod::parse(&delivered_case.method)
            .ok_or_else(|| field::malformed("method", &delivered_case.method))?;
        let mut delivery = Delivery {
            case_id: uuid("case_id", &case.case_id)?,
            method,
            carrier: delivered_case.carrier.clone(),
            tracking_number: delivered_case.tracking_number.clone(),
            delivered_by: optional_uuid("delivered_by", &delivered_case.delivered_by)?,
            at: event.instant(delivered_case.delivered_at),
        };
        delivered(tx, &delivery).await.map_err(transient)?;
        // A bundle's parts go out with it.
        if case.kind == "bundle" {
            let parts = store::returned_parts(tx, delivery.case_id)
                .await
                .map_err(transient)?;
            for part in parts {
                delivery.case_id = part;
                delivered(tx, &delivery).await.map_err(transient)?;
            }
        }
        Ok(())
    }
}

/// The clock of a transferred case as the handling region's back office runs it (approval's
/// pauses, resumptions, extensions, recalculations and red escalation).
pub struct CaseClock;

fn work_case(work: Option<&WorkRef>) -> Result<Uuid, HandleError> {
    let work =
        work.ok_or_else(|| HandleError::Permanent("a work item event without its work".into()))?;
    field::uuid("case_id", &work.case_id)
}

fn date(value: &str) -> Result<NaiveDate, HandleError> {
    field::date("due_date", value)
}

/// Follows the case's clock on its latest transfer (cases that were not transferred change
/// nothing here).
async fn set_clock(
    tx: &mut PgConnection,
    work: Option<&WorkRef>,
    paused: Option<bool>,
    due: Option<NaiveDate>,
    overdue: Option<bool>,
) -> Result<(), HandleError> {
    let case_id = work_case(work)?;
    store::set_clock(tx, case_id, paused, due, overdue)
        .await
        .map_err(transient)?;
    Ok(())
}

impl On<ClockPaused> for CaseClock {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: ClockPaused,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        set_clock(tx, e.work.as_ref(), Some(true), None, None).await
    }
}

impl On<ClockResumed> for CaseClock {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: ClockResumed,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let due = date(&e.due_date)?;
        set_clock(tx, e.work.as_ref(), Some(false), Some(due), None).await
    }
}

impl On<TimeLimitExtended> for CaseClock {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: TimeLimitExtended,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let due = date(&e.due_date)?;
        set_clock(tx, e.work.as_ref(), None, Some(due), None).await
    }
}

impl On<DueDateRecalculated> for CaseClock {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: DueDateRecalculated,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let due = date(&e.due_date)?;
        set_clock(tx, e.work.as_ref(), None, Some(due), None).await
    }
}

impl On<CaseOverdue> for CaseClock {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: CaseOverdue,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        set_clock(tx, e.work.as_ref(), None, None, Some(true)).await
    }
}
