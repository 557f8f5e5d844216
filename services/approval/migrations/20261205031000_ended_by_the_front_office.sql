-- A work item the front office ends before any decision (issue 25): the applicant withdrew the
-- application ('withdrawn', allowed since the first migration, reached now), or the receiving
-- window did not accept it after all ('refused_at_window': a 一件事 application sent back by
-- one part's region and refused, whose other parts were already being handled). Neither is a
-- decision: no concluded_at, no on-time count; the timers pass them by (they raise only on
-- in_progress work items).
alter table work_items drop constraint work_items_state_check;
alter table work_items add constraint work_items_state_check check (state in
    ('awaiting_item', 'in_progress', 'paused', 'approved', 'refused', 'withdrawn', 'returned',
     'refused_at_window'));
