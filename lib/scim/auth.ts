// Who may write the directory: whoever presents COUNTERSIGN_SCIM_TOKEN (Okta's provisioning
// connection), compared in constant time (lib/auth/static-bearer.ts). Without the variable SCIM does not exist here.
import { env } from "@/lib/config/env";
import { requireStaticBearer } from "@/lib/auth/static-bearer";

export function scimEnabled(): boolean {
  return Boolean(env().COUNTERSIGN_SCIM_TOKEN);
}

/** Refuses (`not_found` while SCIM is off, `unauthorized` for a missing or wrong token) or returns. */
export function authenticateScim(authorization: string | null): void {
  requireStaticBearer(authorization, env().COUNTERSIGN_SCIM_TOKEN, "SCIM provisioning is not enabled on this server (set COUNTERSIGN_SCIM_TOKEN).");
}
