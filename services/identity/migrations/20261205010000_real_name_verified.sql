-- When a citizen's real name was last confirmed against the national identity record (basic
-- real-name, level 2): the level alone does not say when or how it was reached.
alter table accounts add column real_name_verified_at timestamptz;

-- Each answer of the national check to an account, so a stolen ID number cannot be tried
-- against name after name: a limit of checks per account and day (identity.real_name_checks_per_day).
create table real_name_checks (
    account_id uuid        not null references accounts (id),
    checked_at timestamptz not null,
    matched    boolean     not null
);
create index real_name_checks_by_account on real_name_checks (account_id, checked_at);
