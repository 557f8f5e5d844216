-- Separation-of-duties exceptions (libs/duties): identity's exceptions for named service
-- centres, kept from the identity topic, and every action taken under one (counted for
-- supervisors, written in the action's transaction).
create table duty_exceptions (
    exception_id uuid primary key,
    -- The centre's 12-digit region code.
    region_code  text        not null,
    reason       text        not null,
    granted_at   timestamptz not null,
    revoked_at   timestamptz
);
create index duty_exceptions_of on duty_exceptions (region_code) where revoked_at is null;

create table duty_exception_uses (
    id           bigserial primary key,
    exception_id uuid        not null references duty_exceptions (exception_id),
    region_code  text        not null,
    -- The rule set aside: acceptor_does_not_approve, one_step_per_person, own_remediation.
    rule         text        not null,
    -- The case (approval) or remediation (acceptance) acted on, and its case number.
    subject_id   uuid        not null,
    reference    text        not null,
    action       text        not null,
    actor        uuid        not null,
    at           timestamptz not null
);
create index duty_exception_uses_by_region on duty_exception_uses (region_code, at);
