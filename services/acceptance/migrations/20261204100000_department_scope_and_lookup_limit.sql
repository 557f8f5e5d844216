-- Issue 24, findings 5, 6 and 11.

-- The department that implements each item version (from the catalogue's ItemPublished): a
-- role bound to a department sees only the cases, files, receipts and history of its
-- department's items. Versions learned before this column are filled when the catalogue's
-- events are replayed; until then only roles not bound to a department see their cases.
alter table item_versions add column department_id uuid;

-- Wrong query passwords per case number (查询密码), so a number's password cannot be guessed
-- by trying: after `limit` failures within the window, every lookup of the number answers 429
-- until the window, which starts at its first failure, has passed. Kept here rather than in
-- a replica's memory so the limit holds across replicas. A number that does not exist is
-- counted the same way, so the answers do not tell which numbers exist.
create table lookup_failures (
    number            text        primary key,
    failures          int         not null,
    window_started_at timestamptz not null
);
-- The sweep forgets windows that have passed.
create index lookup_failures_window on lookup_failures (window_started_at);
