-- The audit log is append-only. The only UPDATE ever allowed is the one-time seal, which sets
-- seq / prev_hash / hash / sealed_at on a row that has none and leaves its content untouched.
CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND NEW.id = OLD.id AND NEW.event_id = OLD.event_id AND NEW.occurred_at = OLD.occurred_at
       AND NEW.type = OLD.type AND NEW.actor_kind = OLD.actor_kind AND NEW.actor_id = OLD.actor_id
       AND NEW.actor = OLD.actor AND NEW.channel = OLD.channel
       AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
       AND NEW.agent_id IS NOT DISTINCT FROM OLD.agent_id
       AND NEW.action IS NOT DISTINCT FROM OLD.action
       AND NEW.environment IS NOT DISTINCT FROM OLD.environment
       AND NEW.risk_level IS NOT DISTINCT FROM OLD.risk_level
       AND NEW.payload = OLD.payload THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();
