-- Acceptance's projection of approval's e-certificates (电子证照), fed by tongban.approval.v1: a
-- government-issued material the applicant already holds is taken from here (一证通办).
create table certificates (
    certificate_id    uuid        primary key,
    certificate_type  text        not null,
    holder_account_id uuid,
    issuer_credit_code text       not null,
    valid_until       date,
    revoked_at        timestamptz,
    issued_at         timestamptz not null
);

create index certificates_holder on certificates (holder_account_id, certificate_type)
    where revoked_at is null;

-- Which certificate stood in for which material of a case.
create table case_certificates (
    case_id        uuid not null references cases (id),
    material_code  text not null,
    certificate_id uuid not null references certificates (certificate_id),
    primary key (case_id, material_code)
);
