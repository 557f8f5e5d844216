-- Codes as text: a char(n) column compared with a text parameter cannot use its index (the
-- enterprise sign-in by credit code would scan every account).
alter table accounts
    alter column credit_code type text,
    alter column region_code type text;

alter table role_bindings
    alter column region_code type text;
