-- Approval's local projection of the catalogue's departments: work items are routed to a
-- department of the handling region (issue: approval workflow). Fed by tongban.catalogue.v1.
create table department_directory (
    department_id uuid primary key,
    region_code   char(12)    not null,
    name          text        not null,
    credit_code   char(18)    not null,
    registered_at timestamptz not null
);

-- Departments per region, kept incrementally as events arrive (queues and statistics group by
-- region). Applying an event twice would count a department twice: the inbox prevents it.
create table region_department_counts (
    region_code char(12) primary key,
    departments integer  not null
);
