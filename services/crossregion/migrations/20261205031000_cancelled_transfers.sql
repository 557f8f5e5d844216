-- A transfer ends when its case ends before the decision (issue 25): the applicant withdrew the
-- application, or the receiving window refused it (a 一件事 application sent back by another
-- part's region). 'cancelled' transfers are taken over by nobody and owe no hand-over.
alter table transfers drop constraint transfers_state_check;
alter table transfers add constraint transfers_state_check check (state in
    ('sent', 'accepted', 'rejected', 'returned', 'delivered', 'cancelled'));
