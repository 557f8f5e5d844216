-- The halls' statistics (大厅: 取号、叫号、预约), kept from tongban.hall.v1 alone: one row per
-- queue ticket and per booking, written so that any event may come twice and the events of
-- different tickets and bookings in any order. A ticket's events share one partition (the
-- ticket id is the key), in order: where a later event changes what an earlier one said (a
-- transfer moves the ticket to another group), the offset of the event decides. Like every
-- table here, these can be emptied and rebuilt from the topic (`tongban insight rebuild`).

-- A queue ticket (取号), counted on the day it was issued for (a China date).
create table hall_tickets (
    ticket_id        uuid        primary key,
    -- The 12-digit region of the service centre that issued it.
    region_code      text        not null default '',
    -- The window group it is in now (a transfer moves it), from the event at `group_offset`.
    group_id         uuid,
    group_offset     bigint      not null default -1,
    -- The group's letter and the day's serial (A012); kept through a transfer.
    number           text        not null default '',
    day              date,
    -- The booking it came from; none for a walk-in.
    appointment_id   uuid,
    -- none, elderly, disabled or pregnant (绿色通道).
    priority         text        not null default '',
    -- The window that last had it (called, served or marked it absent), from the event at
    -- `window_offset`: the window its times and its ending count for.
    window_id        uuid,
    window_offset    bigint      not null default -1,
    issued_at        timestamptz,
    -- The first call, and the wait it ended (arrival to first call, ms): a recall, or a call
    -- in the group it was transferred to, keeps the first call's wait.
    first_called_at  timestamptz,
    wait_ms          bigint,
    -- First call to the start of service (the walk to the window), and the service (ms).
    started_at       timestamptz,
    walk_ms          bigint,
    finished_at      timestamptz,
    service_ms       bigint,
    -- Called and never came (过号).
    absent_at        timestamptz,
    -- Given up before it was called.
    cancelled_at     timestamptz,
    -- The last time it was sent on to another group.
    transferred_at   timestamptz
);

create index hall_tickets_day on hall_tickets (day, region_code text_pattern_ops);

-- A booking (预约), counted on its slot's day: of the period's slots, how many were booked,
-- checked in, cancelled, missed (爽约).
create table hall_appointments (
    appointment_id   uuid        primary key,
    region_code      text        not null default '',
    group_id         uuid,
    -- The offset of the event the descriptive fields came from.
    ref_offset       bigint      not null default -1,
    item_code        text        not null default '',
    day              date,
    starts_at        timestamptz,
    -- online or window (a clerk booking for a caller).
    channel          text        not null default '',
    booked_at        timestamptz,
    cancelled_at     timestamptz,
    checked_in_at    timestamptz,
    -- The ticket the check-in gave.
    ticket_id        uuid,
    missed_at        timestamptz,
    -- This no-show suspended the person's booking at the centre until then.
    suspended_until  timestamptz
);

create index hall_appointments_day on hall_appointments (day, region_code text_pattern_ops);

-- Names for the windows, from their calls (the board's name, e.g. "3号窗口"): the newest call
-- names it, so a renamed window shows its new name.
create table hall_windows (
    window_id        uuid        primary key,
    region_code      text        not null,
    group_id         uuid        not null,
    name             text        not null,
    named_at         timestamptz not null
);

-- The window groups' ticket letters, from the tickets issued in them (the newest names it).
-- The group's own name is the hall's (its public set-up); the letter is what the events say.
create table hall_groups (
    group_id         uuid        primary key,
    region_code      text        not null,
    letter           text        not null,
    named_at         timestamptz not null
);
