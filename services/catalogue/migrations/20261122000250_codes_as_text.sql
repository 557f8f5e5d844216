-- Codes become text. With char(n) columns every query that binds a text parameter compared
-- `code::text = $1`, which cannot use the primary key: a region lookup scanned all 44,699
-- divisions (~10 ms) and a keyword search by region walked them five times. The shape of each
-- code is checked in the application (RegionCode, CreditCode) and by the checks below.
alter table regions
    alter column code type text,
    alter column parent_code type text,
    add constraint regions_code_shape check (code ~ '^[0-9]{12}$');

alter table departments
    alter column region_code type text,
    alter column credit_code type text,
    add constraint departments_region_code_shape check (region_code ~ '^[0-9]{12}$');
