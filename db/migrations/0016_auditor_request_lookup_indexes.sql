-- The audit timeline's params_hash filter goes through the requests filed with that hash; the
-- Requests list pages newest first on (created_at, id). Both were sequential scans before.
CREATE INDEX "requests_params_hash_idx" ON "requests" USING btree ("params_hash");--> statement-breakpoint
CREATE INDEX "requests_created_idx" ON "requests" USING btree ("created_at","id");