// A bearer token fixed by configuration (Okta's SCIM connection, the Prometheus scraper): refused as
// `not_found` while it is unset (the endpoint does not exist), `unauthorized` for a missing or wrong
// token, compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import { CountersignError } from "@/lib/errors";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

export function requireStaticBearer(authorization: string | null, token: string | undefined, disabled: string): void {
  if (!token) throw new CountersignError("not_found", disabled);
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  // Digests first: equal lengths for timingSafeEqual, and the token's length is not leaked either.
  if (!presented || !timingSafeEqual(digest(presented), digest(token))) {
    throw new CountersignError("unauthorized", "Missing or invalid bearer token.");
  }
}
