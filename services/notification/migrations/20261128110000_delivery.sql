-- Delivery through channels other than the inbox: attempts with back-off, and partner systems
-- that receive events as signed webhooks.

alter table messages
    add column attempts        int  not null default 0,
    -- When a sender may (re)try it. A sender claims a message by moving this past a lease, so a
    -- sender that dies mid-send leaves it to be tried again.
    add column next_attempt_at timestamptz,
    add column sent_at         timestamptz,
    add column last_error      text;
update messages set next_attempt_at = created_at where status in ('queued', 'failed_temporary');
create index messages_due on messages (next_attempt_at) where status in ('queued', 'failed_temporary');

-- Every attempt of every message, for the operators and the province.
create table delivery_attempts (
    message_id uuid        not null references messages (id),
    attempt    int         not null,
    at         timestamptz not null,
    -- sent, delivered, failed_temporary or failed_permanent.
    outcome    text        not null,
    detail     text        not null default '',
    primary key (message_id, attempt)
);

-- Partner systems subscribed to kinds of events, each called with the event signed by its own
-- secret (HMAC-SHA256). The secret is kept readable: it signs every call.
create table webhooks (
    id          uuid primary key,
    name        text        not null,
    url         text        not null,
    secret      text        not null,
    event_types text[]      not null,
    enabled     boolean     not null default true,
    created_by  uuid,
    created_at  timestamptz not null default now()
);

-- What the applicant must act on also goes by text: the correction notice, the refusal, the
-- decision.
update rules set channels = '{inbox,sms}'
where template in ('correction_requested', 'case_refused', 'case_concluded');

-- skipped: the channel does not apply to the recipient (no e-mail address given).
alter table messages drop constraint messages_status_check;
alter table messages add constraint messages_status_check check (status in
    ('queued', 'sent', 'delivered', 'failed_temporary', 'failed_permanent', 'skipped'));

-- ... and by e-mail, for applicants who gave an address.
update rules set channels = '{inbox,sms,email}'
where template in ('correction_requested', 'case_refused', 'case_concluded');

-- The acceptance (with its due date) is worth a text too; it is not urgent, so it waits out the
-- quiet hours and the recipient's hourly limit.
update rules set channels = '{inbox,sms}' where template = 'case_accepted';
