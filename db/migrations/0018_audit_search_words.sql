-- The free-text filter's text is written by the server with each event (lib/audit/search-text.ts):
-- the event's words, identifiers cut out into search_ids (found whole through their own index).
-- Existing rows keep the text their generated column computed (DROP EXPRESSION keeps the values).
ALTER TABLE "audit_events" ALTER COLUMN "search_text" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "search_ids" text[];--> statement-breakpoint
CREATE INDEX "audit_events_search_ids_idx" ON "audit_events" USING gin ("search_ids") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
-- A row inserted without its text (a server from before this migration, still running during a
-- rolling upgrade; hand-written SQL) gets the text the generated column gave it: findable, never NULL.
-- The WHEN clause is checked in the executor: rows the server writes run no PL/pgSQL here.
CREATE OR REPLACE FUNCTION audit_events_search_text_fallback() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_text := lower(NEW.type || ' ' || NEW.actor_id || ' ' || coalesce(NEW.action, '') || ' ' ||
    coalesce(NEW.environment, '') || ' ' || coalesce(NEW.actor->>'display', '') || ' ' || NEW.payload::text);
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "audit_events_search_text_fallback"
  BEFORE INSERT ON "audit_events"
  FOR EACH ROW WHEN (NEW.search_text IS NULL) EXECUTE FUNCTION audit_events_search_text_fallback();--> statement-breakpoint
-- The one-time seal may not touch what is searched either (written with the row, once).
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
       AND NEW.payload = OLD.payload
       AND NEW.mac IS NOT DISTINCT FROM OLD.mac
       AND NEW.search_text IS NOT DISTINCT FROM OLD.search_text
       AND NEW.search_ids IS NOT DISTINCT FROM OLD.search_ids THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
