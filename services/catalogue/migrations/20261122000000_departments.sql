-- Departments (部门): the bodies that implement service items in a region.
create table departments (
    id          uuid primary key,
    -- 12-digit NBS code; the region tree itself arrives with the catalogue's region import.
    region_code char(12)    not null,
    name        text        not null,
    -- Unified social credit code (GB 32100): one department, one code, nationwide.
    credit_code char(18)    not null,
    created_at  timestamptz not null default now(),
    constraint departments_credit_code_key unique (credit_code),
    constraint departments_region_name_key unique (region_code, name)
);

create index departments_region on departments (region_code, name);
