-- Accounts of every kind, their role bindings, refresh tokens and signing keys.

create table accounts (
    id              uuid primary key,
    kind            text        not null check (kind in ('citizen', 'enterprise', 'staff', 'service')),
    -- What the account signs in with: a citizen's document number, an enterprise's credit code,
    -- a staff member's user name, a service's client id. Formats do not overlap.
    login           text        not null,
    display_name    text        not null,
    -- Citizens: the identity document (DOMAIN.md "Identity").
    id_type         text,
    -- Enterprises: unified social credit code.
    credit_code     char(18),
    phone           text,
    real_name_level smallint    not null default 1 check (real_name_level between 1 and 3),
    -- Staff and services: the region they belong to (and a staff member's department). For
    -- citizens and enterprises, the region their document was issued in: whose identity
    -- administrators may see them.
    region_code     char(12),
    department_id   uuid,
    -- Argon2id PHC string (a service's client secret is hashed the same way).
    password_hash   text        not null,
    -- Lockout: failures in a row, locks in a row, and until when the current lock holds.
    failed_logins   integer     not null default 0,
    lock_count      integer     not null default 0,
    locked_until    timestamptz,
    disabled_at     timestamptz,
    created_by      uuid,
    created_at      timestamptz not null default now(),
    constraint accounts_login_key unique (login)
);

create table role_bindings (
    id            uuid primary key,
    account_id    uuid        not null references accounts (id),
    role          text        not null,
    region_code   char(12)    not null,
    department_id uuid,
    granted_by    uuid,
    granted_at    timestamptz not null default now(),
    revoked_by    uuid,
    revoked_at    timestamptz
);

-- One live binding per (account, role, region, department).
create unique index role_bindings_live_key on role_bindings
    (account_id, role, region_code, coalesce(department_id, '00000000-0000-0000-0000-000000000000'))
    where revoked_at is null;

-- Refresh tokens rotate on every use; all tokens descended from one sign-in share a family, and
-- presenting a token that was already used revokes the whole family (it was stolen).
create table refresh_tokens (
    -- SHA-256 of the token; the token itself is never stored.
    token_hash  bytea primary key,
    family_id   uuid        not null,
    account_id  uuid        not null references accounts (id),
    issued_at   timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz
);

create index refresh_tokens_family on refresh_tokens (family_id);

-- Ed25519 signing keys. The newest unretired key signs; retired keys stay published until the
-- tokens they signed have expired.
create table signing_keys (
    kid        text primary key,
    secret     bytea       not null,
    created_at timestamptz not null default now(),
    retired_at timestamptz
);
