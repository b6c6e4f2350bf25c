-- Review latency: when each change was first approved (by its quorum or by policy under a
-- template), kept by the status update that approves it; earlier changes from their ledger event.
ALTER TABLE change_requests ADD COLUMN approved_at BIGINT;
UPDATE change_requests SET approved_at = (
    SELECT MIN(e.at_ms) FROM audit_events e
    WHERE e.subject = 'change:' || change_requests.id
      AND e.action IN ('change.approved', 'change.pre_approved')
);
CREATE INDEX change_requests_created ON change_requests (created_at);
CREATE INDEX signoffs_change_time ON signoffs (change_id, signed_at);
