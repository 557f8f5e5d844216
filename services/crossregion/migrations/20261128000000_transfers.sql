-- Transfers (跨域通办): a case taken in at a window outside the region that decides it, or a
-- 多地联办 bundle part handled outside the region that took the bundle in, handed over from the
-- receiving to the handling region and its result back; each hand-over with a deadline in
-- working days, and the paper's postal legs.

-- The department that decides each item: a handler restricted to another department does not
-- take its transfers over.
alter table items add column department_id uuid;

-- One per case and acceptance round (a rejected transfer sends the case back; accepted again,
-- it goes out as the next round). Created from acceptance's CaseAccepted.
create table transfers (
    id                  uuid primary key,
    case_id             uuid        not null,
    case_number         text        not null,
    round               int         not null,
    kind                text        not null check (kind in ('item', 'part')),
    parent_case_id      uuid,
    mode                text        not null check (mode in ('collect_elsewhere', 'joint')),
    implementation_code text        not null,
    item_version        int         not null,
    -- From the items projection when the case arrived (null if the item was unknown then).
    item_name           text,
    department_id       uuid,
    receiving_region    text        not null,
    handling_region     text        not null,
    -- sent: awaiting the handling region; accepted: with its back office; rejected: back at the
    -- receiving window; returned: concluded, the result awaits delivery at the receiving side;
    -- delivered: the result reached the applicant.
    state               text        not null check (state in
        ('sent', 'accepted', 'rejected', 'returned', 'delivered')),
    sent_at             timestamptz not null,
    sent_on             date        not null,
    accepted_by         uuid,
    -- The case's clock as the handling region's back office runs it: the statutory due date
    -- (acceptance's promise, then approval's moves), whether it is paused, whether it ran out.
    due_date            date,
    clock_paused        boolean     not null default false,
    case_overdue        boolean     not null default false,
    -- Hand-over deadline of the handling region (its centre's working days).
    respond_by          date        not null,
    responded_by        uuid,
    responded_at        timestamptz,
    responded_on        date,
    rejection_kind      text check (rejection_kind in ('not_competent', 'materials_defective')),
    rejection_reason    text,
    -- approved or refused, when the handling region concluded.
    decision            text,
    concluded_at        timestamptz,
    -- Hand-over deadline of the receiving side (its centre's working days).
    deliver_by          date,
    delivery_method     text,
    delivered_at        timestamptz,
    delivered_on        date,
    -- Set once by the sweep when a deadline passed: escalated to the owing side's supervisors.
    response_overdue_at timestamptz,
    delivery_overdue_at timestamptz,
    -- Bumped by every change: a client's stale view is refused (409).
    revision            int         not null default 1,
    constraint transfers_case_round unique (case_id, round)
);
-- Both halls' lists: by either region at any level (the codes' prefixes), newest first.
create index transfers_receiving on transfers (receiving_region text_pattern_ops, sent_at desc);
create index transfers_handling on transfers (handling_region text_pattern_ops, sent_at desc);
create index transfers_case on transfers (case_id);
-- The sweep looks only at open hand-overs.
create index transfers_awaiting_response on transfers (respond_by)
    where state = 'sent' and response_overdue_at is null;
create index transfers_awaiting_delivery on transfers (deliver_by)
    where state = 'returned' and delivery_overdue_at is null;

-- Paper in the post: original materials to the handling region, the paper result back to the
-- receiving window, or the result to the applicant.
create table postal_legs (
    id              uuid primary key,
    transfer_id     uuid        not null references transfers (id),
    direction       text        not null check (direction in
        ('materials', 'result_to_receiving', 'result_to_applicant')),
    carrier         text        not null,
    tracking_number text        not null,
    sent_by         uuid,
    sent_at         timestamptz not null,
    received_by     uuid,
    received_at     timestamptz
);
create index postal_legs_transfer on postal_legs (transfer_id, sent_at);

-- Append-only: every hand-over of a transfer, for both halls.
create table transfer_history (
    transfer_id uuid        not null references transfers (id),
    seq         bigserial,
    at          timestamptz not null,
    actor       uuid,
    action      text        not null,
    detail      jsonb       not null default '{}',
    primary key (transfer_id, seq)
);

create function refuse_transfer_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'transfer history is append-only' using errcode = 'check_violation';
end $$;

create trigger transfer_history_append_only before update or delete on transfer_history
    for each row execute function refuse_transfer_history_change();

-- Working days for hand-over deadlines (the catalogue's CalendarChanged, as acceptance and
-- approval keep them).
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
