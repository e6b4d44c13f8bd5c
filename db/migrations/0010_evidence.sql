CREATE TABLE "audit_checkpoints" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"signed_at" timestamp (3) with time zone NOT NULL,
	"kid" text NOT NULL,
	"jws" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"kid" text NOT NULL,
	"issued_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"redeemed_at" timestamp (3) with time zone,
	"redeemed_by" jsonb,
	CONSTRAINT "grants_request_id_unique" UNIQUE("request_id")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "mac" text;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- The one-time seal may not touch the MAC either (it is written with the row, once).
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
       AND NEW.mac IS NOT DISTINCT FROM OLD.mac THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
