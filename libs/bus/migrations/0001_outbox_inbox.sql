-- The event backbone's tables, created in every service's own schema.
-- Versions 1-999 belong to the bus; services number their migrations by timestamp.

-- Transactional outbox: a state change and the event describing it commit together; the relay
-- publishes rows in `seq` order and stamps `sent_at`.
create table outbox (
    seq         bigserial primary key,
    -- CloudEvents ce_id (UUIDv7); consumers deduplicate on it.
    id          uuid        not null unique,
    topic       text        not null,
    -- Kafka key: the aggregate id, so one aggregate's events keep their order.
    key         text        not null,
    ce_type     text        not null,
    ce_source   text        not null,
    ce_subject  text,
    -- Region codes the event concerns, so the province can route without decoding payloads.
    regions     text[]      not null default '{}',
    -- Extra headers captured at enqueue time: W3C traceparent/tracestate.
    headers     jsonb       not null default '{}',
    payload     bytea       not null,
    created_at  timestamptz not null default now(),
    sent_at     timestamptz
);

-- The relay only ever looks for what it has not sent yet.
create index outbox_unsent on outbox (seq) where sent_at is null;

-- Wake the relay as soon as a row commits (notifications are delivered at commit); it polls too,
-- so a lost notification only delays.
create function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('tongban_outbox_' || tg_table_schema, '');
    return null;
end $$;

create trigger outbox_notify after insert on outbox
    for each statement execute function outbox_notify();

-- Inbox: (consumer, event id) recorded in the same transaction as the event's effect, so a
-- redelivered event changes nothing.
create table inbox (
    consumer     text        not null,
    event_id     uuid        not null,
    topic        text        not null,
    "partition"  integer     not null,
    "offset"     bigint      not null,
    -- The trace that applied the event, to find its logs and spans.
    trace_id     text,
    received_at  timestamptz not null default now(),
    primary key (consumer, event_id)
);
