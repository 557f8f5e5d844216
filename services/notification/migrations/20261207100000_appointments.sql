-- The hall's bookings reach their person's account (issue 28): a reminder of tomorrow's
-- booking (预约提醒) by inbox and text, and a notice that repeated no-shows suspended booking.
insert into rules (id, event_type, template, recipients, channels, urgent) values
    ('01930000-0000-7000-8000-000000000c28', 'cn.tongban.hall.appointment_reminder_due.v1', 'appointment_reminder', '{applicant}', '{inbox,sms}', false),
    ('01930000-0000-7000-8000-000000000c29', 'cn.tongban.hall.booking_suspended.v1', 'booking_suspended', '{applicant}', '{inbox}', false);

insert into templates (key, locale, version, subject, body) values
    ('appointment_reminder', 'zh-CN', 1, '预约提醒', '您已预约{{starts_at}}在{{centre_name}}{{group_name}}办理{{item_name}}，请携带身份证按时到达，在取号机扫码或刷身份证签到。如不能前往，请提前取消预约。'),
    ('appointment_reminder', 'en', 1, 'Your appointment tomorrow', 'You are booked for {{starts_at}} at {{centre_name}} ({{group_name}}) for {{item_name}}. Bring your identity card and check in at the kiosk with the QR code or the card. If you cannot come, please cancel in advance.'),
    ('booking_suspended', 'zh-CN', 1, '预约功能已暂停', '因多次预约未到（{{no_shows}}次），您在该服务中心的预约功能暂停至{{until}}。期间仍可现场取号办理。'),
    ('booking_suspended', 'en', 1, 'Booking suspended', 'After {{no_shows}} missed appointments, booking at this service centre is suspended until {{until}}. You can still take a ticket at the hall.');
