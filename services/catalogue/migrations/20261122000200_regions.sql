-- Administrative divisions (NBS 2023, province to town), loaded from the data shipped with the
-- service. The parent is stored explicitly: special zones do not always nest by code prefix.
create table regions (
    code        char(12) primary key,
    name        text     not null,
    level       text     not null check (level in ('province', 'city', 'county', 'town', 'village')),
    parent_code char(12) references regions (code)
);

create index regions_parent on regions (parent_code, code);
