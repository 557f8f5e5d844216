-- The hall's inbox counts read `cases_hall` alone (an index-only scan) when it carries the
-- submissions that tell a first submission from a resubmission; the lists filter on it too.
drop index cases_hall;
create index cases_hall on cases (status, receiving_region, submitted_at, id) include (submissions)
    where parent_id is null;
