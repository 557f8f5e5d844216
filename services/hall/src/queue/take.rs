//! Taking a ticket (取号): a walk-in at the kiosk, or at a window for someone a clerk serves.
//! Anyone may take one while the hall is open; only a window clerk of the region may mark the
//! green channel for disability or pregnancy. Age needs no mark: an identity card number
//! read at the kiosk gives the date of birth (the number itself is not kept).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::access::{AccountKind, Power};
use tongban_kernel::clock::china;
use tongban_kernel::{Error, IdCardNumber, ImplementationCode, Now, Principal, RegionCode};

use super::order::Priority;
use super::state::Status;
use super::store::{self, Ticket};
use crate::centre::{self, Group};
use tongban_events::hall::v1 as events;

/// What the kiosk (or a clerk) sends.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TakeForm {
    /// The window group; or name the item and the hall finds the group serving it.
    pub group_id: Option<Uuid>,
    /// 31-character implementation code of the item the person came for.
    pub item_code: Option<String>,
    /// The person's identity card number, read for the date of birth (65 or older go first);
    /// not kept.
    pub id_number: Option<String>,
    /// disabled or pregnant: marked by a window clerk only.
    pub priority: Option<Priority>,
}

/// A ticket as the person and the board see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Issued {
    pub id: Uuid,
    /// A012.
    pub number: String,
    pub group_id: Uuid,
    pub group_name: String,
    pub priority: Priority,
    pub status: Status,
    /// Tickets of the group called before it, as things stand.
    pub ahead: i64,
    pub arrived_at: DateTime<Utc>,
}

/// Issues a ticket in the hall of `region` at `now`.
pub async fn take(
    pool: &PgPool,
    principal: Option<&Principal>,
    region: &RegionCode,
    form: TakeForm,
    now: Now,
) -> Result<Issued, Error> {
    let marked = green_channel_mark(principal, region, form.priority)?;
    let birth = birth_date(form.id_number.as_deref())?;
    let item = form.item_code.as_deref().map(item_code).transpose()?;
    let priority = Priority::of(birth, marked, now.today);

    let mut tx = pool.begin().await?;
    let centre = centre::store::get(&mut tx, region.as_str()).await?;
    let rules = &centre.rules;
    require_open(&mut tx, &centre, now).await?;
    let group = choose_group(&centre.groups, form.group_id, item.as_deref())?;
    let ticket = issue(
        &mut tx,
        region.as_str(),
        group,
        NewTicket {
            appointment_id: None,
            due_at: None,
            // The applicant's own account when they take it signed in (a clerk's is not
            // theirs).
            person_id: principal
                .filter(|p| matches!(p.kind, AccountKind::Citizen | AccountKind::Enterprise))
                .map(|p| p.account),
            item_code: item,
            priority,
            weight: rules.weight(priority),
        },
        now,
    )
    .await?;
    let issued = issued(&mut tx, &ticket, group, now.at).await?;
    tx.commit().await?;
    Ok(issued)
}

/// The implementation code in `item_code`, checked; 422 naming the field.
pub fn item_code(value: &str) -> Result<String, Error> {
    value
        .trim()
        .parse::<ImplementationCode>()
        .map(|c| c.to_string())
        .map_err(|e| Error::unprocessable("item_code", e.to_string()))
}

/// What a new ticket carries beside its group and number.
pub struct NewTicket {
    pub appointment_id: Option<Uuid>,
    /// The slot's start, for a booking checked in.
    pub due_at: Option<DateTime<Utc>>,
    pub person_id: Option<Uuid>,
    pub item_code: Option<String>,
    pub priority: Priority,
    pub weight: i32,
}

/// Issues the next ticket of `group` today in the caller's transaction, with its event.
pub async fn issue(
    conn: &mut PgConnection,
    region: &str,
    group: &Group,
    new: NewTicket,
    now: Now,
) -> Result<Ticket, Error> {
    let serial = store::next_serial(conn, group.id, now.today).await?;
    let ticket = Ticket {
        id: Uuid::now_v7(),
        region_code: region.to_owned(),
        group_id: group.id,
        day: now.today,
        number: format!("{}{serial:03}", group.letter),
        appointment_id: new.appointment_id,
        due_at: new.due_at,
        person_id: new.person_id,
        item_code: new.item_code,
        priority: new.priority,
        weight: new.weight,
        status: Status::Waiting,
        arrived_at: now.at,
        window_id: None,
        clerk_id: None,
        called_at: None,
        calls: 0,
        started_at: None,
        finished_at: None,
        transferred_from: None,
        visit_id: None,
        case_id: None,
        rating_code: None,
    };
    store::insert(conn, &ticket).await?;
    let event = events::TicketIssued {
        ticket: Some(ticket.reference()),
        item_code: ticket.item_code.clone().unwrap_or_default(),
        arrived_at: Some(tongban_events::timestamp(now.at)),
    };
    store::publish(conn, &ticket, &event).await?;
    Ok(ticket)
}

/// The green channel marked by a window clerk of the region (disability, pregnancy); age is
/// never marked, it is read from the card.
fn green_channel_mark(
    principal: Option<&Principal>,
    region: &RegionCode,
    asked: Option<Priority>,
) -> Result<Option<Priority>, Error> {
    match asked {
        Some(Priority::Disabled | Priority::Pregnant) => {
            let clerk = principal.ok_or_else(|| {
                Error::Forbidden("only a window clerk marks the green channel".into())
            })?;
            clerk.require(Power::AcceptCases, region)?;
            Ok(asked)
        }
        Some(Priority::Elderly) => Err(Error::unprocessable(
            "priority",
            "age is read from the identity card number (id_number), not marked",
        )),
        _ => Ok(None),
    }
}

/// The date of birth on an identity card number, when one is given; 422 for a bad number.
pub fn birth_date(number: Option<&str>) -> Result<Option<chrono::NaiveDate>, Error> {
    match number.map(str::trim) {
        Some(number) if !number.is_empty() => Ok(number
            .parse::<IdCardNumber>()
            .map_err(|e| Error::unprocessable("id_number", e.to_string()))?
            .birth_date()),
        _ => Ok(None),
    }
}

/// 409 unless the hall is open at `now`: a working day of its calendar, within its hours.
pub async fn require_open(
    conn: &mut PgConnection,
    centre: &centre::Centre,
    now: Now,
) -> Result<(), Error> {
    let calendar = tongban_calendar::load(conn, &centre.region_code).await?;
    let time = now.at.with_timezone(&china()).time();
    if !calendar.is_working_day(now.today) || time < centre.opens_at || time >= centre.closes_at {
        return Err(Error::Conflict {
            code: "hall_closed",
            message: format!(
                "{} is closed now; it opens on working days {}–{}",
                centre.name,
                centre.opens_at.format("%H:%M"),
                centre.closes_at.format("%H:%M")
            ),
        });
    }
    Ok(())
}

/// The active group asked for, or the first (by letter) serving `item`.
pub fn choose_group<'a>(
    groups: &'a [Group],
    id: Option<Uuid>,
    item: Option<&str>,
) -> Result<&'a Group, Error> {
    let found = match (id, item) {
        (Some(id), _) => groups.iter().find(|g| g.id == id && g.active),
        (None, Some(item)) => groups
            .iter()
            .find(|g| g.active && g.items.iter().any(|i| i == item)),
        (None, None) => {
            return Err(Error::unprocessable(
                "group_id",
                "choose a window group, or name the item (item_code)",
            ));
        }
    };
    found.ok_or_else(|| match id {
        Some(_) => Error::unprocessable("group_id", "not an open window group of this hall"),
        None => Error::unprocessable("item_code", "no open window group of this hall serves it"),
    })
}

/// `ticket` as its holder sees it: with the tickets of its group called before it.
pub async fn issued(
    conn: &mut PgConnection,
    ticket: &Ticket,
    group: &Group,
    now: DateTime<Utc>,
) -> Result<Issued, Error> {
    let ahead = match ticket.status {
        Status::Waiting => ahead_of(conn, ticket, now).await?,
        _ => 0,
    };
    Ok(Issued {
        id: ticket.id,
        number: ticket.number.clone(),
        group_id: group.id,
        group_name: group.name.clone(),
        priority: ticket.priority,
        status: ticket.status,
        ahead,
        arrived_at: ticket.arrived_at,
    })
}

/// Waiting tickets of the same group and day that queue::order puts first at `now`.
async fn ahead_of(conn: &mut PgConnection, t: &Ticket, now: DateTime<Utc>) -> Result<i64, Error> {
    let due = t.due_at.is_some_and(|d| d <= now);
    Ok(sqlx::query_scalar(
        "select count(*) from tickets o
         where o.group_id = $1 and o.day = $2 and o.waiting and o.id <> $3
           and ((coalesce(o.due_at <= $4, false) and not $5)
             or (coalesce(o.due_at <= $4, false) = $5
                 and (o.weight > $6
                   or (o.weight = $6 and (o.arrived_at, o.id) < ($7, $3)))))",
    )
    .bind(t.group_id)
    .bind(t.day)
    .bind(t.id)
    .bind(now)
    .bind(due)
    .bind(t.weight)
    .bind(t.arrived_at)
    .fetch_one(conn)
    .await?)
}
