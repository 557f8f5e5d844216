-- National cryptography for e-certificates (issue 29).
--
-- SM2 electronic seals: each department's SM2 key (GB/T 32918, signing over SM3 with the
-- identifier 1234567812345678), its private key sealed under the KEK like the Ed25519 seals
-- before it. Certificates sealed with Ed25519 keep their key in `department_seals` and keep
-- verifying; new certificates are sealed with SM2.
create table department_sm2_seals (
    department_credit_code text        primary key,
    key_id                 text        not null unique,
    -- the SEC1 uncompressed point (04 ‖ X ‖ Y), 65 bytes
    public_key             bytea       not null check (length(public_key) = 65),
    sealed_private_key     bytea       not null,
    created_at             timestamptz not null
);

-- The certificate type codes (证照类型代码) of GB/T 36904 identifiers, by the result's name:
-- the defining authority's credit code and a 3-digit number. A province adds its own
-- (`PUT /v1/certificate-types/{type_code}`); a result whose name is not listed is identified
-- under the one type marked `fallback` (其他证照).
create table certificate_types (
    type_code  text        primary key check (type_code ~ '^[0-9A-Z]{18}[0-9]{3}$'),
    name       text        not null unique,
    fallback   boolean     not null default false,
    added_at   timestamptz not null default now()
);
create unique index certificate_types_one_fallback on certificate_types (fallback) where fallback;

-- The demo province's list, under its e-certificate directory authority (11430000MB1C00001G).
-- National types are added the same way, under the codes of the national list.
insert into certificate_types (type_code, name, fallback) values
    ('11430000MB1C00001G001', '营业执照', false),
    ('11430000MB1C00001G002', '食品经营许可证', false),
    ('11430000MB1C00001G003', '公共场所卫生许可证', false),
    ('11430000MB1C00001G004', '不动产权证书', false),
    ('11430000MB1C00001G005', '结婚证', false),
    ('11430000MB1C00001G006', '出生医学证明', false),
    ('11430000MB1C00001G007', '社会保障卡', false),
    ('11430000MB1C00001G008', '居民身份证', false),
    ('11430000MB1C00001G999', '其他证照', true);

-- A certificate's GB/T 36904 identifier, and its seal signature as GB/T 38540 names its parts
-- (signed data's hash, signer, key, algorithms, signature value, time). Certificates from
-- before have neither and keep their UUID and Ed25519 signature.
alter table certificates
    add column identifier text unique,
    add column seal jsonb;
