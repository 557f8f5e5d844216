-- Signing keys are kept sealed under the key-encryption key (tongban_vault), never as they are,
-- and the public key beside them for the published key set. Keys from before are sealed when
-- the service starts (keys::seal_plaintext), which empties `secret`.
alter table signing_keys
    add column sealed_secret bytea,
    add column public_key bytea,
    alter column secret drop not null,
    add constraint signing_keys_one_form check (num_nonnulls(secret, sealed_secret) = 1);
