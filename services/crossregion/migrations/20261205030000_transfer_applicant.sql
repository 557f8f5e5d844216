-- The applicant a transfer is for, as acceptance's case events name them: the handling region
-- sees whom it decides for, the receiving window whom it hands the result to. Transfers sent
-- before this show an empty name and document and level 0 (not recorded).
alter table transfers
    -- citizen or enterprise ('' when not recorded).
    add column applicant_kind            text     not null default '',
    -- A citizen's name on the document, or an enterprise's registered name.
    add column applicant_name            text     not null default '',
    -- A citizen's document masked; an enterprise's credit code as it is.
    add column applicant_document_masked text     not null default '',
    -- The real-name level (实名等级) the applicant showed for the case: 1-3, 0 not recorded.
    add column real_name_level           smallint not null default 0
        check (real_name_level between 0 and 3);
