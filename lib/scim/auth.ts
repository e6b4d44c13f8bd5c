// Who may write the directory: whoever presents COUNTERSIGN_SCIM_TOKEN (Okta's provisioning
// connection), compared in constant time. Without the variable SCIM does not exist here.
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";

export function scimEnabled(): boolean {
  return Boolean(env().COUNTERSIGN_SCIM_TOKEN);
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Refuses (`not_found` while SCIM is off, `unauthorized` for a missing or wrong token) or returns. */
export function authenticateScim(authorization: string | null): void {
  const token = env().COUNTERSIGN_SCIM_TOKEN;
  if (!token) throw new CountersignError("not_found", "SCIM provisioning is not enabled on this server (set COUNTERSIGN_SCIM_TOKEN).");
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  // Digests first: equal lengths for timingSafeEqual, and the token's length is not leaked either.
  if (!presented || !timingSafeEqual(digest(presented), digest(token))) {
    throw new CountersignError("unauthorized", "Missing or invalid bearer token.");
  }
}
