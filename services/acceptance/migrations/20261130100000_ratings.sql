-- Ratings (好差评, 国办发〔2019〕51号) and the remediation of bad ones (差评整改).

-- Who handled a concluded case (谁办理谁负责): the approver who decided it, and the department.
alter table cases
    add column concluded_by           uuid,
    add column handling_department_id uuid;

-- Window visits (一次一评): a clerk records each service at the window; the visit's rating code
-- (shown on the window's rating device or as a QR code) rates it once.
create table visits (
    id          uuid primary key,
    case_id     uuid references cases (id),
    -- The hall: the case's receiving region, or the region given for a visit without a case.
    region_code text        not null,
    clerk_id    uuid        not null,
    purpose     text        not null,
    rating_code text        not null unique,
    at          timestamptz not null
);
create index visits_case on visits (case_id) where case_id is not null;

-- A rating: of a visit (window), of a concluded case (online, one per case and applicant, which
-- the applicant may change within acceptance.rating_change_hours), or a public comment.
create table ratings (
    id                  uuid primary key,
    channel             text        not null check (channel in ('window', 'online', 'public')),
    case_id             uuid references cases (id),
    visit_id            uuid unique references visits (id),
    -- The rating account; null when nobody signed in (a window device, a public comment).
    rater_id            uuid,
    -- The rater asked not to be known to the staff (then no call-back is possible).
    anonymous           boolean     not null default false,
    -- 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
    level               smallint    not null check (level between 1 and 5),
    -- {indicator: score 1-5}.
    indicators          jsonb       not null default '{}',
    comment             text        not null default '',
    -- What it concerns: the hall, the handling region, the department, the staff member, the item.
    region_code         text        not null,
    handling_region     text,
    department_id       uuid,
    staff_id            uuid,
    implementation_code text,
    revision            int         not null default 1,
    first_rated_at      timestamptz not null,
    rated_at            timestamptz not null
);
create unique index ratings_one_per_case on ratings (case_id, rater_id) where channel = 'online';
create index ratings_region on ratings (region_code, rated_at);

-- How many working days a bad rating's remediation has, per region (the nearest region above
-- with a policy applies; none: acceptance.remediation_working_days).
create table remediation_policies (
    region_code  text primary key,
    working_days int         not null check (working_days between 1 and 60),
    set_by       uuid        not null,
    set_at       timestamptz not null
);

-- The remediation of a bad rating: 待整改 (pending) → 整改中 (in_progress) → 整改完成 (fixed);
-- or asked to be judged 无效差评 (invalid) or 无法整改 (unfixable) (under_review, decided by a
-- supervisor); withdrawn when the rater changed the rating to a good one.
create table remediations (
    id                uuid primary key,
    rating_id         uuid        not null unique references ratings (id),
    case_id           uuid,
    region_code       text        not null,
    department_id     uuid,
    -- Who must act; null: the hall's clerks.
    assignee_id       uuid,
    state             text        not null check (state in
        ('pending', 'in_progress', 'under_review', 'fixed', 'invalid', 'unfixable', 'withdrawn')),
    callback_required boolean     not null,
    review_kind       text check (review_kind in ('invalid', 'unfixable')),
    review_reason     text,
    opened_at         timestamptz not null,
    due_date          date        not null,
    -- One extension, by a supervisor.
    extended_days     int,
    extension_reason  text,
    called_back_at    timestamptz,
    callback_reached  boolean,
    callback_note     text,
    closed_at         timestamptz,
    closed_by         uuid,
    close_note        text,
    overdue_at        timestamptz,
    revision          int         not null default 1
);
create index remediations_open on remediations (due_date) where closed_at is null;
create index remediations_region on remediations (region_code, opened_at desc);

create table remediation_history (
    remediation_id uuid        not null references remediations (id),
    at             timestamptz not null,
    actor          uuid,
    action         text        not null,
    detail         jsonb       not null default '{}'
);
create index remediation_history_of on remediation_history (remediation_id, at);
