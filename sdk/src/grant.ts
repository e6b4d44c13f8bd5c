// verifyGrant: what a target system (or the SDK, before it runs anything) does with a grant. The
// signature must verify with Countersign's JWKS (EdDSA only: `alg: none` and HMAC tricks are
// refused), the header must say it is a grant, the claims must have the grant's shape, the time
// must be inside nbf..exp, and every expectation given must equal its claim — params_hash above
// all, recomputed from what is about to run.
import { compactVerify, createLocalJWKSet, createRemoteJWKSet, customFetch, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { GrantVerificationError } from "./errors.js";
import type { GrantClaims } from "./types.js";

export const GRANT_TYP = "countersign-grant+jwt";
const ALG = "EdDSA";

/** Claims a verifier may require to equal what it is about to do. */
export type GrantExpectations = {
  /** The grant's own id (`jti`). */
  id?: string;
  /** The request id (`sub`). */
  request_id?: string;
  params_hash?: string;
  action?: string;
  resource?: string;
  environment?: string;
  /** `iss`: the Countersign deployment's public URL (or urn:countersign). */
  issuer?: string;
};

/**
 * Why a token is not a grant to act on: not a JWS (`malformed`); a signature that cannot be trusted
 * (`unsupported_algorithm`, `unknown_key`, `bad_signature`); signed but not a grant (`wrong_type`,
 * `invalid_claims`); outside its validity (`expired`, `not_yet_valid`); a grant for something else
 * (`mismatch`, with the claim); or the JWKS could not be fetched (`jwks_unavailable`).
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
  | "mismatch"
  | "jwks_unavailable";

export type GrantVerification =
  | { ok: true; claims: GrantClaims; kid: string | undefined }
  | { ok: false; failure: GrantFailure; message: string; claim?: string };

export type VerifyGrantOptions = {
  /** The JWKS itself, e.g. read from a file the target was deployed with… */
  jwks?: JSONWebKeySet;
  /** …or the Countersign URL whose /.well-known/jwks.json to fetch (cached, refetched for an unknown kid). */
  url?: string | URL;
  expect?: GrantExpectations;
  /** The time to judge exp and nbf by (default: now). */
  now?: Date;
  /** Allowed clock skew for exp and nbf, in seconds (default 0). */
  clockToleranceSeconds?: number;
  /** fetch for the remote JWKS (default: globalThis.fetch). */
  fetch?: typeof fetch;
};

const localSets = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();
const remoteSets = new Map<string, JWTVerifyGetKey>();

function keySet(opts: VerifyGrantOptions): JWTVerifyGetKey {
  if (opts.jwks) {
    let set = localSets.get(opts.jwks);
    if (!set) localSets.set(opts.jwks, (set = createLocalJWKSet(opts.jwks)));
    return set;
  }
  if (opts.url === undefined) throw new TypeError("verifyGrant needs `jwks` or `url`.");
  const jwksUrl = new URL("/.well-known/jwks.json", opts.url).toString();
  const key = opts.fetch ? undefined : jwksUrl; // a custom fetch is not shared through the cache
  let set = key ? remoteSets.get(key) : undefined;
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      ...(opts.fetch ? { [customFetch]: opts.fetch } : {}),
    });
    if (key) remoteSets.set(key, set);
  }
  return set;
}

const JOSE_FAILURES: Record<string, GrantFailure> = {
  ERR_JOSE_ALG_NOT_ALLOWED: "unsupported_algorithm",
  ERR_JOSE_NOT_SUPPORTED: "unsupported_algorithm",
  ERR_JWKS_NO_MATCHING_KEY: "unknown_key",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "unknown_key",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "bad_signature",
  ERR_JWKS_TIMEOUT: "jwks_unavailable",
  ERR_JWKS_INVALID: "jwks_unavailable",
};

const EXPECTED: readonly [keyof GrantExpectations, keyof GrantClaims][] = [
  ["id", "jti"],
  ["request_id", "sub"],
  ["issuer", "iss"],
  ["action", "action"],
  ["resource", "resource"],
  ["environment", "environment"],
  ["params_hash", "params_hash"],
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown) => typeof v === "string" && v.length > 0;
const isTime = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** The first claim that does not have the grant's shape, or undefined. */
function invalidClaim(c: Record<string, unknown>): string | undefined {
  for (const k of ["iss", "sub", "jti", "action", "resource", "environment"] as const) if (!isString(c[k])) return k;
  for (const k of ["iat", "nbf", "exp"] as const) if (!isTime(c[k])) return k;
  if (typeof c.params_hash !== "string" || !/^[0-9a-f]{64}$/.test(c.params_hash)) return "params_hash";
  if (!isObject(c.agent) || !isString(c.agent.id) || typeof c.agent.name !== "string") return "agent";
  if (!Array.isArray(c.approvals) || !c.approvals.every((a) => isObject(a) && isString(a.person_id) && typeof a.approved_at === "string")) return "approvals";
  if (!isObject(c.policy) || typeof c.policy.rule !== "string" || typeof c.policy.decision !== "string") return "policy";
  return undefined;
}

/** Checks a grant and says why it is refused; never throws for a bad token. */
export async function verifyGrant(token: string, opts: VerifyGrantOptions): Promise<GrantVerification> {
  const fail = (failure: GrantFailure, message: string, claim?: string): GrantVerification => ({ ok: false, failure, message, ...(claim ? { claim } : {}) });

  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(token, keySet(opts), { algorithms: [ALG] });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    const failure = JOSE_FAILURES[code] ?? (err instanceof TypeError && /fetch/i.test(err.message) ? "jwks_unavailable" : "malformed");
    if (failure === "jwks_unavailable") return fail(failure, `The JWKS could not be fetched (${(err as Error).message}).`);
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
  if (!isObject(json)) return fail("invalid_claims", "The payload is not an object.");
  const bad = invalidClaim(json);
  if (bad) return fail("invalid_claims", `Claim ${bad} is missing or malformed.`, bad);
  const claims = json as unknown as GrantClaims;

  const nowMs = (opts.now ?? new Date()).getTime();
  const toleranceMs = (opts.clockToleranceSeconds ?? 0) * 1000;
  if (nowMs - toleranceMs >= claims.exp * 1000) return fail("expired", `The grant expired at ${new Date(claims.exp * 1000).toISOString()}.`, "exp");
  if (nowMs + toleranceMs < claims.nbf * 1000) return fail("not_yet_valid", `The grant is not valid before ${new Date(claims.nbf * 1000).toISOString()}.`, "nbf");

  for (const [field, claim] of EXPECTED) {
    const want = opts.expect?.[field];
    if (want !== undefined && claims[claim] !== want) {
      return fail("mismatch", `The grant's ${claim} is ${JSON.stringify(claims[claim])}, not ${JSON.stringify(want)}.`, claim);
    }
  }
  return { ok: true, claims, kid: protectedHeader.kid };
}

/** verifyGrant that returns the claims or throws GrantVerificationError. */
export async function assertGrant(token: string, opts: VerifyGrantOptions): Promise<GrantClaims> {
  const v = await verifyGrant(token, opts);
  if (!v.ok) throw new GrantVerificationError(v.failure, v.message, v.claim);
  return v.claims;
}
