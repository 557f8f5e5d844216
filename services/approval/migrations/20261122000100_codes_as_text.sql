-- Codes as text, like the catalogue's: a char(n) column compared with a text parameter cannot
-- use its index.
alter table department_directory
    alter column region_code type text,
    alter column credit_code type text;

alter table region_department_counts
    alter column region_code type text;
