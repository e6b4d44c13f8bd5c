CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
DROP INDEX "audit_events_time_idx";--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "search_text" text GENERATED ALWAYS AS (lower(type || ' ' || actor_id || ' ' || coalesce(action, '') || ' ' || coalesce(environment, '') || ' ' || (actor->>'display') || ' ' || payload::text)) STORED;--> statement-breakpoint
CREATE INDEX "audit_events_type_time_idx" ON "audit_events" USING btree ("type","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_time_idx" ON "audit_events" USING btree ("actor_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_agent_time_idx" ON "audit_events" USING btree ("agent_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_time_idx" ON "audit_events" USING btree ("action","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_env_time_idx" ON "audit_events" USING btree ("environment","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_risk_time_idx" ON "audit_events" USING btree ("risk_level","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_outcome_time_idx" ON "audit_events" USING btree ("outcome","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_channel_time_idx" ON "audit_events" USING btree ("channel","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_search_trgm_idx" ON "audit_events" USING gin ("search_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("occurred_at","id");--> statement-breakpoint
-- The seal-once guard must also pin the new column.
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
       AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
       AND NEW.payload = OLD.payload THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
