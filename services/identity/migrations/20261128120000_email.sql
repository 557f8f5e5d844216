-- An e-mail address an account may give, for messages (the notification service reads it with
-- the phone number through the contact endpoint).
alter table accounts add column email text;
