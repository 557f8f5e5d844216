-- The audit chain of this service's staff actions (libs/audit), in 16 lanes: each entry's SM3
-- hash covers the entry before it in its lane; `audit_head` holds each lane's last number and
-- hash, and is locked by each append to the lane, so a lane's entries are numbered without
-- gaps. `tongban audit verify` walks the chain.
create table audit_chain (
    lane     smallint    not null,
    seq      bigint      not null,
    at       timestamptz not null,
    actor    uuid,
    action   text        not null,
    subject  text        not null,
    -- the JSON text that was hashed, exactly
    detail   text        not null,
    previous bytea       not null,
    hash     bytea       not null,
    primary key (lane, seq)
);

create table audit_head (
    lane         smallint    primary key check (lane between 0 and 15),
    seq          bigint      not null,
    hash         bytea       not null,
    -- lane 0's: when the chain's head was last published on tongban.audit.v1
    published_at timestamptz
);
insert into audit_head (lane, seq, hash)
select lane, 0, decode(repeat('00', 32), 'hex') from generate_series(0, 15) as lane;
