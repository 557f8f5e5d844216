//! Giving up a ticket before it is called (the holder at the kiosk or on their phone, whose
//! slip carries the ticket's id; or a clerk of the hall). A cancelled ticket is never called.

use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::call::move_to;
use super::state::Action;
use super::store::{self, Ticket};

/// Cancels waiting ticket `id` at `now`; `by` is the account that did, if signed in.
pub async fn cancel(
    pool: &PgPool,
    by: Option<&Principal>,
    id: Uuid,
    now: Now,
) -> Result<Ticket, Error> {
    let mut tx = pool.begin().await?;
    let mut ticket = store::lock(&mut tx, id).await?;
    move_to(&mut ticket, Action::Cancel)?;
    let event = events::TicketCancelled {
        ticket: Some(ticket.reference()),
        by: by.map(|p| p.account.to_string()).unwrap_or_default(),
        at: Some(tongban_events::timestamp(now.at)),
    };
    store::save(&mut tx, &ticket, &event).await?;
    tx.commit().await?;
    Ok(ticket)
}
