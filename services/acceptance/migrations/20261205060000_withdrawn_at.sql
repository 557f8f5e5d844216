-- A withdrawal is not the window's decision: it has its own time. `decided_at` is when the
-- window accepted or refused the case; withdrawing an accepted case used to overwrite it with
-- the withdrawal's time (and the public lookup then showed that as the acceptance).
alter table cases add column withdrawn_at timestamptz;

update cases set withdrawn_at = decided_at where status = 'withdrawn';
-- The window's decision, where there was one: the acceptance recorded in the history.
update cases c
set decided_at = (select max(h.at) from case_history h
                  where h.case_id = c.id and h.to_status = 'accepted')
where c.status = 'withdrawn';
