-- Seal keys are kept sealed under the key-encryption key (tongban_vault), never as they are.
-- Keys from before are sealed when the service starts (certificate::seal::seal_plaintext),
-- which empties `private_key`.
alter table department_seals
    add column sealed_private_key bytea,
    alter column private_key drop not null,
    add constraint department_seals_one_form check (num_nonnulls(private_key, sealed_private_key) = 1);
