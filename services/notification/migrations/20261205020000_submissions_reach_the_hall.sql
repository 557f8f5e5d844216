-- An online application reaches the receiving hall (issue 25): its window clerks hear of each
-- online submission, a resubmission after a correction notice included, in their inbox.
insert into rules (id, event_type, template, recipients, channels, urgent) values
    ('01930000-0000-7000-8000-00000000000e', 'cn.tongban.acceptance.case_submitted.v1', 'case_submitted', '{receiving_clerks}', '{inbox}', false);

insert into templates (key, locale, version, subject, body) values
    ('case_submitted', 'zh-CN', 1, '新网上申请待受理', '{{item_name}}网上申请{{case_number}}已提交（第{{submission}}次提交），请预审并作出受理决定。'),
    ('case_submitted', 'en', 1, 'Online application to review', 'Online application {{case_number}} ({{item_name}}) was submitted (submission {{submission}}); review it and decide on acceptance.');
