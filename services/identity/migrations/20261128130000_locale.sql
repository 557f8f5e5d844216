-- The language messages to an account are written in.
alter table accounts add column locale text not null default 'zh-CN'
    check (locale in ('zh-CN', 'en'));
