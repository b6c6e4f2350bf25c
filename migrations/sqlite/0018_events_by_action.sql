-- The compliance map counts recent events of one kind (gate-bypass and privilege-abuse signals):
-- by action and time, not by scanning the ledger.
CREATE INDEX audit_events_action_at ON audit_events (action, at_ms);
