-- The append-only guard, same rule, without a PL/pgSQL call for every sealed row (measured: a fifth
-- of the seal's cost, the guard comparing each row's payload and actor with themselves).
-- An UPDATE naming any content column (every column but the four the seal writes) still runs
-- audit_events_guard() for each row, as does every DELETE. An UPDATE naming only seal columns
-- cannot change content, so the guard's rule reduces to "once, with a position and a hash": the
-- WHEN clause checks that in the executor and calls the guard (which refuses) only when it fails.
-- Equivalent as long as no other BEFORE UPDATE trigger rewrites NEW (column triggers fire on the
-- columns an UPDATE names, not on what a trigger before them changes): only the owner can add one,
-- and a test pins the table's triggers to these. A column added to audit_events must be added to
-- the first list (the same test checks that every column is guarded).
DROP TRIGGER "audit_events_no_update_delete" ON "audit_events";--> statement-breakpoint
CREATE TRIGGER "audit_events_no_update_delete"
  BEFORE DELETE OR UPDATE OF "id", "event_id", "occurred_at", "type", "actor_kind", "actor_id", "actor", "channel",
    "request_id", "agent_id", "action", "environment", "risk_level", "outcome", "payload", "mac", "search_text", "search_ids"
  ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();--> statement-breakpoint
CREATE TRIGGER "audit_events_seal_once"
  BEFORE UPDATE OF "seq", "prev_hash", "hash", "sealed_at" ON "audit_events"
  FOR EACH ROW WHEN (NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL))
  EXECUTE FUNCTION audit_events_guard();
