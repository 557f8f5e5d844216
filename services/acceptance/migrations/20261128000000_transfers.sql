-- 跨域通办 on the case: how regions share it, and what happens when the handling region sends a
-- transfer back.

-- local: received in the handling region or below; online: 全程网办, routed straight to the
-- handling region; collect_elsewhere: 异地代收代办, a window outside the handling region took it
-- in and transfers it there; joint: a bundle part handled outside the region that took the
-- bundle in (多地联办).
alter table cases
    add column mode text not null default 'local'
        check (mode in ('local', 'online', 'collect_elsewhere', 'joint')),
    -- Times the handling region sent a transfer of this case back.
    add column returns int not null default 0,
    -- Why the handling region sent the last transfer back: {kind, reason, at}.
    add column returned jsonb;
update cases set mode = 'online' where channel = 'online';

-- returned: the handling region rejected the transfer; the receiving window tells the
-- applicant once what to fix, sends it again, or refuses the case.
alter table cases drop constraint cases_status_check;
alter table cases add constraint cases_status_check check (status in
    ('draft', 'submitted', 'needs_correction', 'accepted', 'returned', 'refused', 'withdrawn',
     'concluded', 'delivered'));

-- One correction notice per acceptance round: the one before the first acceptance, and one
-- after each returned transfer.
alter table correction_notices add column round int not null default 0;
alter table correction_notices drop constraint correction_notices_pkey;
alter table correction_notices add primary key (case_id, round);
