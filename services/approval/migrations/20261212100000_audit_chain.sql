-- The audit chain of this service's staff actions (libs/audit): each entry's SM3 hash covers
-- the entry before it; `audit_head` holds the last number and hash, and is locked by each
-- append so entries are numbered without gaps. `tongban audit verify` walks the chain.
create table audit_chain (
    seq      bigint      primary key,
    at       timestamptz not null,
    actor    uuid,
    action   text        not null,
    subject  text        not null,
    -- the JSON text that was hashed, exactly
    detail   text        not null,
    previous bytea       not null,
    hash     bytea       not null
);

create table audit_head (
    one          boolean     primary key default true check (one),
    seq          bigint      not null,
    hash         bytea       not null,
    -- when the head was last published on tongban.audit.v1
    published_at timestamptz
);
insert into audit_head (seq, hash) values (0, decode(repeat('00', 32), 'hex'));
