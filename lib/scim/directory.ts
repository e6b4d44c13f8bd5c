// What a directory change does beyond the directory: the transaction it runs in (with its audit
// event; a name taken concurrently reads as 409 `uniqueness`), who it is recorded as, and the
// console sessions a deactivation ends — those of the identities of the configured Okta issuer
// whose login is the user's userName, so the person cannot act from their next request on.
import type { Executor } from "@/db/client";
import { getDb } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { endSessionsOf } from "@/db/queries/people";
import { selectIdentityIdsByLogin } from "@/db/queries/scim";
import type { AuditActor } from "@/db/schema";
import { kickSealer } from "@/lib/audit/sealer";
import { readAuthSettings } from "@/lib/auth/config";
import { CountersignError } from "@/lib/errors";

/** The SCIM base URL (…/scim/v2), for `location` and `$ref`, and the time of the change. */
export type ScimContext = { base: string; now?: Date };

/** The actor of every directory change: Okta, through its provisioning connection. */
export const SCIM_ACTOR: AuditActor = { kind: "system", id: "scim", display: "Okta (SCIM provisioning)", idp: "okta" };

/** Runs one directory change and its audit event in one transaction; then wakes the audit sealer. */
export async function directoryTransaction<T>(change: (tx: Executor) => Promise<T>): Promise<T> {
  const db = await getDb();
  let result: T;
  try {
    result = await db.transaction((tx) => change(tx));
  } catch (err) {
    // Two writers raced for one userName or displayName; the loser is told as if it came second.
    if (isUniqueViolation(err)) throw new CountersignError("conflict", "That name is already taken in the directory.");
    throw err;
  }
  kickSealer();
  return result;
}

/**
 * Ends every open session of the identities this userName stands for. Returns those identities
 * and how many sessions ended. Without Okta sign-in configured no identity is SCIM's to end.
 */
export async function endSessionsOfUserName(tx: Executor, userName: string, at: Date, reason: string): Promise<{ identityIds: string[]; sessions: number }> {
  const issuer = readAuthSettings().okta?.issuer;
  if (!issuer) return { identityIds: [], sessions: 0 };
  const identityIds = await selectIdentityIdsByLogin(tx, issuer, userName);
  let sessions = 0;
  for (const identityId of identityIds) sessions += await endSessionsOf(tx, { identityId }, at, reason);
  return { identityIds, sessions };
}
