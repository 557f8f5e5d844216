-- Query passwords are kept as a keyed hash (HMAC-SHA256, hex), never as they are: the key is a
-- secret of the service's own, sealed under the key-encryption key (tongban_vault). Passwords
-- stored before are hashed when the service starts (case::password::hash_stored).
create table secrets (
    name       text primary key,
    sealed     bytea       not null,
    created_at timestamptz not null default now()
);
