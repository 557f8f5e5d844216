-- Bad ratings' remediations (差评整改): whoever must act hears of one, and, with the region's
-- supervisors, of one that runs past its due date.
insert into rules (id, event_type, template, recipients, channels, urgent) values
    ('01930000-0000-7000-8000-00000000000c', 'cn.tongban.acceptance.remediation_opened.v1', 'remediation_opened', '{assignee}', '{inbox}', false),
    ('01930000-0000-7000-8000-00000000000d', 'cn.tongban.acceptance.remediation_overdue.v1', 'remediation_overdue', '{assignee,supervisors}', '{inbox}', true);

insert into templates (key, locale, version, subject, body) values
    ('remediation_opened', 'zh-CN', 1, '差评待整改', '办件{{case_number}}收到差评，请核实并于{{due_date}}前完成整改（实名评价须先回访）。'),
    ('remediation_opened', 'en', 1, 'Bad rating to remediate', 'Case {{case_number}} was rated badly; look into it and remediate it by {{due_date}} (call back a named rater first).'),
    ('remediation_overdue', 'zh-CN', 1, '差评整改超期', '办件{{case_number}}的差评整改已超过期限{{due_date}}，请督办。'),
    ('remediation_overdue', 'en', 1, 'Remediation overdue', 'The remediation of the bad rating of case {{case_number}} passed its deadline {{due_date}}.');
