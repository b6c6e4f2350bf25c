-- The Audit page filters the ledger by action, by actor and by time, newest first, in keyset
-- pages; the compliance map counts recent events of one action. Each filter walks its own
-- index instead of the whole ledger.
CREATE INDEX audit_events_action_seq ON audit_events (action, seq);
CREATE INDEX audit_events_actor_seq ON audit_events (actor_ref, seq);
CREATE INDEX audit_events_at ON audit_events (at_ms);
