-- Gate integrity. Separation of duties must know who could have shaped what an identity drafted
-- at any time since a change's first version, not only who owns it now: owners removed since
-- and the people who issued its client secrets are kept here. Rows are only ever appended.
CREATE TABLE nhi_stewardship (
    nhi_id    TEXT NOT NULL REFERENCES nhis (id),
    human_id  TEXT NOT NULL REFERENCES humans (id),
    kind      TEXT NOT NULL CHECK (kind IN ('owner_removed', 'secret_issued')),
    at_ms     BIGINT NOT NULL
);
CREATE INDEX nhi_stewardship_nhi ON nhi_stewardship (nhi_id, at_ms);

-- Who asked for a widened grant awaiting review: a second security admin must approve it.
ALTER TABLE workflow_steps ADD COLUMN pending_grant_by TEXT REFERENCES humans (id);

CREATE TRIGGER nhi_stewardship_no_update BEFORE UPDATE ON nhi_stewardship
BEGIN SELECT RAISE(ABORT, 'nhi_stewardship is append-only'); END;
CREATE TRIGGER nhi_stewardship_no_delete BEFORE DELETE ON nhi_stewardship
BEGIN SELECT RAISE(ABORT, 'nhi_stewardship is append-only'); END;
