-- Issue 25: the hall's lists, counts and search at a province's size (200,000 cases, 32 clerks
-- at once, p99 ≤ 30 ms). A region's range of codes read with a b-tree cannot be followed in
-- time order, so a county's list sorted the whole county; and a count read every open case of
-- it. Now:

-- A case's county (the first six digits of a code), the unit of a hall's work: a list or a
-- search within a county walks its index in time order and stops at the page's end. A town's
-- hall adds its range of codes as a filter; a city's or the province's reach is a range of
-- counties.
alter table cases
    add column receiving_county text generated always as (left(receiving_region, 6)) stored,
    add column handling_county text generated always as (left(handling_region, 6)) stored,
    -- Handled elsewhere than received (cross-region, or by the county for a town's hall): the
    -- few cases the handling side's staff find that their receiving side does not.
    add column handled_elsewhere boolean generated always as (handling_region <> receiving_region) stored;

-- The indexes this replaces (`cases_queue` served the handling side's search; the approval
-- service keeps the back office's queue), dropped before the rows are written below.
drop index cases_hall, cases_received, cases_applicant_name, cases_queue;

-- The department whose item a case is (its item version's, kept on the case when it is opened
-- or moved to a newer version), so that a department's staff find their cases through an index
-- in time order; a 一件事 application is also its parts' departments' (`hall::CASE_DEPARTMENTS`),
-- found through the few bundles of a county. (Filled in before the indexes below are made.)
alter table cases add column department_id uuid;
update cases c set department_id = v.department_id
from item_versions v where v.implementation_code = c.implementation_code and v.version = c.item_version;

-- The hall's lists: a status and a county, oldest first (the instant searches sort by too,
-- which for a submitted case is its submission).
create index cases_hall on cases (status, receiving_county, (coalesce(submitted_at, created_at)), id)
    include (submissions, receiving_region) where parent_id is null;
-- Results awaiting hand-out, in the order they were concluded (the predicate names no status:
-- the hall's reads keep generic plans, which match a partial index only on what the SQL says).
create index cases_handout on cases (receiving_county, concluded_at, id) include (receiving_region)
    where parent_id is null and concluded_at is not null and delivered_at is null;
-- Search: every case of a county received, newest first; by the beginning of the applicant's
-- name within a county (a range of names, with what orders them, read from the index alone),
-- and by a surname alone (张 is one name in fourteen) newest first; and the cases handled
-- elsewhere than received, which the handling side's staff also find.
create index cases_received on cases (receiving_county, (coalesce(submitted_at, created_at)), id)
    where parent_id is null;
create index cases_applicant_name on cases (receiving_county, applicant_name text_pattern_ops)
    include (id, submitted_at, created_at)
    where parent_id is null and applicant_name is not null;
create index cases_applicant_surname on cases
    (receiving_county, left(applicant_name, 1), (coalesce(submitted_at, created_at)), id)
    where parent_id is null and applicant_name is not null;
create index cases_handled_elsewhere on cases (handling_county, (coalesce(submitted_at, created_at)), id)
    where parent_id is null and handled_elsewhere;

create index cases_department on cases (department_id, (coalesce(submitted_at, created_at)), id)
    where parent_id is null;
create index cases_bundles on cases (receiving_county, (coalesce(submitted_at, created_at)), id)
    where parent_id is null and kind = 'bundle';

-- The inbox's counts, kept: each change of a case's place in the lists appends a +1 or -1 for
-- its receiving region, in the same transaction (no row is updated, so concurrent intakes never
-- wait on each other); a count is the sum for the regions in reach. The sweep folds the rows
-- into one per region and list. The lists: those of `hall::List`, and deferred_overdue (of
-- deferred_owed, the cases with a material past its deadline).
create table inbox_tallies (
    id               bigint  generated always as identity primary key,
    receiving_region text    not null,
    list             text    not null,
    delta            integer not null
);
create index inbox_tallies_region on inbox_tallies (receiving_region) include (list, delta);

-- (The functions that a statement of another session may run — triggers, the fold, the
-- recount — keep the schema they were made in as their search path.)

-- The lists a case is in, from its status and, when accepted, whether it owes 容缺 materials
-- (and any past its deadline). A part of a 一件事 application is in none: its bundle is.
create function inbox_lists(status text, submissions integer, parent_id uuid, owed boolean, overdue boolean)
returns text[] language sql immutable as $$
    select case
        when parent_id is not null then '{}'::text[]
        when status = 'submitted' and submissions <= 1 then '{awaiting_review}'
        when status = 'submitted' then '{resubmitted}'
        when status = 'needs_correction' then '{awaiting_applicant}'
        when status = 'concluded' then '{awaiting_handout}'
        when status = 'returned' then '{returned}'
        when status = 'accepted' and coalesce(overdue, false) then '{deferred_owed,deferred_overdue}'
        when status = 'accepted' and coalesce(owed, false) then '{deferred_owed}'
        else '{}'::text[] end
$$;

-- Appends what moving a case from lists `was` in `old_region` to lists `now_in` in
-- `new_region` changes. (PL/pgSQL, as the functions below: it keeps its statements' plans for
-- the session, where a SQL function called from a trigger is planned again on every call.)
create function tally_inbox(old_region text, was text[], new_region text, now_in text[])
returns void language plpgsql as $$
begin
    insert into inbox_tallies (receiving_region, list, delta)
    select old_region, l, -1 from unnest(was) l
        where old_region is distinct from new_region or not l = any(now_in)
    union all
    select new_region, l, 1 from unnest(now_in) l
        where old_region is distinct from new_region or not l = any(was);
end $$;

create function tally_case() returns trigger language plpgsql
    set search_path from current as $$
declare
    owed boolean := false;
    overdue boolean := false;
begin
    if new.status = 'accepted' or (tg_op = 'UPDATE' and old.status = 'accepted') then
        select count(*) > 0, count(overdue_at) > 0 into owed, overdue
        from deferred_materials where case_id = new.id and supplied_at is null;
    end if;
    if tg_op = 'INSERT' then
        perform tally_inbox(null, '{}', new.receiving_region,
            inbox_lists(new.status, new.submissions, new.parent_id, owed, overdue));
    else
        perform tally_inbox(
            old.receiving_region, inbox_lists(old.status, old.submissions, old.parent_id, owed, overdue),
            new.receiving_region, inbox_lists(new.status, new.submissions, new.parent_id, owed, overdue));
    end if;
    return null;
end $$;

-- (A draft, and a part of a 一件事, is in no list: opening one costs nothing here.)
create trigger cases_inbox_insert after insert on cases
    for each row when (new.parent_id is null and new.status <> 'draft')
    execute function tally_case();
create trigger cases_inbox_update after update on cases
    for each row when (old.status is distinct from new.status
        or old.submissions is distinct from new.submissions
        or old.parent_id is distinct from new.parent_id
        or old.receiving_region is distinct from new.receiving_region)
    execute function tally_case();

-- A statement's changes to 容缺 materials (the sweep flags many at once): for each accepted
-- case touched, its lists before (the rows the statement did not touch, and the touched ones as
-- they were: `was`, none for an insert) and after.
create function tally_deferred(case_ids uuid[], touched text[], was_supplied timestamptz[],
    was_overdue timestamptz[], was_case uuid[])
returns void language plpgsql as $$
begin
    perform tally_inbox(c.receiving_region, inbox_lists(c.status, c.submissions, c.parent_id,
                before.owed, before.overdue),
            c.receiving_region, inbox_lists(c.status, c.submissions, c.parent_id,
                after.owed, after.overdue))
    from (select distinct unnest(case_ids) as case_id) t
    join cases c on c.id = t.case_id and c.parent_id is null and c.status = 'accepted'
    cross join lateral (
        select count(*) filter (where supplied_at is null) > 0 as owed,
               count(*) filter (where supplied_at is null and overdue_at is not null) > 0 as overdue
        from deferred_materials d where d.case_id = c.id) after
    cross join lateral (
        select count(*) filter (where supplied_at is null) > 0 as owed,
               count(*) filter (where supplied_at is null and overdue_at is not null) > 0 as overdue
        from (select d.supplied_at, d.overdue_at from deferred_materials d
              where d.case_id = c.id and not exists (
                  select 1 from unnest(case_ids, touched) n(case_id, code)
                  where n.case_id = c.id and n.code = d.material_code)
              union all
              select o.supplied_at, o.overdue_at
              from unnest(was_case, was_supplied, was_overdue) o(case_id, supplied_at, overdue_at)
              where o.case_id = c.id) rows) before;
end $$;

create function tally_deferred_insert() returns trigger language plpgsql
    set search_path from current as $$
begin
    perform tally_deferred(n.cases, n.codes, '{}', '{}', '{}')
    from (select array_agg(case_id) as cases, array_agg(material_code) as codes from changed) n;
    return null;
end $$;

create function tally_deferred_update() returns trigger language plpgsql
    set search_path from current as $$
begin
    perform tally_deferred(n.cases, n.codes, o.supplied, o.overdue, o.cases)
    from (select array_agg(case_id) as cases, array_agg(material_code) as codes from changed) n,
         (select array_agg(case_id) as cases, array_agg(supplied_at) as supplied,
                 array_agg(overdue_at) as overdue from was) o;
    return null;
end $$;

create trigger deferred_materials_inbox_insert after insert on deferred_materials
    referencing new table as changed
    for each statement execute function tally_deferred_insert();
create trigger deferred_materials_inbox_update after update on deferred_materials
    referencing old table as was new table as changed
    for each statement execute function tally_deferred_update();

-- Folds the appended changes into one row per region and list, where there is more than one
-- (run by the sweep; safe in every replica at once: a row another fold deleted is skipped, and
-- a change not yet committed stays for the next).
create function fold_inbox_tallies() returns void language sql
    set search_path from current as $$
    with busy as (
        select receiving_region, list from inbox_tallies group by 1, 2 having count(*) > 1),
    folded as (
        delete from inbox_tallies t using busy b
        where t.receiving_region = b.receiving_region and t.list = b.list
        returning t.receiving_region, t.list, t.delta)
    insert into inbox_tallies (receiving_region, list, delta)
    select receiving_region, list, sum(delta) from folded group by 1, 2 having sum(delta) <> 0
$$;

-- Counts every list afresh from the cases (the backfill below; and an operator's repair, should
-- the triggers ever have been bypassed, e.g. rows written with `session_replication_role =
-- replica`): cases and materials are locked against writes meanwhile.
create function recount_inbox() returns void language plpgsql
    set search_path from current as $$
begin
    lock table cases, deferred_materials in share mode;
    delete from inbox_tallies;
    insert into inbox_tallies (receiving_region, list, delta)
    select c.receiving_region, l, count(*)
    from cases c
    left join lateral (
        select count(*) > 0 as owed, count(overdue_at) > 0 as overdue from deferred_materials d
        where d.case_id = c.id and d.supplied_at is null) o on c.status = 'accepted'
    cross join unnest(inbox_lists(c.status, c.submissions, c.parent_id, o.owed, o.overdue)) l
    group by 1, 2;
end $$;

select recount_inbox();
