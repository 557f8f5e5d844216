-- Webhook secrets are kept sealed under the key-encryption key (tongban_vault), never as they
-- are; the sender opens one to sign each call. Secrets from before are sealed when the service
-- starts (db::webhooks::seal_plaintext), which empties `secret`.
alter table webhooks
    add column sealed_secret bytea,
    alter column secret drop not null,
    add constraint webhooks_one_form check (num_nonnulls(secret, sealed_secret) = 1);
