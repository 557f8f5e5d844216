-- Acceptance's projection of the catalogue, fed by tongban.catalogue.v1: a case is checked against
-- the item version in force when it is submitted, and keeps that version for its whole life, so
-- every published version is kept.
create table item_versions (
    implementation_code    text        not null,
    version                int         not null,
    item_id                uuid        not null,
    name                   text        not null,
    region_code            text        not null,
    department_credit_code text        not null,
    -- immediate | promised, and the promised limit.
    kind                   text        not null,
    promised_value         int         not null,
    promised_unit          text        not null,
    visits_required        int         not null,
    tongban_scope          text        not null,
    covered_regions        text[]      not null,
    -- [{code, name, kind, source, necessity, originals, copies, certificate_type}]
    materials              jsonb       not null,
    -- [{name, role, time_limit: {value, unit}}] and [{name, kind, e_certificate}]
    steps                  jsonb       not null,
    results                jsonb       not null,
    -- Where it may be applied for: [{root_code, exact}] (exact: that region only).
    reach                  jsonb       not null,
    published_at           timestamptz not null,
    primary key (implementation_code, version)
);

-- The version in force of each item offered; removed when the item is withdrawn.
create table offered_items (
    implementation_code text primary key,
    version             int  not null
);

create table bundle_versions (
    bundle_id                   uuid        not null,
    version                     int         not null,
    name                        text        not null,
    region_code                 text        not null,
    lead_department_credit_code text        not null,
    -- [{implementation_code, version, department_credit_code, region_code}]
    members                     jsonb       not null,
    -- [{name, kind, source, necessity, originals, copies, certificate_type, used_by}]
    materials                   jsonb       not null,
    published_at                timestamptz not null,
    primary key (bundle_id, version)
);

create table offered_bundles (
    bundle_id uuid primary key,
    version   int  not null
);

-- Working days: the national calendar (region_code '') and service-centre closures, replaced a
-- year at a time as CalendarChanged events arrive.
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
