// Signed grants: the proof an executed approval carries outside the database. `signGrant` turns the
// request, its agent and its votes into a compact JWS (EdDSA, typ countersign-grant+jwt) at the one
// successful execute; `verifyGrant` is what any holder of our JWKS runs to check one — pure, no I/O,
// no clock but the one it is given — and says why a token is refused (the SDK's verifier).
import { randomUUID } from "node:crypto";
import { verifyGrant as verifySignedGrant, type GrantFailure, type VerifyGrantOptions } from "@countersign/sdk";
import { SignJWT, type JSONWebKeySet } from "jose";
import type { Agent, RequestRow, ReviewRow } from "@/db/schema";
import { env } from "@/lib/config/env";
import { DEFAULT_GRANT_ISSUER, GRANT_TYP, grantClaims, type GrantClaims } from "./grant-claims";
import { SIGNING_ALG, type SigningKey } from "./keys";

export { GRANT_TYP, grantClaims, type GrantClaims } from "./grant-claims";

/** What a grant is about: the request (as executed), its agent, and its votes. */
export type GrantSubject = {
  request: Pick<RequestRow, "id" | "action" | "resource" | "environment" | "paramsHash" | "policyRule" | "policyHash" | "policyDecision" | "grantExpiresAt">;
  agent: Pick<Agent, "id" | "name">;
  reviews: Pick<ReviewRow, "reviewerId" | "reviewerName" | "decision" | "channel" | "createdAt">[];
};

/** `iss` of the grants this deployment signs: COUNTERSIGN_PUBLIC_URL (without a trailing slash), else urn:countersign. */
export function grantIssuer(): string {
  return env().COUNTERSIGN_PUBLIC_URL?.replace(/\/+$/, "") ?? DEFAULT_GRANT_ISSUER;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The claims of a grant issued at `now` (pure). `exp` is the end of the grant window, rounded down to the second. */
export function grantClaimsFor(subject: GrantSubject, opts: { jti: string; now: Date; issuer: string }): GrantClaims {
  const { request, agent, reviews } = subject;
  if (!request.grantExpiresAt) throw new Error(`grantClaimsFor: request ${request.id} has no grant window`);
  const iat = seconds(opts.now);
  return {
    iss: opts.issuer,
    sub: request.id,
    jti: opts.jti,
    iat,
    nbf: iat,
    exp: seconds(request.grantExpiresAt),
    agent: { id: agent.id, name: agent.name },
    action: request.action,
    resource: request.resource,
    environment: request.environment,
    params_hash: request.paramsHash,
    approvals: reviews
      .filter((v) => v.decision === "approve")
      .map((v) => ({ person_id: v.reviewerId, name: v.reviewerName, approved_at: v.createdAt.toISOString(), channel: v.channel })),
    policy: { rule: request.policyRule, hash: request.policyHash, decision: request.policyDecision },
  };
}

export type SignedGrant = { token: string; claims: GrantClaims; kid: string };

/** Signs a new grant (fresh `jti`) for `subject` with the active key. */
export async function signGrant(subject: GrantSubject, opts: { key: SigningKey; now: Date; issuer?: string; jti?: string }): Promise<SignedGrant> {
  const claims = grantClaimsFor(subject, { jti: opts.jti ?? randomUUID(), now: opts.now, issuer: opts.issuer ?? grantIssuer() });
  const token = await new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALG, kid: opts.key.kid, typ: GRANT_TYP }).sign(opts.key.privateKey);
  return { token, claims, kid: opts.key.kid };
}

// ── verification ──────────────────────────────────────────────────────────────────────────────
// One verifier for everybody: the SDK's (@countersign/sdk, what target systems and agents run),
// here held to the server's stricter claim schema (vocabulary enums, datetimes) on top.

export type { GrantExpectations, GrantFailure } from "@countersign/sdk";

export type GrantVerification =
  | { ok: true; claims: GrantClaims; kid: string | undefined }
  | { ok: false; failure: GrantFailure; message: string; claim?: string };

/** Checks a grant: signature against `jwks` (EdDSA only), header `typ`, the claims' shape, `exp`/`nbf`, then `expect`. */
export async function verifyGrant(token: string, opts: Omit<VerifyGrantOptions, "url" | "fetch"> & { jwks: JSONWebKeySet }): Promise<GrantVerification> {
  const verified = await verifySignedGrant(token, opts);
  if (!verified.ok) return verified;
  const parsed = grantClaims.safeParse(verified.claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const claim = issue.path.map(String).join(".");
    return { ok: false, failure: "invalid_claims", message: `Claim ${claim || "(payload)"}: ${issue.message}.`, ...(claim ? { claim } : {}) };
  }
  return { ...verified, claims: parsed.data };
}
