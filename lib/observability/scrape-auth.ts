// Who may read /api/metrics: whoever presents COUNTERSIGN_METRICS_TOKEN (the Prometheus scraper),
// compared in constant time. Without the variable the endpoint does not exist (404): metrics name
// agents' traffic and the audit chain's progress, which are not for anonymous eyes.
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Refuses (`not_found` while metrics are off, `unauthorized` for a missing or wrong token) or returns. */
export function authenticateScraper(authorization: string | null): void {
  const token = env().COUNTERSIGN_METRICS_TOKEN;
  if (!token) throw new CountersignError("not_found", "Metrics are not enabled on this server (set COUNTERSIGN_METRICS_TOKEN).");
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  // Digests first: equal lengths for timingSafeEqual, and the token's length is not leaked either.
  if (!presented || !timingSafeEqual(digest(presented), digest(token))) {
    throw new CountersignError("unauthorized", "Missing or invalid bearer token.");
  }
}
