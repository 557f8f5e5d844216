-- Phone numbers proved by a one-time code, and the codes themselves.

-- When the account proved it holds its number (a code texted to it came back). A changed
-- number is unproved until proved again.
alter table accounts add column phone_verified_at timestamptz;

-- A proved number signs one citizen in by text: it is proved for one citizen at a time (proving
-- it again for another citizen takes it from the first, as a recycled number changes hands).
create unique index accounts_verified_citizen_phone on accounts (phone)
    where phone_verified_at is not null and kind = 'citizen';

-- Codes texted to a number: to prove it (phone_verification, asked by the account) or to sign
-- in with it (login, asked by anyone; account_id is null when no citizen has proved the number,
-- and then nothing was sent, though the request is answered and limited the same).
create table phone_challenges (
    id         uuid primary key,
    purpose    text        not null check (purpose in ('phone_verification', 'login')),
    phone      text        not null,
    account_id uuid references accounts (id),
    -- SHA-256 of the challenge id and the code; the code itself is never stored.
    code_hash  bytea       not null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    -- Wrong codes tried; at identity.code_attempts the code is spent.
    attempts   int         not null default 0,
    used_at    timestamptz
);
create index phone_challenges_phone on phone_challenges (phone, created_at desc);
create index phone_challenges_account on phone_challenges (account_id, created_at desc);
