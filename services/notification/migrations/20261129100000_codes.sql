-- One-time codes identity asks to have texted (phone verification, sign-in by text). Such a
-- message goes to the number identity gives (which may not be the account's yet), never after
-- it expires, and its text is replaced by one without the code once it is sent or given up.
alter table messages
    add column address       text,
    add column expires_at    timestamptz,
    add column redacted_body text;

insert into templates (key, locale, version, subject, body) values
    ('phone_verification_code', 'zh-CN', 1, '验证码', '您正在验证手机号，验证码{{code}}，{{minutes}}分钟内有效。请勿告诉他人。'),
    ('phone_verification_code', 'en', 1, 'Verification code', 'Your code to verify this phone number is {{code}}; it is valid for {{minutes}} minutes. Do not share it.'),
    ('login_code', 'zh-CN', 1, '登录验证码', '您正在登录通办，验证码{{code}}，{{minutes}}分钟内有效。如非本人操作，请忽略。'),
    ('login_code', 'en', 1, 'Sign-in code', 'Your code to sign in to Tongban is {{code}}; it is valid for {{minutes}} minutes. If this was not you, ignore it.');
