-- Real-name levels (实名等级: 1 unverified, 2 basic real-name, 3 advanced: face or in person).
-- An item states the level its applicants need; items published before stated none and need 1.
alter table item_versions
    add column real_name_level smallint not null default 1
        check (real_name_level between 1 and 3);

-- The level a case's applicant has shown: online, the level of the applicant's token when they
-- submitted; at a window, 3 once the clerk records having checked the original ID (who and
-- when below). Cases from before have level 1.
alter table cases
    add column real_name_level     smallint not null default 1
        check (real_name_level between 1 and 3),
    add column identity_checked_by uuid,
    add column identity_checked_at timestamptz,
    add constraint cases_identity_check_whole
        check ((identity_checked_by is null) = (identity_checked_at is null));
