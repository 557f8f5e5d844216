-- The provincial statistics (办件量, 按期办结率, 办理时长, 跑动次数, 跨域办件, 好评率), kept from the
-- event streams alone: one row per case, transfer and rating, written so that the events of
-- different topics may arrive in any order and any event may come twice. Everything here can
-- be thrown away and rebuilt by reading the topics from the start (`tongban insight rebuild`).

-- Which consumer group feeds the tables: a rebuild empties them and moves to a new group,
-- which reads every topic from its first retained event. The group's name carries an id new
-- with the schema and with every rebuild, so a schema made again or restored from a backup
-- never resumes a group an earlier one left behind.
create table feed (
    id          boolean     primary key default true check (id),
    feed_id     uuid        not null default gen_random_uuid(),
    generation  int         not null default 1,
    rebuilt_at  timestamptz,
    -- When the newest event applied happened (the statistics are as of then).
    as_of       timestamptz
);
insert into feed default values;

-- Names for the dimensions, from tongban.catalogue.v1 (the newest version's name).
create table items (
    implementation_code text        primary key,
    version             int         not null,
    name                text        not null,
    department_id       uuid,
    region_code         text        not null
);

create table departments (
    id          uuid primary key,
    name        text not null,
    region_code text not null
);

-- A case (办件) as the events tell it. Acceptance's events carry the case's descriptive fields
-- and its status, in order per case (one partition): `status_offset` keeps the offset of the
-- event the status came from, so an older event arriving again changes nothing. Approval's
-- conclusion and crossregion's rejection arrive on other topics and are kept in columns of their
-- own; the status shown combines them (see db::statistics::STATUS).
create table cases (
    case_id             uuid        primary key,
    case_number         text,
    -- item, bundle (a 一件事 application) or part (a member item of one, handled on its own).
    kind                text        not null default 'item',
    parent_case_id      uuid,
    implementation_code text        not null default '',
    receiving_region    text        not null default '',
    handling_region     text        not null default '',
    channel             text        not null default '',
    mode                text        not null default 'local',
    applicant_kind      text        not null default '',
    status              text        not null default 'submitted',
    status_offset       bigint      not null default -1,
    -- China local dates (UTC+8) of the first submission and of the (last) acceptance.
    submitted_on        date,
    accepted_on         date,
    accepted_round      int         not null default 0,
    -- The last round a transfer of it was rejected in (the case went back to the window).
    returned_round      int         not null default 0,
    due_date            date,
    -- Approval raised the red flag: the due date passed without a decision.
    overdue             boolean     not null default false,
    concluded_at        timestamptz,
    concluded_on        date,
    decision            text,
    on_time             boolean,
    working_days_used   int,
    delivered_at        timestamptz,
    -- Visits to a hall so far (最多跑一次).
    visits              int         not null default 0
);

create index cases_submitted on cases (submitted_on, handling_region text_pattern_ops);
create index cases_submitted_receiving on cases (submitted_on, receiving_region text_pattern_ops);
create index cases_accepted on cases (accepted_on);
create index cases_concluded on cases (concluded_on);
create index cases_overdue on cases (handling_region text_pattern_ops) where overdue and concluded_at is null;

-- A transfer between a receiving and a handling region (异地代收代办, 多地联办).
create table transfers (
    transfer_id       uuid        primary key,
    case_id           uuid        not null,
    round             int         not null default 1,
    implementation_code text      not null default '',
    mode              text        not null default '',
    receiving_region  text        not null default '',
    handling_region   text        not null default '',
    sent_at           timestamptz,
    sent_on           date,
    -- accepted or rejected, when the handling region answered; on time by its deadline.
    response          text,
    responded_at      timestamptz,
    response_on_time  boolean,
    returned_at       timestamptz,
    completed_at      timestamptz,
    completed_on_time boolean
);

create index transfers_sent on transfers (sent_on);

-- A rating (好差评): the newest revision of each.
create table ratings (
    rating_id           uuid        primary key,
    revision            int         not null,
    case_id             uuid,
    channel             text        not null,
    level               int         not null check (level between 1 and 5),
    region_code         text        not null,
    department_id       uuid,
    implementation_code text        not null default '',
    rated_at            timestamptz not null,
    rated_on            date        not null
);

create index ratings_rated on ratings (rated_on, region_code text_pattern_ops);
