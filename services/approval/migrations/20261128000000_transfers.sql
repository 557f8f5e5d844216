-- Transferred cases (跨域通办): a case accepted at a window outside the handling region (or a
-- 多地联办 bundle part) waits in the handling department's queue until the region takes the
-- transfer over; a rejected transfer takes the work item back out, until the case is accepted
-- again and sent as the next round.

alter table work_items
    -- The case's transfer round (0: not transferred) and where it stands: pending until the
    -- handling region accepts it, then accepted.
    add column transfer_round int  not null default 0,
    add column transfer       text check (transfer in ('pending', 'accepted'));

alter table work_items drop constraint work_items_state_check;
alter table work_items add constraint work_items_state_check check (state in
    ('awaiting_item', 'in_progress', 'paused', 'approved', 'refused', 'withdrawn', 'returned'));

-- The crossregion service's answers, kept whatever order they arrive in relative to the
-- CaseAccepted they answer.
create table transfer_responses (
    case_id      uuid        not null,
    round        int         not null,
    accepted     boolean     not null,
    reason       text        not null default '',
    responded_by uuid,
    responded_at timestamptz not null,
    primary key (case_id, round)
);
