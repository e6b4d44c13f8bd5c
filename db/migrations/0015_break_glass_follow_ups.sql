ALTER TABLE "requests" ADD COLUMN "follow_up" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "break_glass" jsonb;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "break_glass_review_due_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "break_glass_review_escalated_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "remind_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "reminded_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "escalate_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "escalated_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "escalated_to" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "requests_remind_due_idx" ON "requests" USING btree ("remind_at") WHERE "requests"."reminded_at" is null and "requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "requests_escalate_due_idx" ON "requests" USING btree ("escalate_at") WHERE "requests"."escalated_at" is null and "requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "requests_break_glass_review_idx" ON "requests" USING btree ("break_glass_review_due_at") WHERE "requests"."break_glass" is not null;