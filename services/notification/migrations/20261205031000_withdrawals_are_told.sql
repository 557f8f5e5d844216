-- A withdrawal reaches the applicant (issue 25): an application may be withdrawn until it is
-- decided (撤回申请), after acceptance too; the applicant is told in the inbox that it was
-- withdrawn and that the work on it stopped. The wording leaves out `reason` (the applicant's
-- own, often empty); a later version may use it.
insert into rules (id, event_type, template, recipients, channels, urgent) values
    ('01930000-0000-7000-8000-000000000c25', 'cn.tongban.acceptance.case_withdrawn.v1', 'case_withdrawn', '{applicant}', '{inbox}', false);

insert into templates (key, locale, version, subject, body) values
    ('case_withdrawn', 'zh-CN', 1, '办件已撤回', '您的办件{{case_number}}（{{item_name}}）已撤回，相关办理工作已停止，不再计时。'),
    ('case_withdrawn', 'en', 1, 'Application withdrawn', 'Your application {{case_number}} ({{item_name}}) was withdrawn: the work on it has stopped.');
