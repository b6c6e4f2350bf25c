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

CREATE TRIGGER nhi_stewardship_no_update_delete BEFORE UPDATE OR DELETE ON nhi_stewardship
    FOR EACH ROW EXECUTE FUNCTION gate_records_append_only();
CREATE TRIGGER nhi_stewardship_no_truncate BEFORE TRUNCATE ON nhi_stewardship
    FOR EACH STATEMENT EXECUTE FUNCTION gate_records_append_only();

-- The hosts content published to a system may link to and load media from, one per line
-- (`*.example.com` for subdomains). Empty: no outbound links or media at all.
ALTER TABLE connected_systems ADD COLUMN content_hosts TEXT NOT NULL DEFAULT '';

-- What the console served each reviewer of each version: when they first opened it, when the
-- whole text and the diff were sent to them. A sign-off's review-quality figures are computed
-- from these rows by the server, never taken from the browser.
CREATE TABLE review_views (
    change_id     TEXT NOT NULL REFERENCES change_requests (id),
    version       BIGINT NOT NULL,
    human_id      TEXT NOT NULL REFERENCES humans (id),
    first_view_ms BIGINT NOT NULL,
    full_text_ms  BIGINT,
    diff_ms       BIGINT,
    PRIMARY KEY (change_id, version, human_id)
);
