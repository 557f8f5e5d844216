-- Approval's projection of the catalogue's item versions: the process steps a work item follows.
create table item_steps (
    implementation_code    text        not null,
    version                int         not null,
    name                   text        not null,
    region_code            text        not null,
    department_credit_code text        not null,
    -- [{name, role, time_limit: {value, unit}}]
    steps                  jsonb       not null,
    primary key (implementation_code, version)
);

-- Work items (办件 in the back office): one per accepted case of an item, or per part of a
-- bundle application, in the handling region and department the item names.
create table work_items (
    case_id                uuid        primary key,
    case_number            text        not null,
    kind                   text        not null check (kind in ('item', 'part')),
    parent_case_id         uuid,
    implementation_code    text        not null,
    item_version           int         not null,
    item_name              text        not null,
    receiving_region       text        not null,
    handling_region        text        not null,
    department_credit_code text        not null,
    -- The steps of the pinned version, copied so a later version changes nothing here.
    steps                  jsonb       not null,
    current_step           int         not null default 0,
    status                 text        not null default 'open' check (status in ('open')),
    due_date               date,
    accepted_at            timestamptz not null,
    created_at             timestamptz not null default now()
);

create index work_items_queue on work_items (handling_region, status, due_date);
