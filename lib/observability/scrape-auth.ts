// Who may read /metrics: whoever presents COUNTERSIGN_METRICS_TOKEN (the Prometheus scraper).
// Without the variable the endpoint does not exist (404): metrics name agents' traffic and the
// audit chain's progress, which are not for anonymous eyes.
import { requireStaticBearer } from "@/lib/auth/static-bearer";
import { env } from "@/lib/config/env";

/** Refuses (`not_found` while metrics are off, `unauthorized` for a missing or wrong token) or returns. */
export function authenticateScraper(authorization: string | null): void {
  requireStaticBearer(authorization, env().COUNTERSIGN_METRICS_TOKEN, "Metrics are not enabled on this server (set COUNTERSIGN_METRICS_TOKEN).");
}
