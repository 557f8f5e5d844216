//! Finishing a ticket: serving is over, and the visit is recorded in acceptance (一次一评)
//! before the ticket is done, so the window's rating device shows it at once.

use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::call::{move_to, ms, ticket_for};
use super::state::Action;
use super::store::{self, Ticket};
use super::visit::{NewVisit, Visits};

/// What a ticket's finish records.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FinishForm {
    /// The case served, when there is one (the visit is counted on it).
    pub case_id: Option<Uuid>,
    /// Why the person came: intake, supply, pickup or other; intake for a case by default,
    /// other without one.
    pub purpose: Option<String>,
}

/// Finishes ticket `id` at `now`, recording its visit as the clerk whose token is `bearer`.
pub async fn finish(
    pool: &PgPool,
    visits: &Visits,
    principal: &Principal,
    bearer: &str,
    id: Uuid,
    form: FinishForm,
    now: Now,
) -> Result<Ticket, Error> {
    let mut tx = pool.begin().await?;
    // The ticket stays locked while acceptance records the visit: two presses of "finish"
    // record one visit and finish once.
    let mut ticket = ticket_for(&mut tx, principal, id).await?;
    move_to(&mut ticket, Action::Finish)?;
    let purpose = form.purpose.unwrap_or_else(|| {
        if form.case_id.is_some() {
            "intake".into()
        } else {
            "other".into()
        }
    });
    let visit = visits
        .record(
            bearer,
            &NewVisit {
                id: ticket.id,
                case_id: form.case_id,
                region_code: ticket.region_code.clone(),
                purpose,
            },
        )
        .await?;
    ticket.finished_at = Some(now.at);
    ticket.case_id = form.case_id;
    ticket.visit_id = Some(visit.id);
    ticket.rating_code = Some(visit.rating_code);
    let event = events::TicketFinished {
        ticket: Some(ticket.reference()),
        window_id: ticket.window_id.map(|w| w.to_string()).unwrap_or_default(),
        clerk_id: principal.account.to_string(),
        finished_at: Some(tongban_events::timestamp(now.at)),
        service_ms: ticket.started_at.map_or(0, |s| ms(s, now.at)),
        visit_id: visit.id.to_string(),
        case_id: ticket.case_id.map(|c| c.to_string()).unwrap_or_default(),
    };
    store::save(&mut tx, &ticket, &event).await?;
    tx.commit().await?;
    Ok(ticket)
}
