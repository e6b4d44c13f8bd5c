// Redeeming a grant: a target system presents the grant it was handed (the token is the credential;
// no agent key) and the first redemption wins. The token is checked against our JWKS (retired keys
// included, so grants signed before a rotation still redeem), then one transaction marks the grant
// row redeemed — only if nobody has — with its `grant.redeemed` audit event.
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { findGrant, markGrantRedeemed } from "@/db/queries/grants";
import { findRequest } from "@/db/queries/requests";
import type { AuditActor, GrantRow } from "@/db/schema";
import { auditEvent } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { CountersignError, type ErrorCode } from "@/lib/errors";
import type { GrantRedemption } from "@/lib/requests/schema";
import { verifyGrant, type GrantFailure } from "./grants";
import { keyRing } from "./keys";

export type Redeemer = { name: string } & Record<string, unknown>;

const REFUSALS: Record<Exclude<GrantFailure, "mismatch">, ErrorCode> = {
  malformed: "invalid_grant",
  wrong_type: "invalid_grant",
  invalid_claims: "invalid_grant",
  not_yet_valid: "invalid_grant",
  unsupported_algorithm: "invalid_grant_signature",
  unknown_key: "invalid_grant_signature",
  bad_signature: "invalid_grant_signature",
  expired: "expired",
  jwks_unavailable: "invalid_grant_signature", // not with a local key ring
};

const notFound = () => new CountersignError("not_found", "No such grant.");

/** The redeemer as an audit actor: a system outside Countersign, named as it names itself. */
const redeemerActor = (r: Redeemer): AuditActor => ({ kind: "system", id: `redeemer:${r.name}`, display: r.name });

function missed(row: GrantRow | undefined, now: Date): CountersignError {
  if (!row) return notFound();
  if (row.redeemedAt) return new CountersignError("already_redeemed", `This grant was already redeemed, at ${row.redeemedAt.toISOString()}.`);
  if (row.expiresAt.getTime() <= now.getTime()) return new CountersignError("expired", `The grant expired at ${row.expiresAt.toISOString()}.`);
  return new CountersignError("conflict", "The grant could not be redeemed; retry.");
}

/** Redeems grant `id` with `token`, once. Throws typed errors: 400/401 bad token, 404, 409 already redeemed, 410 expired. */
export async function redeemGrant(id: string, token: string, redeemer: Redeemer, clock: { now?: Date } = {}): Promise<GrantRedemption> {
  const now = clock.now ?? new Date();
  const { jwks } = await keyRing();
  const verified = await verifyGrant(token, { jwks, now });
  if (!verified.ok) {
    const code = REFUSALS[verified.failure as Exclude<GrantFailure, "mismatch">] ?? "invalid_grant";
    throw new CountersignError(code, `The grant was refused: ${verified.message}`, code === "expired" ? {} : { issues: [{ path: "grant", message: verified.failure }] });
  }
  const { claims } = verified;
  const db = await getDb();
  if (claims.jti !== id) {
    // A grant id nobody issued is simply unknown; a real one is not this token's.
    if (!(await findGrant(db, id))) throw notFound();
    throw new CountersignError("grant_mismatch", `This grant's id (jti) is ${claims.jti}, not ${id}.`, {
      issues: [{ path: "grant", message: "jti does not match the grant id in the path" }],
    });
  }

  const outcome = await db.transaction(async (tx): Promise<{ row: GrantRow } | { error: CountersignError }> => {
    const row = await markGrantRedeemed(tx, id, now, redeemer);
    if (!row) return { error: missed(await findGrant(tx, id), now) };
    const request = await findRequest(tx, row.requestId);
    if (!request) throw new Error(`grant ${id} names request ${row.requestId}, which does not exist`);
    await insertAuditEvents(tx, [
      auditEvent({
        type: "grant.redeemed",
        actor: redeemerActor(redeemer),
        channel: "api",
        at: now,
        request,
        payload: { grant_id: id, kid: verified.kid ?? null, params_hash: claims.params_hash, redeemer },
      }),
    ]);
    return { row };
  });
  if ("error" in outcome) throw outcome.error;
  kickSealer();
  return {
    id,
    request_id: outcome.row.requestId,
    redeemed_at: now.toISOString(),
    redeemer,
    claims,
  };
}
