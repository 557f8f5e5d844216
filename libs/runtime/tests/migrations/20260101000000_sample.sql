-- A sample migration for the runtime's own tests.
create table things (id bigint primary key, name text not null);
