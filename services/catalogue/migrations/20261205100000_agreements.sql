-- The catalogue's projection of the 通办 agreements (libs/agreements, fed by
-- tongban.crossregion.v1), so a search by region also finds the items of other regions that an
-- agreement lets a hall there collect (跨域通办). The crossregion service owns them; these rows
-- are written only by the consumer, in the transaction of its inbox row.
create table agreements (
    id                 uuid primary key,
    -- online, collect_elsewhere or joint.
    mode               text   not null,
    -- Where cases may be collected, each with the regions below it: a search asks for the
    -- regions of its lineage, through the GIN index.
    collecting_regions text[] not null,
    effective_from     date   not null,
    -- Inclusive; null while open-ended.
    effective_until    date
);
create index agreements_collecting on agreements using gin (collecting_regions);

create table agreement_items (
    agreement_id        uuid not null references agreements (id),
    -- An item's 31-character code; kept even if the catalogue does not (yet) know the item.
    implementation_code text not null,
    primary key (agreement_id, implementation_code)
);
