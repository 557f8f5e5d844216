-- The online hall's only data: who is signed in. A session is named by a random value in an
-- HttpOnly cookie; the table keeps its SHA-256, so a copy of the table opens no session.
create table sessions (
    -- hex SHA-256 of the cookie's value
    id_hash text primary key,
    account_id uuid not null,
    display_name text not null,
    -- the role bindings of the current access token (what the pages offer; every service
    -- checks the token itself)
    roles jsonb not null,
    -- an administrator set the password: until it is changed, only the password page opens
    password_change_required boolean not null,
    -- compared with the token every form and htmx request carries (CSRF)
    csrf text not null,
    -- {"access": ..., "refresh": ...} sealed under the key-encryption key
    sealed_tokens bytea not null,
    access_expires_at timestamptz not null,
    created_at timestamptz not null,
    last_seen_at timestamptz not null
);

-- The sweep deletes sessions idle past the limit.
create index sessions_last_seen on sessions (last_seen_at);
