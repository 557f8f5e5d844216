-- Accounts' chosen languages (fed by identity's PreferencesChanged); absent means zh-CN.
create table preferences (
    account_id uuid primary key,
    locale     text not null
);
