//! Booking a slot (预约): the person in the online hall, or a clerk of the hall for a caller.
//! Online, the slot may first be held while the form is filled in, and confirmed within the
//! centre's `hold_minutes`; a hold not confirmed is let go.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_events::hall::v1 as events;
use tongban_kernel::access::{AccountKind, Power};
use tongban_kernel::{Error, Now, Principal, RegionCode};

use super::person::{PersonKey, id_number};
use super::rules;
use super::state::{Action, Status};
use super::store::{self, Appointment, Channel};
use crate::centre::{self, Centre, Group};
use crate::queue::order::Priority;
use crate::queue::take::{choose_group, item_code};

/// A booking asked for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BookForm {
    /// 31-character implementation code of the item.
    pub item_code: String,
    /// The window group; by default the first open one serving the item.
    pub group_id: Option<Uuid>,
    /// The slot's start (one of the centre's slots, `GET /v1/centres/{region}/slots`).
    pub starts_at: DateTime<Utc>,
    /// The identity card number of the person who will come (not kept: the hall keeps a
    /// keyed digest for the rules and for checking in by card).
    pub id_number: String,
    /// Hold the slot while the form is filled in; confirm it with
    /// `POST /v1/appointments/{id}/confirm` within the centre's `hold_minutes`.
    #[serde(default)]
    pub hold: bool,
}

/// Books (or holds) a slot at the centre of `region` at `now`.
pub async fn book(
    pool: &PgPool,
    persons: &PersonKey,
    principal: &Principal,
    region: &RegionCode,
    form: BookForm,
    now: Now,
) -> Result<Appointment, Error> {
    let channel = channel_of(principal, region)?;
    let item = item_code(&form.item_code)?;
    let card = id_number("id_number", &form.id_number)?;
    let person = persons.digest(&card);

    let mut tx = pool.begin().await?;
    let centre = centre::store::get(&mut tx, region.as_str()).await?;
    let group = group_for(&centre, form.group_id, &item)?;
    let calendar = tongban_calendar::load(&mut tx, region.as_str()).await?;
    let slot = rules::slot_of(&calendar, &centre, group, now.today, form.starts_at)?;
    require_not_suspended(&mut tx, &centre, &person, now.at).await?;

    store::lock_slot(&mut tx, group.id, &slot).await?;
    store::let_go_of_run_out_holds(&mut tx, &person, group.id, &slot, now.at).await?;
    let at = (slot.starts_at, slot.starts_at);
    let taken = store::places_taken(&mut tx, group.id, at, now.at).await?;
    let taken = taken.first().map_or(0, |(_, n)| *n);
    rules::require_room(taken, group.slot_capacity, &slot)?;

    let held_until = form
        .hold
        .then(|| now.at + Duration::minutes(i64::from(centre.rules.hold_minutes)));
    let appointment = Appointment {
        id: Uuid::now_v7(),
        region_code: region.as_str().to_owned(),
        group_id: group.id,
        item_code: item,
        day: slot.day,
        starts_at: slot.starts_at,
        ends_at: slot.ends_at,
        person_digest: person,
        // 65 or older on the day of the slot.
        priority: Priority::of(card.birth_date(), None, slot.day),
        channel,
        booked_by: principal.account,
        account_id: (channel == Channel::Online).then_some(principal.account),
        status: if form.hold {
            Status::Held
        } else {
            Status::Booked
        },
        held_until,
        created_at: now.at,
        booked_at: (!form.hold).then_some(now.at),
        cancelled_at: None,
        checked_in_at: None,
        reminded_at: None,
    };
    store::insert(&mut tx, &appointment).await?;
    if !form.hold {
        store::publish(&mut tx, &appointment, &booked(&appointment)).await?;
    }
    tx.commit().await?;
    Ok(appointment)
}

/// Confirms held appointment `id` at `now`: 409 `hold_expired` when its time ran out.
pub async fn confirm(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Appointment, Error> {
    let mut tx = pool.begin().await?;
    let mut appointment = store::lock(&mut tx, id).await?;
    require_party(principal, &appointment)?;
    if appointment.status == Status::Held && appointment.held_until.is_some_and(|h| h <= now) {
        return Err(Error::Conflict {
            code: "hold_expired",
            message: "the slot was held for you but the time to confirm ran out; choose a slot \
                      again"
                .into(),
        });
    }
    move_to(&mut appointment, Action::Confirm)?;
    appointment.held_until = None;
    appointment.booked_at = Some(now);
    store::save(&mut tx, &appointment, &booked(&appointment)).await?;
    tx.commit().await?;
    Ok(appointment)
}

fn booked(a: &Appointment) -> events::AppointmentBooked {
    events::AppointmentBooked {
        appointment: Some(a.reference()),
        booked_by: a.booked_by.to_string(),
        booked_at: a.booked_at.map(tongban_events::timestamp),
    }
}

/// Online for the person themselves; at the window for a clerk of the region; 403 for anyone
/// else.
fn channel_of(principal: &Principal, region: &RegionCode) -> Result<Channel, Error> {
    match principal.kind {
        AccountKind::Citizen | AccountKind::Enterprise => Ok(Channel::Online),
        _ => {
            principal.require(Power::AcceptCases, region)?;
            Ok(Channel::Window)
        }
    }
}

/// The group asked for (which must serve the item), or the first open one serving it.
fn group_for<'a>(centre: &'a Centre, id: Option<Uuid>, item: &str) -> Result<&'a Group, Error> {
    let group = choose_group(&centre.groups, id, Some(item))?;
    if !group.items.iter().any(|i| i == item) {
        return Err(Error::unprocessable(
            "item_code",
            format!("{} does not serve this item", group.name),
        ));
    }
    Ok(group)
}

/// 409 `booking_suspended` while the person's no-shows at the centre suspend booking.
async fn require_not_suspended(
    conn: &mut PgConnection,
    centre: &Centre,
    person: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let r = &centre.rules;
    let since = now - Duration::days(i64::from(r.no_show_window_days + r.suspension_days));
    let missed = store::no_shows(conn, &centre.region_code, person, since).await?;
    rules::require_not_suspended(rules::suspended_until(&missed, r), now)
}

/// The booker themselves, or a clerk of the hall; 404 to anyone else (a booking is nobody
/// else's business, not even that it exists).
pub fn require_party(principal: &Principal, a: &Appointment) -> Result<(), Error> {
    if principal.account == a.booked_by || Some(principal.account) == a.account_id {
        return Ok(());
    }
    let region: RegionCode = a.region_code.parse().map_err(Error::internal)?;
    principal
        .require(Power::AcceptCases, &region)
        .map_err(|_| Error::NotFound(format!("no appointment {}", a.id)))
}

/// The appointment in its next state, or 409 saying why `action` does not apply.
pub fn move_to(a: &mut Appointment, action: Action) -> Result<(), Error> {
    match action.apply(a.status) {
        Some(next) => {
            a.status = next;
            Ok(())
        }
        None => Err(Error::Conflict {
            code: "appointment_state",
            message: format!(
                "the booking is {} and cannot be {}",
                a.status.words(),
                action.verb()
            ),
        }),
    }
}
