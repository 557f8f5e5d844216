-- Every change of a ticket tells its region's boards (queue::feed listens on `hall_board`)
-- when the transaction commits: one trigger instead of a `pg_notify` statement after each
-- write, a round trip less for every press at a window, and no write that forgets it.
-- PostgreSQL sends a notification once per transaction however often it is raised.
create function tickets_tell_the_board() returns trigger language plpgsql as $$
begin
    perform pg_notify('hall_board', new.region_code);
    return null;
end
$$;

create trigger tickets_tell_the_board after insert or update on tickets
    for each row execute function tickets_tell_the_board();
