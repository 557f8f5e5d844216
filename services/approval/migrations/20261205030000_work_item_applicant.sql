-- The applicant a work item is for, as acceptance's case events name them: the back office
-- and the e-certificate name the holder. Work items opened before this keep their masked
-- document and show an empty name and level 0 (not recorded).
alter table work_items
    -- A citizen's name on the document, or an enterprise's registered name.
    add column applicant_name  text     not null default '',
    -- The real-name level (实名等级) the applicant showed for the case: 1-3, 0 not recorded.
    add column real_name_level smallint not null default 0
        check (real_name_level between 0 and 3);
