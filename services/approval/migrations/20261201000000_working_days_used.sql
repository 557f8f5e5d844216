-- The working days a concluded case took (pauses left out), as its CaseConcluded event says:
-- kept with the work item, so the handling time reported upward can be checked against the
-- back office's own records. Null for cases concluded before it was kept.
alter table work_items add column working_days_used int;
