//! A window's work on the queue (叫号): call the next ticket (or one by its id), call it
//! again, mark it absent, start and finish serving, transfer it to another group. A window
//! clerk of the hall's region does it; a window holds one ticket at a time.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::access::Power;
use tongban_kernel::{Error, Now, Principal, RegionCode};

use super::state::{Action, Status};
use super::store::{self, Ticket};
use crate::centre::{self, Window};

/// What a window asks for when it calls.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CallForm {
    /// A ticket by its id (a clerk calling someone out of turn); the next in order when absent.
    pub ticket_id: Option<Uuid>,
}

/// Where a ticket moves.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferForm {
    pub group_id: Uuid,
}

/// A window as it calls: its row, its region, and the ticket it holds if any.
#[derive(sqlx::FromRow)]
struct Calling {
    #[sqlx(flatten)]
    window: Window,
    region_code: String,
    held_number: Option<String>,
    held_status: Option<Status>,
}

/// Window `id`, locked until the transaction ends (one call at a time per window), checked:
/// an active window of a hall where the principal is a window clerk, holding no ticket. One
/// statement: this is the busiest press of a hall. A press that waited for the lock saw the
/// window's ticket as the statement began, so a double press can pass this check twice; the
/// second is refused when its ticket is saved (`store::save`, by the unique index).
async fn window_to_call(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Window, Error> {
    let calling: Calling = sqlx::query_as(
        "select w.id, w.group_id, w.name, w.active, w.region_code,
             t.number as held_number, t.status as held_status
         from windows w left join tickets t on t.window_id = w.id and t.at_window
         where w.id = $1 for update of w",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no window {id}")))?;
    let region: RegionCode = calling.region_code.parse().map_err(Error::internal)?;
    principal.require(Power::AcceptCases, &region)?;
    let window = calling.window;
    if !window.active {
        return Err(Error::Conflict {
            code: "window_closed",
            message: format!("{} is closed; an administrator opens it", window.name),
        });
    }
    if let (Some(number), Some(status)) = (calling.held_number, calling.held_status) {
        return Err(Error::Conflict {
            code: "ticket_in_hand",
            message: format!(
                "{} still holds ticket {number} ({}): finish it or mark it absent first",
                window.name,
                status.words()
            ),
        });
    }
    Ok(window)
}

/// The region of window `id`, for a window clerk of it (403 otherwise; 404 when there is no
/// such window).
pub async fn window_region(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<RegionCode, Error> {
    let region: Option<String> =
        sqlx::query_scalar("select region_code from windows where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let region: RegionCode = region
        .ok_or_else(|| Error::NotFound(format!("no window {id}")))?
        .parse()
        .map_err(Error::internal)?;
    principal.require(Power::AcceptCases, &region)?;
    Ok(region)
}

/// Calls the next ticket of window `window`'s group (or `form.ticket_id`) at `now`.
pub async fn call(
    pool: &PgPool,
    principal: &Principal,
    window: Uuid,
    form: CallForm,
    now: Now,
) -> Result<Ticket, Error> {
    let mut tx = pool.begin().await?;
    let window = window_to_call(&mut tx, principal, window).await?;
    let mut ticket = match form.ticket_id {
        Some(id) => {
            let ticket = store::lock(&mut tx, id).await?;
            if ticket.group_id != window.group_id || ticket.day != now.today {
                return Err(Error::unprocessable(
                    "ticket_id",
                    format!(
                        "ticket {} is not waiting for this window's group today",
                        ticket.number
                    ),
                ));
            }
            ticket
        }
        None => store::take_next(&mut tx, window.group_id, now.today, now.at)
            .await?
            .ok_or_else(|| Error::NotFound(format!("nobody is waiting for {} now", window.name)))?,
    };
    move_to(&mut ticket, Action::Call)?;
    ticket.window_id = Some(window.id);
    ticket.clerk_id = Some(principal.account);
    ticket.called_at = Some(now.at);
    ticket.calls = 1;
    let event = called(&ticket, &window, ms(ticket.arrived_at, now.at));
    store::save(&mut tx, &ticket, &event).await?;
    tx.commit().await?;
    Ok(ticket)
}

fn called(ticket: &Ticket, window: &Window, wait_ms: i64) -> events::TicketCalled {
    events::TicketCalled {
        ticket: Some(ticket.reference()),
        window_id: window.id.to_string(),
        window_name: window.name.clone(),
        clerk_id: ticket.clerk_id.map(|c| c.to_string()).unwrap_or_default(),
        calls: ticket.calls,
        called_at: ticket.called_at.map(tongban_events::timestamp),
        wait_ms,
    }
}

/// Applies `action` to ticket `id` at `now` (a recall, an absence, a start).
pub async fn act(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    action: Action,
    now: Now,
) -> Result<Ticket, Error> {
    let mut tx = pool.begin().await?;
    let mut ticket = ticket_for(&mut tx, principal, id).await?;
    move_to(&mut ticket, action)?;
    let window_id = ticket.window_id.map(|w| w.to_string()).unwrap_or_default();
    let clerk_id = principal.account.to_string();
    let at = Some(tongban_events::timestamp(now.at));
    match action {
        Action::Recall => {
            let window = ticket_window(&mut tx, &ticket).await?;
            ticket.calls += 1;
            ticket.clerk_id = Some(principal.account);
            let mut event = called(&ticket, &window, 0);
            event.called_at = at;
            store::save(&mut tx, &ticket, &event).await?;
        }
        Action::NoShow => {
            let event = events::TicketAbsent {
                ticket: Some(ticket.reference()),
                window_id,
                clerk_id,
                at,
            };
            store::save(&mut tx, &ticket, &event).await?;
        }
        Action::Start => {
            ticket.started_at = Some(now.at);
            ticket.clerk_id = Some(principal.account);
            let walk_ms = ticket.called_at.map_or(0, |c| ms(c, now.at));
            let event = events::TicketServingStarted {
                ticket: Some(ticket.reference()),
                window_id,
                clerk_id,
                started_at: at,
                walk_ms,
            };
            store::save(&mut tx, &ticket, &event).await?;
        }
        Action::Finish | Action::Call | Action::Transfer | Action::Cancel => {
            return Err(Error::internal(format!("{action:?} is not a window's act")));
        }
    }
    tx.commit().await?;
    Ok(ticket)
}

/// Moves ticket `id` to group `to` of the same hall: it waits there with its number and its
/// place by arrival.
pub async fn transfer(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    to: Uuid,
    now: Now,
) -> Result<Ticket, Error> {
    let mut tx = pool.begin().await?;
    let mut ticket = ticket_for(&mut tx, principal, id).await?;
    let group = centre::store::group(&mut tx, &ticket.region_code, to)
        .await
        .map_err(|_| Error::unprocessable("group_id", "not a window group of this hall"))?;
    if !group.active || group.id == ticket.group_id {
        return Err(Error::unprocessable(
            "group_id",
            "another open window group of this hall",
        ));
    }
    move_to(&mut ticket, Action::Transfer)?;
    ticket.transferred_from = Some(ticket.group_id);
    ticket.group_id = group.id;
    ticket.window_id = None;
    ticket.called_at = None;
    ticket.calls = 0;
    let event = events::TicketTransferred {
        ticket: Some(ticket.reference()),
        from_group_id: ticket
            .transferred_from
            .map(|g| g.to_string())
            .unwrap_or_default(),
        by: principal.account.to_string(),
        at: Some(tongban_events::timestamp(now.at)),
    };
    store::save(&mut tx, &ticket, &event).await?;
    tx.commit().await?;
    Ok(ticket)
}

/// Ticket `id`, locked, for a window clerk of its hall.
pub async fn ticket_for(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Ticket, Error> {
    let ticket = store::lock(conn, id).await?;
    let region: RegionCode = ticket.region_code.parse().map_err(Error::internal)?;
    principal.require(Power::AcceptCases, &region)?;
    Ok(ticket)
}

async fn ticket_window(conn: &mut PgConnection, ticket: &Ticket) -> Result<Window, Error> {
    let id = ticket
        .window_id
        .ok_or_else(|| Error::internal("a called ticket without its window"))?;
    centre::store::window(conn, &ticket.region_code, id).await
}

/// The ticket in its next state, or 409 saying why `action` does not apply.
pub fn move_to(ticket: &mut Ticket, action: Action) -> Result<(), Error> {
    match action.apply(ticket.status) {
        Some(next) => {
            ticket.status = next;
            Ok(())
        }
        None => Err(Error::Conflict {
            code: "ticket_state",
            message: format!(
                "ticket {} is {} and cannot be {}",
                ticket.number,
                ticket.status.words(),
                action.verb()
            ),
        }),
    }
}

/// Milliseconds from `from` to `to` (never negative).
pub fn ms(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds().max(0)
}
