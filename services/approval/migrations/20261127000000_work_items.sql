-- Approval's back office (后台分类审批): work items, their steps and clock, decisions and
-- e-certificates, with the projections of the catalogue they need.

-- The item versions cases are pinned to (fed by tongban.catalogue.v1 ItemPublished): the steps
-- a work item follows, its promised time limit and the results a decision issues.
create table item_versions (
    implementation_code    text        not null,
    version                int         not null,
    name                   text        not null,
    department_id          uuid        not null,
    department_credit_code text        not null,
    region_code            text        not null,
    -- immediate | promised, and the promised limit.
    kind                   text        not null,
    promised_value         int         not null,
    promised_unit          text        not null,
    -- [{name, role, time_limit: {value, unit}}] and [{name, kind, e_certificate}]
    steps                  jsonb       not null,
    results                jsonb       not null,
    published_at           timestamptz not null,
    primary key (implementation_code, version)
);

-- Working days: the national calendar (region_code '') and service-centre closures, replaced a
-- year at a time as CalendarChanged events arrive (the same shape as acceptance's projection).
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

-- One per accepted case or bundle part. Created from CaseAccepted; when the pinned item version
-- has not arrived yet (the catalogue's and acceptance's topics are not ordered with each
-- other) it waits in 'awaiting_item' and opens when ItemPublished comes.
create table work_items (
    case_id                   uuid primary key,
    case_number               text        not null,
    kind                      text        not null check (kind in ('item', 'part')),
    parent_case_id            uuid,
    implementation_code       text        not null,
    item_version              int         not null,
    handling_region           text        not null,
    receiving_region          text        not null,
    applicant_id              uuid,
    applicant_kind            text        not null,
    applicant_document_masked text        not null default '',
    accepted_by               uuid,
    accepted_at               timestamptz not null,
    -- China's date of acceptance: the clock counts from the day after.
    accepted_on               date        not null,
    -- Filled from the item version (null while awaiting it).
    item_name                 text,
    department_id             uuid,
    department_credit_code    text,
    limit_value               int,
    limit_unit                text,
    extension_days            int         not null default 0,
    due_date                  date,
    due_provisional           boolean     not null default false,
    -- The day the yellow warning is due (warning_working_days before due_date).
    warn_on                   date,
    state                     text        not null check (state in
        ('awaiting_item', 'in_progress', 'paused', 'approved', 'refused', 'withdrawn')),
    -- The open step (1-based); 0 while awaiting the item.
    current_step              int         not null default 0,
    warned_at                 timestamptz,
    escalated_at              timestamptz,
    reason                    text,
    decided_by                uuid,
    concluded_at              timestamptz,
    concluded_on              date,
    on_time                   boolean,
    -- Bumped by every change: a client's stale view is refused (409).
    revision                  int         not null default 1
);

-- The queue: open work of a region (and department), soonest due first; overdue ones come
-- first because their due dates are the earliest. The handling region cut to each level is a
-- column of its own, indexed with the due date, so a region's queue at any level is an index
-- walk in order that stops at the page's end.
alter table work_items
    add column handling_province text generated always as (left(handling_region, 2)) stored,
    add column handling_city     text generated always as (left(handling_region, 4)) stored,
    add column handling_county   text generated always as (left(handling_region, 6)) stored,
    add column handling_town     text generated always as (left(handling_region, 9)) stored;
create index work_items_queue_province on work_items (handling_province, due_date, case_id)
    where state in ('in_progress', 'paused');
create index work_items_queue_city on work_items (handling_city, due_date, case_id)
    where state in ('in_progress', 'paused');
create index work_items_queue_county on work_items (handling_county, due_date, case_id)
    where state in ('in_progress', 'paused');
create index work_items_queue_town on work_items (handling_town, due_date, case_id)
    where state in ('in_progress', 'paused');
create index work_items_queue_village on work_items (handling_region, due_date, case_id)
    where state in ('in_progress', 'paused');
create index work_items_department on work_items (department_id, due_date, case_id)
    where state in ('in_progress', 'paused');
-- The timers look only at running clocks.
create index work_items_warn on work_items (warn_on) where state = 'in_progress' and warned_at is null;
create index work_items_due on work_items (due_date) where state = 'in_progress' and escalated_at is null;
create index work_items_awaiting on work_items (implementation_code, item_version) where state = 'awaiting_item';
create index work_items_parent on work_items (parent_case_id) where parent_case_id is not null;

create table work_item_steps (
    case_id      uuid not null references work_items (case_id),
    position     int  not null,
    name         text not null,
    role         text not null,
    limit_value  int  not null,
    limit_unit   text not null,
    -- When the step was last opened, and when its own limit runs out from then (the case's
    -- due date is what the timers watch; a step's is for the handlers' planning).
    opened_on    date,
    due_date     date,
    -- pending: not reached; open: waiting for someone to claim it; claimed; done.
    state        text not null check (state in ('pending', 'open', 'claimed', 'done')),
    assignee     uuid,
    claimed_at   timestamptz,
    opinion      text,
    completed_by uuid,
    completed_at timestamptz,
    primary key (case_id, position)
);

-- Stretches of time the clock stood still. paused_on is the first day that does not count,
-- resumed_on the first that counts again (null while the pause lasts).
create table pauses (
    id          uuid primary key,
    case_id     uuid        not null references work_items (case_id),
    kind        text        not null check (kind in
        ('correction', 'hearing', 'inspection', 'testing', 'expert_review', 'other')),
    reason      text        not null,
    notice      text        not null,
    paused_on   date        not null,
    paused_by   uuid        not null,
    paused_at   timestamptz not null,
    resumed_on  date,
    resumed_by  uuid,
    resumed_at  timestamptz,
    paused_working_days int
);
create unique index pauses_one_open on pauses (case_id) where resumed_on is null;

create table extensions (
    id           uuid primary key,
    case_id      uuid        not null references work_items (case_id),
    working_days int         not null check (working_days > 0),
    reason       text        not null,
    approved_by  uuid        not null,
    extended_at  timestamptz not null
);

-- A 一件事 application: the parts are work items of their own departments, handled in
-- parallel (并联审批); the bundle concludes when its last part does.
create table joint_cases (
    case_id          uuid primary key,
    case_number      text        not null,
    receiving_region text        not null,
    parts            uuid[]      not null,
    accepted_at      timestamptz not null,
    concluded_at     timestamptz
);

-- Every step of every work item, for the staff in scope; append-only.
create table work_item_history (
    id         bigint generated always as identity primary key,
    case_id    uuid        not null,
    at         timestamptz not null,
    actor      uuid,
    action     text        not null,
    step       int,
    detail     jsonb       not null default '{}'
);
create index work_item_history_case on work_item_history (case_id, id);

create function refuse_work_item_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'work item history is append-only' using errcode = 'check_violation';
end $$;

create trigger work_item_history_append_only before update or delete on work_item_history
    for each row execute function refuse_work_item_history_change();

-- Each department's electronic seal (电子印章): an Ed25519 key made the first time the
-- department issues a certificate. The private key is kept in this schema (see the runbook).
create table department_seals (
    department_credit_code text primary key,
    key_id                 text        not null unique,
    private_key            bytea       not null,
    public_key             bytea       not null,
    created_at             timestamptz not null
);

-- E-certificates (电子证照): the signed document exactly as issued, and its signature.
create table certificates (
    id                     uuid primary key,
    case_id                uuid        not null references work_items (case_id),
    certificate_type       text        not null,
    holder_account_id      uuid,
    issuer_credit_code     text        not null,
    -- The canonical JSON that was signed (the verification endpoint compares against it).
    document               jsonb       not null,
    signature              text        not null,
    key_id                 text        not null,
    issued_at              timestamptz not null,
    revoked_at             timestamptz,
    revoke_reason          text
);
create index certificates_case on certificates (case_id);
