-- Notification: rules turn the platform's events into messages for their recipients, rendered
-- from versioned templates, one per (event, recipient, channel).

-- Message templates, per event kind and locale, versioned: a save adds a version, the highest
-- is in use; a message records the version it was rendered from. The variables a template may
-- use are those its event kind provides (checked when it is saved).
create table templates (
    key        text        not null,
    locale     text        not null check (locale in ('zh-CN', 'en')),
    version    int         not null,
    subject    text        not null,
    body       text        not null,
    saved_by   uuid,
    saved_at   timestamptz not null default now(),
    primary key (key, locale, version)
);

-- Which event kind reaches whom through which channels. Recipients: applicant (the case's
-- account), handlers (approvers over the handling region and the item's department),
-- handling_clerks / receiving_clerks (window clerks over that side), supervisors /
-- receiving_supervisors (supervisors over that side).
create table rules (
    id          uuid primary key,
    event_type  text    not null,
    template    text    not null,
    recipients  text[]  not null,
    channels    text[]  not null,
    -- Urgent messages are sent at any hour; the others wait out quiet hours on SMS.
    urgent      boolean not null default false,
    enabled     boolean not null default true,
    unique (event_type, template)
);

-- The staff's role bindings (fed by tongban.identity.v1), to resolve recipients such as "the
-- department's approvers" or "the county's supervisors". region_prefix is the region code cut
-- to its level: a binding covers every region whose code starts with it.
create table role_bindings (
    binding_id    uuid primary key,
    account_id    uuid not null,
    role          text not null,
    region_code   text not null,
    region_prefix text not null,
    department_id uuid
);
create index role_bindings_role on role_bindings (role, region_prefix);

-- Cases as far as recipients need them (fed by acceptance's events): approval's and the
-- crossregion service's events name a case, not its applicant.
create table cases (
    case_id          uuid primary key,
    case_number      text not null default '',
    applicant_id     uuid,
    entered_by       uuid,
    receiving_region text not null,
    handling_region  text not null
);

-- Item names for messages (fed by the catalogue's ItemPublished).
create table items (
    implementation_code text primary key,
    name                text not null,
    version             int  not null
);

-- One message per (event, recipient, channel): a redelivered event finds its messages made.
create table messages (
    id               uuid primary key,
    event_id         uuid        not null,
    event_type       text        not null,
    case_id          uuid,
    recipient_id     uuid        not null,
    channel          text        not null check (channel in ('inbox', 'sms', 'email', 'webhook')),
    template         text        not null,
    template_version int         not null,
    locale           text        not null,
    subject          text        not null,
    body             text        not null,
    urgent           boolean     not null default false,
    -- queued, sent, delivered, failed_temporary (retried), failed_permanent. An inbox message
    -- is delivered when stored.
    status           text        not null check (status in
        ('queued', 'sent', 'delivered', 'failed_temporary', 'failed_permanent')),
    created_at       timestamptz not null,
    delivered_at     timestamptz,
    -- In-app inbox: when the recipient read it.
    read_at          timestamptz,
    constraint messages_once unique (event_id, recipient_id, channel)
);
create index messages_inbox on messages (recipient_id, created_at desc, id desc) where channel = 'inbox';
create index messages_unread on messages (recipient_id) where channel = 'inbox' and read_at is null;

-- The rules the platform starts with (zh-CN and en templates below); administrators change the
-- templates, the rules stay as shipped for now.
insert into rules (id, event_type, template, recipients, channels, urgent) values
    ('01930000-0000-7000-8000-000000000001', 'cn.tongban.acceptance.case_accepted.v1', 'case_accepted', '{applicant}', '{inbox}', false),
    ('01930000-0000-7000-8000-000000000002', 'cn.tongban.acceptance.correction_requested.v1', 'correction_requested', '{applicant}', '{inbox}', true),
    ('01930000-0000-7000-8000-000000000003', 'cn.tongban.acceptance.case_refused.v1', 'case_refused', '{applicant}', '{inbox}', true),
    ('01930000-0000-7000-8000-000000000004', 'cn.tongban.approval.case_concluded.v1', 'case_concluded', '{applicant}', '{inbox}', true),
    ('01930000-0000-7000-8000-000000000005', 'cn.tongban.acceptance.case_delivered.v1', 'case_delivered', '{applicant}', '{inbox}', false),
    ('01930000-0000-7000-8000-000000000006', 'cn.tongban.approval.work_item_opened.v1', 'work_item_opened', '{handlers}', '{inbox}', false),
    ('01930000-0000-7000-8000-000000000007', 'cn.tongban.approval.deadline_approaching.v1', 'deadline_approaching', '{handlers}', '{inbox}', true),
    ('01930000-0000-7000-8000-000000000008', 'cn.tongban.approval.case_overdue.v1', 'case_overdue', '{handlers,supervisors}', '{inbox}', true),
    ('01930000-0000-7000-8000-000000000009', 'cn.tongban.crossregion.transfer_sent.v1', 'transfer_sent', '{handling_clerks,handlers}', '{inbox}', false),
    ('01930000-0000-7000-8000-00000000000a', 'cn.tongban.crossregion.transfer_rejected.v1', 'transfer_rejected', '{receiving_clerks}', '{inbox}', true),
    ('01930000-0000-7000-8000-00000000000b', 'cn.tongban.crossregion.hand_over_overdue.v1', 'hand_over_overdue', '{supervisors,receiving_supervisors}', '{inbox}', true);

insert into templates (key, locale, version, subject, body) values
    ('case_accepted', 'zh-CN', 1, '办件已受理', '您的办件{{case_number}}（{{item_name}}）已受理，承诺办结日期{{due_date}}。'),
    ('case_accepted', 'en', 1, 'Application accepted', 'Your application {{case_number}} ({{item_name}}) was accepted and is due by {{due_date}}.'),
    ('correction_requested', 'zh-CN', 1, '请补正材料', '您的办件{{case_number}}需补正：{{items}}。请一次补齐后重新提交。'),
    ('correction_requested', 'en', 1, 'Please correct your application', 'Application {{case_number}} needs: {{items}}. Please provide everything, then submit again.'),
    ('case_refused', 'zh-CN', 1, '办件不予受理', '您的办件{{case_number}}不予受理，理由：{{reason}}。'),
    ('case_refused', 'en', 1, 'Application not accepted', 'Application {{case_number}} was not accepted: {{reason}}.'),
    ('case_concluded', 'zh-CN', 1, '办件已办结', '您的办件{{case_number}}已办结（{{decision}}）。{{reason}}'),
    ('case_concluded', 'en', 1, 'Application decided', 'Application {{case_number}} was decided ({{decision}}). {{reason}}'),
    ('case_delivered', 'zh-CN', 1, '办理结果已送达', '您的办件{{case_number}}的办理结果已送出（{{method}}）。'),
    ('case_delivered', 'en', 1, 'Result sent', 'The result of application {{case_number}} went out ({{method}}).'),
    ('work_item_opened', 'zh-CN', 1, '新办件待签收', '{{item_name}}办件{{case_number}}已到，{{due_date}}前办结。'),
    ('work_item_opened', 'en', 1, 'New case to claim', 'Case {{case_number}} ({{item_name}}) arrived; due by {{due_date}}.'),
    ('deadline_approaching', 'zh-CN', 1, '办件即将到期', '办件{{case_number}}将于{{due_date}}到期，剩余{{working_days_left}}个工作日。'),
    ('deadline_approaching', 'en', 1, 'Case due soon', 'Case {{case_number}} is due on {{due_date}}: {{working_days_left}} working days left.'),
    ('case_overdue', 'zh-CN', 1, '办件已超期', '办件{{case_number}}已超过办结期限{{due_date}}，请督办。'),
    ('case_overdue', 'en', 1, 'Case overdue', 'Case {{case_number}} passed its due date {{due_date}}.'),
    ('transfer_sent', 'zh-CN', 1, '跨域转办待接收', '{{receiving_region}}转来办件{{case_number}}，请于{{respond_by}}前接收或退回。'),
    ('transfer_sent', 'en', 1, 'Transfer to take over', 'Case {{case_number}} was transferred from {{receiving_region}}; accept or reject it by {{respond_by}}.'),
    ('transfer_rejected', 'zh-CN', 1, '跨域转办被退回', '办件{{case_number}}被{{handling_region}}退回：{{reason}}。请一次性告知申请人。'),
    ('transfer_rejected', 'en', 1, 'Transfer sent back', 'Case {{case_number}} was sent back by {{handling_region}}: {{reason}}. Tell the applicant once what to fix.'),
    ('hand_over_overdue', 'zh-CN', 1, '跨域交接超期', '办件{{case_number}}的{{hand_over}}已超过期限{{deadline}}。'),
    ('hand_over_overdue', 'en', 1, 'Hand-over overdue', 'The {{hand_over}} of case {{case_number}} passed its deadline {{deadline}}.');
