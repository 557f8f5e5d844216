-- 通办 agreements (通办事项清单): which items other regions may collect cases for, in which mode,
-- from when until when. Checked when a case is received away from the item's own region.

-- The catalogue's items as far as agreements need them (fed by tongban.catalogue.v1): the
-- region that handles each and whether it is in force.
create table items (
    implementation_code text primary key,
    item_id             uuid        not null,
    name                text        not null,
    region_code         text        not null,
    department_credit_code text     not null,
    version             int         not null,
    in_force            boolean     not null
);

create table agreements (
    id                 uuid primary key,
    title              text        not null,
    mode               text        not null check (mode in ('online', 'collect_elsewhere', 'joint')),
    -- The widest reach between the regions involved (computed from them).
    scope              text        not null check (scope in ('county', 'city', 'province', 'cross_province')),
    collecting_regions text[]      not null,
    effective_from     date        not null,
    -- Inclusive; null while open-ended.
    effective_until    date,
    proposed_by        uuid        not null,
    proposed_at        timestamptz not null,
    -- Set when every region involved has signed: from then on it applies.
    concluded_at       timestamptz,
    terminated_by      uuid,
    terminated_at      timestamptz,
    termination_reason text,
    check (effective_until is null or effective_until >= effective_from)
);

create table agreement_items (
    agreement_id        uuid not null references agreements (id),
    implementation_code text not null,
    -- The handling region, as the item was when the agreement was made.
    region_code         text not null,
    name                text not null,
    primary key (agreement_id, implementation_code)
);
create index agreement_items_code on agreement_items (implementation_code);

-- Every region involved (each collecting region, each item's region) signs, by a catalogue
-- administrator covering it: a province-wide administrator signs for its whole province at
-- once; a cross-province agreement needs each province's signature.
create table agreement_signatures (
    agreement_id uuid        not null references agreements (id),
    region_code  text        not null,
    signed_by    uuid,
    signed_at    timestamptz,
    primary key (agreement_id, region_code)
);
