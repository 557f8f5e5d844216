-- When a citizen's real name was last confirmed against the national identity record (basic
-- real-name, level 2): the level alone does not say when or how it was reached.
alter table accounts add column real_name_verified_at timestamptz;
