-- The account life-cycle: disabling (who did it), passwords an administrator set (temporary:
-- the holder changes it before anything else), and the moment before which an account's tokens
-- stop being accepted anywhere (a role revoked, the account disabled, the password changed),
-- which every token verifier fetches (GET /.well-known/revocations).
alter table accounts
    add column disabled_by uuid,
    add column password_temporary boolean not null default false,
    add column password_changed_at timestamptz;

create table session_cutoffs (
    account_id   uuid primary key references accounts (id),
    -- Tokens of the account issued before this are refused...
    cut_at       timestamptz not null,
    -- ...except those of this sign-in (the holder's own, when they changed their password).
    keep_session uuid
);
