-- Issue 25: the hall's inbox, staff search, and the applicant visible to those who serve them.

-- Who applied, as staff see them: the name and masked document were kept for window applicants
-- only; online applicants now have them too (from identity, when the draft is opened), and the
-- phone masked (138****5678). The full document number is kept twice, neither readable from a
-- copy of the database: `applicant_document_index` is HMAC-SHA256 under the service's key
-- (sealed in `secrets`), what staff search finds a document by — there is no plain index of ID
-- numbers; `applicant_document_sealed` is the number sealed under the KEK, opened only for the
-- accepting clerk's identity check (recorded in the history). Cases opened before this keep
-- neither: their full numbers were never stored.
alter table cases
    add column applicant_phone text,
    add column applicant_document_index bytea,
    add column applicant_document_sealed bytea;

create index cases_applicant_document_index on cases (applicant_document_index)
    where applicant_document_index is not null;
-- A name's beginning (text_pattern_ops: `like '张%'` whatever the collation).
create index cases_applicant_name on cases (applicant_name text_pattern_ops)
    where applicant_name is not null;

-- The hall's lists: a status, then the hall's range of region codes, oldest first.
create index cases_hall on cases (status, receiving_region, submitted_at, id)
    where parent_id is null;
-- Search within the regions a member of staff reaches (the handling side has cases_queue).
create index cases_received on cases (receiving_region, submitted_at);
-- 容缺 materials still owed, per case.
create index deferred_materials_owed on deferred_materials (case_id) where supplied_at is null;
