CREATE TYPE "public"."actor_kind" AS ENUM('agent', 'user', 'system');--> statement-breakpoint
CREATE TYPE "public"."channel" AS ENUM('console', 'slack', 'api', 'system', 'cli');--> statement-breakpoint
CREATE TYPE "public"."policy_decision" AS ENUM('require_approval', 'auto_approve', 'deny');--> statement-breakpoint
CREATE TYPE "public"."request_status" AS ENUM('pending', 'approved', 'denied', 'expired', 'cancelled', 'executed');--> statement-breakpoint
CREATE TYPE "public"."review_decision" AS ENUM('approve', 'deny');--> statement-breakpoint
CREATE TYPE "public"."risk_level" AS ENUM('low', 'medium', 'high', 'critical');--> statement-breakpoint
CREATE TABLE "agent_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner" text NOT NULL,
	"description" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"created_by" text NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"type" text NOT NULL,
	"actor_kind" "actor_kind" NOT NULL,
	"actor_id" text NOT NULL,
	"actor" jsonb NOT NULL,
	"channel" "channel" NOT NULL,
	"request_id" uuid,
	"agent_id" uuid,
	"action" text,
	"environment" text,
	"risk_level" "risk_level",
	"payload" jsonb NOT NULL,
	"seq" bigint,
	"prev_hash" text,
	"hash" text,
	"sealed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"action" text NOT NULL,
	"resource" text NOT NULL,
	"environment" text NOT NULL,
	"intent" text NOT NULL,
	"context" jsonb NOT NULL,
	"origin" jsonb NOT NULL,
	"on_behalf_of" text,
	"callback_url" text,
	"params_hash" text NOT NULL,
	"status" "request_status" NOT NULL,
	"risk_score" integer NOT NULL,
	"risk_level" "risk_level" NOT NULL,
	"risk_reasons" jsonb NOT NULL,
	"policy_rule" text NOT NULL,
	"policy_hash" text NOT NULL,
	"policy_decision" "policy_decision" NOT NULL,
	"explanation" text NOT NULL,
	"approvals_required" integer NOT NULL,
	"approver_groups" jsonb NOT NULL,
	"notify" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"grant_window_seconds" integer NOT NULL,
	"decision_deadline" timestamp (3) with time zone NOT NULL,
	"grant_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"decided_at" timestamp (3) with time zone,
	"executed_at" timestamp (3) with time zone,
	"result_status" text,
	"result_detail" jsonb,
	"result_at" timestamp (3) with time zone,
	"idempotency_key" text,
	"body_hash" text NOT NULL,
	CONSTRAINT "requests_risk_score_range" CHECK ("requests"."risk_score" between 0 and 100),
	CONSTRAINT "requests_approvals_required_positive" CHECK ("requests"."approvals_required" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" uuid PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"reviewer_id" text NOT NULL,
	"reviewer_name" text NOT NULL,
	"idp" text NOT NULL,
	"groups" jsonb NOT NULL,
	"decision" "review_decision" NOT NULL,
	"note" text,
	"channel" "channel" NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_keys_prefix_key" ON "agent_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "agent_keys_agent_idx" ON "agent_keys" USING btree ("agent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_name_key" ON "agents" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_event_id_key" ON "audit_events" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events" USING btree ("id") WHERE "audit_events"."seq" is null;--> statement-breakpoint
CREATE INDEX "audit_events_request_idx" ON "audit_events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "requests_idempotency_key" ON "requests" USING btree ("agent_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "requests_status_deadline_idx" ON "requests" USING btree ("status","decision_deadline");--> statement-breakpoint
CREATE INDEX "requests_status_grant_idx" ON "requests" USING btree ("status","grant_expires_at");--> statement-breakpoint
CREATE INDEX "requests_agent_action_idx" ON "requests" USING btree ("agent_id","action");--> statement-breakpoint
CREATE INDEX "requests_pending_inbox_idx" ON "requests" USING btree ("risk_score","created_at") WHERE "requests"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "reviews_one_vote_per_reviewer" ON "reviews" USING btree ("request_id","reviewer_id");