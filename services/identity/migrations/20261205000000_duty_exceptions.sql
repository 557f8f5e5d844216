-- Separation-of-duties exceptions (DOMAIN.md "Separation of duties"): a province-level identity
-- administrator allows a named service centre (a town centre with one officer) to combine
-- duties, with a reason; approval and acceptance keep them from the identity topic and mark
-- every action taken under one.
create table duty_exceptions (
    id          uuid primary key,
    -- The centre's 12-digit region code.
    region_code text not null,
    reason      text not null,
    granted_by  uuid not null references accounts (id),
    granted_at  timestamptz not null,
    revoked_by  uuid references accounts (id),
    revoked_at  timestamptz,
    revoke_reason text
);

-- At most one exception in force per centre.
create unique index duty_exceptions_in_force on duty_exceptions (region_code) where revoked_at is null;
