-- Cases (办件) from draft to the acceptance decision. A case pins the item version it was
-- submitted under; its number is given at the first submission.
create table cases (
    id                  uuid        primary key,
    number              text,
    -- item: one item; bundle: a 一件事 application (it holds the combined materials and the
    -- decisions); part: one member item of a bundle application, handled by its department.
    kind                text        not null default 'item' check (kind in ('item', 'bundle', 'part')),
    parent_id           uuid        references cases (id),
    bundle_id           uuid,
    bundle_version      int,
    -- For a bundle, its lead item (the lead department's member): the number is built from it.
    implementation_code text        not null,
    item_version        int         not null,
    -- Where the case was received and where it is handled (12-digit NBS codes).
    receiving_region    text        not null,
    handling_region     text        not null,
    channel             text        not null check (channel in ('online', 'window')),
    -- The applicant's account; none for a window applicant without one (they follow the case
    -- with the number and query password on the receipt).
    applicant_id        uuid,
    applicant_kind      text        not null check (applicant_kind in ('citizen', 'enterprise')),
    -- For window applicants: the name and the masked document (ID card, credit code) shown.
    applicant_name      text,
    applicant_document  text,
    -- The staff member who entered it for the applicant (帮代办).
    entered_by          uuid,
    status              text        not null check (status in
                            ('draft', 'submitted', 'needs_correction', 'accepted', 'refused', 'withdrawn',
                             'concluded', 'delivered')),
    -- How often it was submitted: a second time only after the one correction notice.
    submissions         int         not null default 0,
    -- Times the applicant came to a hall for this case (最多跑一次 made measurable).
    visits              int         not null default 0,
    -- The applicant's form, as the item's form asks (free JSON for now).
    form                jsonb       not null default '{}',
    -- The query password printed on the receipt with the number (查询密码). Kept readable
    -- because a receipt must be reprintable, as paper ones are; it grants only a read of the
    -- case's progress, and the row is visible only to the applicant and staff in scope.
    query_password      text,
    due_date            date,
    due_date_provisional boolean    not null default false,
    -- The client's Idempotency-Key of the request that created it, per applicant.
    idempotency_key     text,
    created_at          timestamptz not null default now(),
    submitted_at        timestamptz,
    decided_at          timestamptz,
    decided_by          uuid,
    refusal_reason      text,
    withdrawal_reason   text,
    -- Approval's conclusion (办结): approved or refused, and when.
    conclusion          text        check (conclusion in ('approved', 'refused')),
    conclusion_reason   text,
    concluded_at        timestamptz,
    -- The results issued: [{name, certificate_id}].
    results             jsonb       not null default '[]',
    -- How the result went out: {method, carrier, tracking_number}.
    delivery            jsonb,
    delivered_at        timestamptz,
    constraint cases_number_key unique (number),
    foreign key (implementation_code, item_version) references item_versions (implementation_code, version)
);

-- An Idempotency-Key is the applicant's own, or the entering clerk's for a window applicant
-- without an account.
create unique index cases_idempotency_key on cases (coalesce(applicant_id, entered_by), idempotency_key);
create index cases_applicant on cases (applicant_id, created_at desc);
create index cases_queue on cases (handling_region, status, submitted_at);
create index cases_parts on cases (parent_id) where parent_id is not null;

-- The last case number handed out per item and day: a row lock per (item, day) makes numbers
-- unique under any concurrency without a global sequence.
create table case_number_sequences (
    implementation_code text not null,
    day                 date not null,
    last                int  not null,
    primary key (implementation_code, day)
);

-- Files the applicant provides for a material of the case.
create table attachments (
    id            uuid        primary key,
    case_id       uuid        not null references cases (id),
    material_code text        not null,
    filename      text        not null,
    content_type  text        not null,
    size          int         not null,
    sha256        text        not null,
    content       bytea       not null,
    uploaded_by   uuid        not null,
    uploaded_at   timestamptz not null default now(),
    constraint attachments_one_per_material unique (case_id, material_code)
);

-- Materials accepted as missing against a commitment (容缺受理), until supplied.
create table deferred_materials (
    case_id       uuid not null references cases (id),
    material_code text not null,
    deadline      date not null,
    -- The applicant's written commitment to supply it (书面承诺).
    commitment    text not null,
    supplied_at   timestamptz,
    -- Set by the overdue sweep when the deadline passed unsupplied (flagged and reported).
    overdue_at    timestamptz,
    primary key (case_id, material_code)
);

create index deferred_materials_open on deferred_materials (deadline) where supplied_at is null and overdue_at is null;

-- The one-time correction notice (一次性告知): one per case.
create table correction_notices (
    case_id      uuid        primary key references cases (id),
    -- [{material_code, reason}]
    items        jsonb       not null,
    requested_by uuid        not null,
    requested_at timestamptz not null default now()
);

-- Append-only history of every transition, for the applicant and the staff in scope.
create table case_history (
    case_id    uuid        not null references cases (id),
    seq        bigserial,
    at         timestamptz not null default now(),
    actor      uuid,
    action     text        not null,
    from_status text,
    to_status  text        not null,
    detail     jsonb       not null default '{}',
    primary key (case_id, seq)
);

create function refuse_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'case history is append-only' using errcode = 'check_violation';
end $$;

create trigger case_history_append_only before update or delete on case_history
    for each row execute function refuse_history_change();
