-- Appointments (预约): a person's place in a slot of a window group, booked online or by a
-- clerk for a caller, checked in at the kiosk as a ticket due at the slot's start.

create table appointments (
    id            uuid primary key,
    region_code   text        not null references centres (region_code),
    group_id      uuid        not null references window_groups (id),
    -- 31-character implementation code of the item booked for.
    item_code     text        not null,
    -- The slot: its day in China time, its start and end.
    day           date        not null,
    starts_at     timestamptz not null,
    ends_at       timestamptz not null check (starts_at < ends_at),
    -- Who comes, as HMAC-SHA256 of their identity card number under the hall's own key
    -- (sealed in `secrets`): one booking per person, item and day, the no-show count, and
    -- check-in by card at the kiosk. The number itself is not kept.
    person_digest bytea       not null,
    -- The green channel read from the card when booked (65 or older on the slot's day).
    priority      text        not null check (priority in ('none', 'elderly')),
    -- online (the person) or window (a clerk, for a caller).
    channel       text        not null check (channel in ('online', 'window')),
    booked_by     uuid        not null,
    -- The account reminded the day before: the person's own when they booked online.
    account_id    uuid,
    status        text        not null
        check (status in ('held', 'booked', 'checked_in', 'cancelled', 'expired', 'missed')),
    -- A slot held while the form is filled in is let go at this time unless confirmed.
    held_until    timestamptz,
    created_at    timestamptz not null,
    booked_at     timestamptz,
    cancelled_at  timestamptz,
    checked_in_at timestamptz,
    reminded_at   timestamptz,
    -- The states as columns the sweeps' and the slot's partial indexes use (see tickets).
    holds_place   boolean generated always as (status in ('held', 'booked', 'checked_in')) stored,
    held          boolean generated always as (status = 'held') stored,
    pending       boolean generated always as (status = 'booked') stored,
    missed        boolean generated always as (status = 'missed') stored
);

-- One booking per person, item and day; the places taken in a slot.
create unique index appointments_one_a_day on appointments (person_digest, item_code, day)
    where holds_place;
create index appointments_slot on appointments (group_id, starts_at) where holds_place;
-- The sweeps: holds to let go, bookings whose slot ended, reminders to send.
create index appointments_held on appointments (held_until) where held;
create index appointments_pending on appointments (starts_at) where pending;
-- A person's no-shows at a centre (suspension), and their bookings.
create index appointments_missed on appointments (region_code, person_digest, ends_at) where missed;
create index appointments_account on appointments (account_id, starts_at desc);

-- The hall's keys (the person digest's), sealed under the KEK.
create table secrets (
    name   text primary key,
    sealed bytea not null
);

-- The rating code of a finished ticket's visit (acceptance's), for the window's rating device.
alter table tickets add column rating_code text;
-- A window's latest finished ticket (the rating device).
create index tickets_finished on tickets (window_id, finished_at desc) where finished_at is not null;
