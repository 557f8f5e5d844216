-- Code lists that DOMAIN.md marks as local: kept as data, so a province can add its own codes
-- without a release. `reach` says how far a 通办 scope extends (only tongban_scope rows have one).
create table code_lists (
    list     text not null,
    code     text not null,
    name     text not null,
    name_en  text not null,
    position int  not null default 0,
    reach    text check (reach in ('self', 'county', 'city', 'province', 'listed')),
    primary key (list, code),
    constraint code_lists_reach check ((list = 'tongban_scope') = (reach is not null))
);

insert into code_lists (list, code, name, name_en, position, reach) values
    ('item_type', 'administrative_licence',      '行政许可',     'administrative licence',      1, null),
    ('item_type', 'administrative_confirmation', '行政确认',     'administrative confirmation', 2, null),
    ('item_type', 'administrative_adjudication', '行政裁决',     'administrative adjudication', 3, null),
    ('item_type', 'administrative_payment',      '行政给付',     'administrative payment',      4, null),
    ('item_type', 'administrative_reward',       '行政奖励',     'administrative reward',       5, null),
    ('item_type', 'administrative_filing',       '行政备案',     'administrative filing',       6, null),
    ('item_type', 'other_power',                 '其他行政权力', 'other administrative power',  7, null),
    ('item_type', 'public_service',              '公共服务',     'public service',              8, null),
    ('online_depth', 'consult',       '咨询',         'consultation online',        1, null),
    ('online_depth', 'collect',       '收件',         'materials collected online', 2, null),
    ('online_depth', 'precheck',      '预审',         'pre-checked online',         3, null),
    ('online_depth', 'accept',        '受理',         'accepted online',            4, null),
    ('online_depth', 'handle',        '办理',         'handled online',             5, null),
    ('online_depth', 'feedback',      '结果反馈',     'result returned online',     6, null),
    ('online_depth', 'e_certificate', '电子证照反馈', 'e-certificate issued',       7, null),
    ('tongban_scope', 'none',           '不通办',   'at the implementing hall only', 1, 'self'),
    ('tongban_scope', 'county',         '县域通办', 'anywhere in the county',        2, 'county'),
    ('tongban_scope', 'city',           '市域通办', 'anywhere in the city',          3, 'city'),
    ('tongban_scope', 'province',       '全省通办', 'anywhere in the province',      4, 'province'),
    ('tongban_scope', 'cross_province', '跨省通办', 'in the listed regions too',     5, 'listed');

-- The province's basic catalogue (基本目录): 主项 → 子项, each with its business handling items
-- (业务办理项: new, change, renewal, cancellation). Name, code, type, supervising department
-- and legal basis are the same in every region that implements the item.
create table basic_items (
    code                   text    primary key,
    province_code          text    not null references regions (code),
    parent_code            text    references basic_items (code),
    name                   text        not null,
    aliases                text[]      not null default '{}',
    item_type              text        not null,
    legal_basis            text        not null,
    supervising_department text        not null,
    -- [{number, kind, name}], small and always read with the item.
    handling_items         jsonb       not null default '[]',
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now()
);

create index basic_items_province on basic_items (province_code, code);

-- Implementation items (实施清单事项): a basic item as one department of one region implements
-- it. The code is the department's credit code + level + basic code.
create table items (
    id              uuid        primary key,
    code            text    not null,
    basic_code      text    not null references basic_items (code),
    department_id   uuid        not null references departments (id),
    region_code     text    not null references regions (code),
    -- draft: never published; published: a version is in force; withdrawn: none is.
    status          text        not null default 'draft' check (status in ('draft', 'published', 'withdrawn')),
    current_version int,
    -- The largest material number any version used: numbers are never given to another material.
    highest_material int        not null default 0,
    created_at      timestamptz not null default now(),
    constraint items_code_key unique (code)
);

create index items_region on items (region_code, status);

-- Versions. A version is a draft until published; from then on its content never changes (the
-- trigger below), so a case can pin the version it was accepted under.
create table item_versions (
    item_id          uuid        not null references items (id),
    version          int         not null check (version > 0),
    status           text        not null check (status in ('draft', 'published', 'superseded', 'withdrawn')),
    spec             jsonb       not null,
    -- The basic catalogue's six common elements as they were when the version was saved.
    basic            jsonb       not null,
    name             text        not null,
    -- Keyword search (see domain::search): terms of the name, aliases and department.
    search_terms     text[]      not null,
    search_text      text        not null,
    created_by       uuid,
    created_at       timestamptz not null default now(),
    published_by     uuid,
    published_at     timestamptz,
    withdrawn_at     timestamptz,
    withdrawn_reason text,
    primary key (item_id, version)
);

create unique index item_versions_one_draft on item_versions (item_id) where status = 'draft';
create index item_versions_search on item_versions using gin (search_terms) where status = 'published';

-- Where a published item may be applied for: the subtree of root_code (or root_code alone when
-- exact), from its 通办 scope and covered regions. Rewritten on publish, removed on withdrawal.
create table item_reach (
    item_id   uuid     not null references items (id),
    root_code text not null,
    exact     boolean  not null,
    primary key (item_id, root_code)
);

create index item_reach_root on item_reach (root_code);

-- 一件事 bundles, versioned like items.
create table bundles (
    id              uuid        primary key,
    region_code     text    not null references regions (code),
    status          text        not null default 'draft' check (status in ('draft', 'published', 'withdrawn')),
    current_version int,
    created_at      timestamptz not null default now()
);

create table bundle_versions (
    bundle_id        uuid        not null references bundles (id),
    version          int         not null check (version > 0),
    status           text        not null check (status in ('draft', 'published', 'superseded', 'withdrawn')),
    spec             jsonb       not null,
    name             text        not null,
    -- Fixed at publish: the member items' versions and the combined material list.
    members          jsonb,
    materials        jsonb,
    search_terms     text[]      not null,
    created_by       uuid,
    created_at       timestamptz not null default now(),
    published_by     uuid,
    published_at     timestamptz,
    withdrawn_at     timestamptz,
    withdrawn_reason text,
    primary key (bundle_id, version)
);

create unique index bundle_versions_one_draft on bundle_versions (bundle_id) where status = 'draft';

-- A published version's content is frozen; only its status may move on (superseded, withdrawn).
create function freeze_published_version() returns trigger language plpgsql as $$
begin
    if old.status <> 'draft' and (to_jsonb(new) - 'status' - 'withdrawn_at' - 'withdrawn_reason')
                                 is distinct from (to_jsonb(old) - 'status' - 'withdrawn_at' - 'withdrawn_reason') then
        raise exception 'version % of % is published and cannot change', old.version, tg_table_name
            using errcode = 'check_violation', constraint = 'published_versions_are_frozen';
    end if;
    return new;
end $$;

create trigger item_versions_frozen before update on item_versions
    for each row execute function freeze_published_version();
create trigger bundle_versions_frozen before update on bundle_versions
    for each row execute function freeze_published_version();

create function refuse_deleting_published_version() returns trigger language plpgsql as $$
begin
    if old.status <> 'draft' then
        raise exception 'version % of % is published and cannot be deleted', old.version, tg_table_name
            using errcode = 'check_violation', constraint = 'published_versions_are_frozen';
    end if;
    return old;
end $$;

create trigger item_versions_kept before delete on item_versions
    for each row execute function refuse_deleting_published_version();
create trigger bundle_versions_kept before delete on bundle_versions
    for each row execute function refuse_deleting_published_version();

-- The national working-day calendar (holidays and 调休 working weekends) by year, and each
-- service centre's closures. A year is known once it is listed in calendar_years, even if
-- (improbably) it has no exceptional day.
create table calendar_years (
    year       int         primary key,
    source     text        not null,
    updated_at timestamptz not null default now()
);

create table calendar_days (
    date    date not null primary key,
    kind    text not null check (kind in ('holiday', 'workday')),
    note    text not null default ''
);

create table calendar_closures (
    region_code text    not null references regions (code),
    date        date        not null,
    reason      text        not null,
    created_at  timestamptz not null default now(),
    primary key (region_code, date)
);
