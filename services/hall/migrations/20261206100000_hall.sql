-- The hall (大厅): a service centre's window groups and windows, its opening hours and rules,
-- and the queue of tickets its windows call (取号、叫号).

-- A service centre: the hall of a region (its 政务服务中心), identified by the region's code,
-- with the rules real halls set locally (DOMAIN.md "Appointments and queues").
create table centres (
    region_code           text primary key,
    name                  text        not null,
    -- Opening hours of a working day (the region's calendar says which days work).
    opens_at              time        not null,
    closes_at             time        not null check (opens_at < closes_at),
    -- Booking: from the next working day up to this many working days ahead.
    book_ahead_days       int         not null check (book_ahead_days between 1 and 30),
    -- A booking may be cancelled until this many minutes before its slot.
    cancel_before_minutes int         not null check (cancel_before_minutes between 0 and 10080),
    -- This many no-shows within the window suspend booking for suspension_days.
    no_show_limit         int         not null check (no_show_limit between 1 and 100),
    no_show_window_days   int         not null check (no_show_window_days between 1 and 365),
    suspension_days       int         not null check (suspension_days between 0 and 365),
    -- A slot held while the booking form is filled in is let go after this many minutes.
    hold_minutes          int         not null check (hold_minutes between 1 and 120),
    -- Green channel (绿色通道): a ticket's weight by its priority; higher is called first
    -- among the tickets not due by appointment.
    weight_elderly        int         not null check (weight_elderly between 0 and 100),
    weight_disabled       int         not null check (weight_disabled between 0 and 100),
    weight_pregnant       int         not null check (weight_pregnant between 0 and 100),
    updated_by            uuid        not null,
    updated_at            timestamptz not null
);

-- Window groups (综合窗口, 不动产, 公安 ...): the items each serves, its ticket letter, and
-- the slots appointments are booked in.
create table window_groups (
    id            uuid primary key,
    region_code   text        not null references centres (region_code),
    letter        text        not null check (letter ~ '^[A-Z]$'),
    name          text        not null,
    -- Implementation codes of the items the group serves.
    items         text[]      not null default '{}',
    slot_minutes  int         not null check (slot_minutes between 5 and 240),
    slot_capacity int         not null check (slot_capacity between 1 and 1000),
    active        boolean     not null default true,
    unique (region_code, letter),
    unique (region_code, name)
);

create index window_groups_items on window_groups using gin (items);

create table windows (
    id          uuid primary key,
    region_code text    not null references centres (region_code),
    group_id    uuid    not null references window_groups (id),
    -- What the board shows (3号窗口).
    name        text    not null,
    active      boolean not null default true,
    unique (region_code, name)
);

-- The last serial given in a group on a day: ticket A012 is the twelfth of group A that day.
create table ticket_serials (
    group_id uuid not null references window_groups (id),
    day      date not null,
    last     int  not null,
    primary key (group_id, day)
);

-- Tickets (号): a walk-in's, or a booking's once checked in. Called in the order of
-- queue::order: appointments due, then weight, then arrival.
create table tickets (
    id             uuid primary key,
    region_code    text        not null references centres (region_code),
    group_id       uuid        not null references window_groups (id),
    day            date        not null,
    number         text        not null,
    -- The booking it came from; its slot's start makes it due.
    appointment_id uuid unique,
    due_at         timestamptz,
    -- The account of the person, when known (a booking, or a clerk's lookup).
    person_id      uuid,
    item_code      text,
    priority       text        not null check (priority in ('none', 'elderly', 'disabled', 'pregnant')),
    weight         int         not null,
    status         text        not null check (status in ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')),
    arrived_at     timestamptz not null,
    window_id      uuid references windows (id),
    clerk_id       uuid,
    called_at      timestamptz,
    calls          int         not null default 0,
    started_at     timestamptz,
    finished_at    timestamptz,
    -- The group it was transferred from, last.
    transferred_from uuid references window_groups (id),
    -- The visit acceptance recorded when it was finished (rated once at the window).
    visit_id       uuid,
    case_id        uuid,
    -- The states the queue's indexes are partial on, as columns: a statement compares them
    -- to nothing (a bound state would keep the planner from the partial indexes).
    waiting        boolean generated always as (status = 'waiting') stored,
    at_window      boolean generated always as (status in ('called', 'serving')) stored,
    unique (region_code, day, number)
);

-- "Call next": the due appointments of a group, then its waiting tickets by weight and
-- arrival, each an index walk that stops at the first unlocked row.
create index tickets_due on tickets (group_id, day, due_at) where waiting and due_at is not null;
create index tickets_waiting on tickets (group_id, day, weight desc, arrived_at, id) where waiting;
-- A window's ticket in hand (called or being served), and the board's recent calls.
create unique index tickets_at_window on tickets (window_id) where at_window;
create index tickets_called on tickets (region_code, called_at desc) where called_at is not null;

-- Working days (the catalogue's CalendarChanged, as the other services keep them): bookings
-- are made on a centre's working days.
create table calendar_days (
    region_code text not null,
    date        date not null,
    kind        text not null check (kind in ('holiday', 'workday', 'closure')),
    note        text not null default '',
    primary key (region_code, date)
);

create table calendar_years (
    region_code text not null,
    year        int  not null,
    primary key (region_code, year)
);
