-- The timeline's indexes cover sealed events only (the timeline shows the chain). An event is
-- inserted unsealed in the agent's transaction and sealed milliseconds later by an UPDATE that
-- cannot be HOT (seq is indexed), so it is indexed at the seal anyway: indexing it at the insert
-- too doubled the work, most of it in the trigram index. Measured on the create path: PostgreSQL
-- CPU per request 1.10 → 0.78-0.88 ms, throughput +20 %.
DROP INDEX "audit_events_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_type_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_actor_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_agent_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_action_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_env_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_risk_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_outcome_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_channel_time_idx";--> statement-breakpoint
DROP INDEX "audit_events_search_trgm_idx";--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_type_time_idx" ON "audit_events" USING btree ("type","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_actor_time_idx" ON "audit_events" USING btree ("actor_id","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_agent_time_idx" ON "audit_events" USING btree ("agent_id","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_action_time_idx" ON "audit_events" USING btree ("action","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_env_time_idx" ON "audit_events" USING btree ("environment","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_risk_time_idx" ON "audit_events" USING btree ("risk_level","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_outcome_time_idx" ON "audit_events" USING btree ("outcome","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_channel_time_idx" ON "audit_events" USING btree ("channel","occurred_at","id") WHERE "audit_events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_search_trgm_idx" ON "audit_events" USING gin ("search_text" gin_trgm_ops) WHERE "audit_events"."seq" is not null;