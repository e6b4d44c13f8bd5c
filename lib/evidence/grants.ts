// Signed grants: the proof an executed approval carries outside the database. `signGrant` turns the
// request, its agent and its votes into a compact JWS (EdDSA, typ countersign-grant+jwt) at the one
// successful execute; `verifyGrant` is what any holder of our JWKS runs to check one — pure, no I/O,
// no clock but the one it is given — and says why a token is refused.
import { randomUUID } from "node:crypto";
import { compactVerify, createLocalJWKSet, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
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

/** Fields a verifier may require to equal what it is about to do. */
export type GrantExpectations = {
  /** The grant's own id (`jti`). */
  id?: string;
  /** The request id (`sub`). */
  request_id?: string;
  params_hash?: string;
  action?: string;
  resource?: string;
  environment?: string;
  /** `iss`. */
  issuer?: string;
};

/**
 * Why a token is not a valid grant: it is not a JWS at all (`malformed`); its signature cannot be
 * trusted (`unsupported_algorithm` — anything but EdDSA, `alg: none` included —, `unknown_key`,
 * `bad_signature`); it is signed by us but is not a grant (`wrong_type`, `invalid_claims`); it is
 * outside its validity (`expired`, `not_yet_valid`); or it is a valid grant for something else
 * (`mismatch`, naming the claim).
 */
export type GrantFailure =
  | "malformed"
  | "unsupported_algorithm"
  | "unknown_key"
  | "bad_signature"
  | "wrong_type"
  | "invalid_claims"
  | "expired"
  | "not_yet_valid"
  | "mismatch";

export type GrantVerification =
  | { ok: true; claims: GrantClaims; kid: string | undefined }
  | { ok: false; failure: GrantFailure; message: string; claim?: string };

export type VerifyGrantOptions = {
  jwks: JSONWebKeySet;
  expect?: GrantExpectations;
  /** The time to judge `exp` and `nbf` by (default: now). */
  now?: Date;
  /** Allowed clock skew in seconds for `exp` and `nbf` (default 0). */
  clockToleranceSeconds?: number;
};

// createLocalJWKSet imports each key once per set: keep one per JWKS object (a key ring holds one).
const keySets = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();
function localKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  let set = keySets.get(jwks);
  if (!set) keySets.set(jwks, (set = createLocalJWKSet(jwks)));
  return set;
}

const JOSE_FAILURES: Record<string, GrantFailure> = {
  ERR_JOSE_ALG_NOT_ALLOWED: "unsupported_algorithm",
  ERR_JOSE_NOT_SUPPORTED: "unsupported_algorithm",
  ERR_JWKS_NO_MATCHING_KEY: "unknown_key",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "unknown_key",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "bad_signature",
};

const EXPECTED: readonly [keyof GrantExpectations, (c: GrantClaims) => string][] = [
  ["id", (c) => c.jti],
  ["request_id", (c) => c.sub],
  ["issuer", (c) => c.iss],
  ["action", (c) => c.action],
  ["resource", (c) => c.resource],
  ["environment", (c) => c.environment],
  ["params_hash", (c) => c.params_hash],
];
const CLAIM_NAMES: Record<keyof GrantExpectations, string> = {
  id: "jti",
  request_id: "sub",
  issuer: "iss",
  action: "action",
  resource: "resource",
  environment: "environment",
  params_hash: "params_hash",
};

/** Checks a grant: signature against `jwks` (EdDSA only), header `typ`, the claims' shape, `exp`/`nbf`, then `expect`. */
export async function verifyGrant(token: string, opts: VerifyGrantOptions): Promise<GrantVerification> {
  const fail = (failure: GrantFailure, message: string, claim?: string): GrantVerification => ({ ok: false, failure, message, ...(claim ? { claim } : {}) });

  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(token, localKeySet(opts.jwks), { algorithms: [SIGNING_ALG] });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    const failure = JOSE_FAILURES[code] ?? "malformed";
    return fail(failure, failure === "malformed" ? "Not a compact JWS." : `Signature not trusted (${(err as Error).message}).`);
  }
  const { protectedHeader, payload } = verified;
  if (protectedHeader.typ !== GRANT_TYP) return fail("wrong_type", `Header typ is ${JSON.stringify(protectedHeader.typ ?? null)}, not ${GRANT_TYP}: not a grant.`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return fail("malformed", "The payload is not JSON.");
  }
  const parsed = grantClaims.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const claim = issue.path.map(String).join(".");
    return fail("invalid_claims", `Claim ${claim || "(payload)"}: ${issue.message}.`, claim || undefined);
  }
  const claims = parsed.data;

  const nowMs = (opts.now ?? new Date()).getTime();
  const toleranceMs = (opts.clockToleranceSeconds ?? 0) * 1000;
  if (nowMs - toleranceMs >= claims.exp * 1000) {
    return fail("expired", `The grant expired at ${new Date(claims.exp * 1000).toISOString()}.`, "exp");
  }
  if (nowMs + toleranceMs < claims.nbf * 1000) {
    return fail("not_yet_valid", `The grant is not valid before ${new Date(claims.nbf * 1000).toISOString()}.`, "nbf");
  }

  for (const [field, read] of EXPECTED) {
    const want = opts.expect?.[field];
    if (want !== undefined && read(claims) !== want) {
      const claim = CLAIM_NAMES[field];
      return fail("mismatch", `The grant's ${claim} is ${JSON.stringify(read(claims))}, not ${JSON.stringify(want)}.`, claim);
    }
  }
  return { ok: true, claims, kid: protectedHeader.kid };
}
