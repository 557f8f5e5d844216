-- Acceptance's projection of the 通办 agreements in force (fed by tongban.crossregion.v1): a
-- window may take a case in for an item where the item's 通办 scope reaches, or where an
-- agreement lets its region collect the item's cases.
create table agreements (
    id                 uuid primary key,
    mode               text   not null,
    collecting_regions text[] not null,
    effective_from     date   not null,
    -- Inclusive; null while open-ended.
    effective_until    date
);

create table agreement_items (
    agreement_id        uuid not null references agreements (id),
    implementation_code text not null,
    primary key (agreement_id, implementation_code)
);
create index agreement_items_code on agreement_items (implementation_code);
