// Workload identity: an OIDC token from a trusted issuer (GitHub Actions, a Kubernetes projected
// service account token, …) verified against the issuer's JWKS and matched to an agent by the
// policy's workload_identities; and the short-lived agent tokens /api/v1/token issues for one.
//
// The agent token is a compact JWS signed with the server's evidence key (EdDSA), header typ
// `countersign-agent+jwt`, audience AGENT_TOKEN_AUDIENCE: stateless (no table, no write per
// exchange), verifiable by every process, and never confusable with a grant (typ and aud differ,
// and each verifier insists on its own). Revocation is by agent: every use re-reads the agent
// (cached for seconds, dropped on NOTIFY), so revoking the agent refuses its tokens at once.
import { randomUUID } from "node:crypto";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { WorkloadIdentity } from "@/db/schema";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { keyRing, SIGNING_ALG } from "@/lib/evidence/keys";
import type { Policy } from "@/lib/policy/types";
import { audiencesFor, isLoopbackHost, matchWorkloadIdentity } from "@/lib/policy/workload-identities";
import { processWide } from "@/lib/runtime/process-wide";
import { awsIdentityBackend } from "./aws-token-subject";

/** Who a workload is, as verified: what the audit, the request's authenticated origin and the token carry. */
export type { WorkloadIdentity };

/** The checks a presented token can fail, named in the error's issue path and the token endpoint's `check`. */
export type TokenCheck =
  | "malformed"
  | "algorithm"
  | "issuer"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "lifetime"
  | "audience"
  | "no_matching_identity"
  | "agent";

export function tokenError(check: TokenCheck, message: string): CountersignError {
  return new CountersignError("invalid_token", message, { issues: [{ path: check, message }] });
}

/** The check a token error names (the token endpoint answers it as `check`). */
export function failedCheck(err: CountersignError): string | undefined {
  return err.code === "invalid_token" ? err.issues[0]?.path : undefined;
}

// Asymmetric algorithms only: `none` and HS* (which a forger "signs" with the issuer's public key) are refused.
const ISSUER_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
/** Clocks differ between a CI runner, a cluster and this server: this much either way is tolerated. */
export const CLOCK_SKEW_SECONDS = 60;
/** An issuer token valid for longer than this is refused (Kubernetes' default is 1 h, GitHub's minutes). */
export const MAX_PRESENTED_LIFETIME_SECONDS = 24 * 60 * 60;
/** Informative claims kept with the identity when the issuer sets them (GitHub Actions' run, Kubernetes' pod). */
const CONTEXT_CLAIMS = ["run_id", "run_attempt", "workflow", "workflow_ref", "job_workflow_ref", "sha", "actor", "environment", "event_name"];

// ── issuers: discovery and JWKS, cached per process ─────────────────────────────────────────────

type IssuerKeys = { getKey: JWTVerifyGetKey; at: number };
type IssuerCache = { issuers: Map<string, Promise<IssuerKeys>>; settings: IssuerSettings };
type IssuerSettings = { discoveryTtlMs: number; jwksCooldownMs: number; timeoutMs: number; failedDiscoveryRetryMs: number };
// A failed discovery is the answer for failedDiscoveryRetryMs before the issuer is asked again.
const DEFAULT_SETTINGS: IssuerSettings = { discoveryTtlMs: 60 * 60_000, jwksCooldownMs: 10_000, timeoutMs: 5_000, failedDiscoveryRetryMs: 5_000 };
const issuerCache = processWide<IssuerCache>("workload-issuers", () => ({ issuers: new Map(), settings: { ...DEFAULT_SETTINGS } }));

/** Tests shorten the JWKS cool-down (a rotated key is refetched at once) and start from an empty cache. */
export function configureIssuersForTests(settings: Partial<IssuerSettings> | null): void {
  issuerCache.issuers.clear();
  issuerCache.settings = { ...DEFAULT_SETTINGS, ...settings };
}

function allowedUrl(url: URL): boolean {
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && isLoopbackHost(url.hostname) && env().COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS;
}

function issuerUnavailable(issuer: string, why: string): CountersignError {
  return new CountersignError("unavailable", `The identity provider ${issuer} could not be reached to check the token (${why}); retry shortly.`, {
    retryAfterSeconds: 5,
  });
}

/** `<issuer>/.well-known/openid-configuration` -> jwks_uri, and a JWKS that refetches on an unknown kid. */
async function discover(issuer: string): Promise<IssuerKeys> {
  const { timeoutMs, jwksCooldownMs } = issuerCache.settings;
  const url = new URL(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
  let document: unknown;
  try {
    const res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const text = await res.text();
    if (text.length > 100_000) throw new Error("discovery document too large");
    document = JSON.parse(text);
  } catch (err) {
    throw issuerUnavailable(issuer, err instanceof Error ? err.message : String(err));
  }
  const doc = document as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery §4.3: the document's issuer must be the issuer it was fetched for.
  if (doc.issuer !== issuer) throw issuerUnavailable(issuer, `its discovery document names issuer ${JSON.stringify(doc.issuer)}`);
  if (typeof doc.jwks_uri !== "string") throw issuerUnavailable(issuer, "its discovery document has no jwks_uri");
  let jwksUri: URL;
  try {
    jwksUri = new URL(doc.jwks_uri);
  } catch {
    throw issuerUnavailable(issuer, "its jwks_uri is not a URL");
  }
  if (!allowedUrl(jwksUri)) throw issuerUnavailable(issuer, "its jwks_uri is not https");
  return { getKey: createRemoteJWKSet(jwksUri, { cooldownDuration: jwksCooldownMs, timeoutDuration: timeoutMs }), at: Date.now() };
}

function issuerKeys(issuer: string): Promise<IssuerKeys> {
  const cached = issuerCache.issuers.get(issuer);
  const fresh = (k: IssuerKeys) => Date.now() - k.at < issuerCache.settings.discoveryTtlMs;
  const load = () => {
    const loading = discover(issuer);
    issuerCache.issuers.set(issuer, loading);
    // A failed discovery answers every token for a few seconds (503 at once), then the next token
    // tries again: a flood of tokens naming a failing issuer costs one outbound fetch per interval.
    loading.catch(() => {
      setTimeout(() => issuerCache.issuers.get(issuer) === loading && issuerCache.issuers.delete(issuer), issuerCache.settings.failedDiscoveryRetryMs).unref();
    });
    return loading;
  };
  if (!cached) return load();
  // A stale entry is refreshed once: the first caller's load() replaces it, the others share that.
  return cached.then((k) => {
    if (fresh(k)) return k;
    const current = issuerCache.issuers.get(issuer);
    return current && current !== cached ? current : load();
  });
}

// ── the issuer's token ──────────────────────────────────────────────────────────────────────────

function isJwtShape(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Maps jose's verification failures to the check they are. */
function joseFailure(err: unknown, issuer: string): CountersignError {
  if (err instanceof CountersignError) return err;
  if (err instanceof joseErrors.JWTExpired) return tokenError("expired", "The token has expired.");
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === "nbf" || err.claim === "iat") return tokenError("not_yet_valid", `The token is not valid yet (${err.claim} is in the future).`);
    if (err.claim === "aud") return tokenError("audience", "The token's audience is not one the policy accepts for its issuer.");
    if (err.claim === "iss") return tokenError("issuer", `The token's issuer is not ${issuer}.`);
    return tokenError("malformed", `The token's ${err.claim} claim is invalid: ${err.reason}.`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return tokenError("algorithm", "The token's algorithm is not allowed (asymmetric signatures only).");
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return tokenError("signature", `The token's signature does not verify with ${issuer}'s keys.`);
  }
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || (err instanceof Error && err.name === "TypeError")) {
    return issuerUnavailable(issuer, err instanceof Error ? err.message : String(err));
  }
  if (err instanceof joseErrors.JOSEError) return tokenError("malformed", `The token is not a valid JWS: ${err.message}`);
  return issuerUnavailable(issuer, err instanceof Error ? err.message : String(err));
}

/**
 * Verifies an issuer's JWT against the policy: the issuer exactly as a workload_identities rule
 * names it, its signature with the issuer's published keys (asymmetric algorithms only), expiry,
 * not-before and issued-at with CLOCK_SKEW_SECONDS, a lifetime of at most
 * MAX_PRESENTED_LIFETIME_SECONDS, an audience the rule requires, and the rule's claims. Returns the
 * agent name the matching rule maps to, the identity, and the token's expiry.
 */
export async function verifyWorkloadToken(
  token: string,
  policy: Pick<Policy, "workloadIdentities">,
): Promise<{ agentName: string; identity: WorkloadIdentity & { kind: "oidc" }; expiresAt: Date }> {
  if (!isJwtShape(token)) throw tokenError("malformed", "The token is not a compact JWT.");
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    throw tokenError("malformed", "The token is not a compact JWT.");
  }
  if (typeof header.alg !== "string" || !ISSUER_ALGORITHMS.includes(header.alg)) {
    throw tokenError("algorithm", `The token's algorithm ${JSON.stringify(header.alg ?? null)} is not allowed (asymmetric signatures only; never none or HS*).`);
  }
  const issuer = unverified.iss;
  const audiences = typeof issuer === "string" ? audiencesFor(policy, issuer) : [];
  if (typeof issuer !== "string" || audiences.length === 0) {
    throw tokenError("issuer", `The token's issuer ${JSON.stringify(issuer ?? null)} is not a trusted workload identity issuer in the policy.`);
  }
  if (!allowedUrl(new URL(issuer))) {
    throw tokenError("issuer", `The issuer ${issuer} is http://; set COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS=true to trust a local stand-in.`);
  }
  let payload: JWTPayload;
  try {
    const { getKey } = await issuerKeys(issuer);
    ({ payload } = await jwtVerify(token, getKey, {
      issuer,
      audience: audiences,
      algorithms: ISSUER_ALGORITHMS,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "sub"],
    }));
  } catch (err) {
    throw joseFailure(err, issuer);
  }
  if (typeof payload.sub !== "string" || payload.sub === "") throw tokenError("malformed", "The token's sub is not a non-empty string.");
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp!;
  const issuedAt = typeof payload.iat === "number" ? payload.iat : now;
  if (exp - Math.min(issuedAt, now) > MAX_PRESENTED_LIFETIME_SECONDS) {
    throw tokenError("lifetime", `The token is valid for longer than ${MAX_PRESENTED_LIFETIME_SECONDS / 3600} h; ask the issuer for a shorter-lived one.`);
  }
  const tokenAudiences = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
  const match = matchWorkloadIdentity(policy, issuer, tokenAudiences, payload);
  if (!match) {
    throw tokenError(
      "no_matching_identity",
      `No workload_identities rule for ${issuer} matches this token's claims (subject ${JSON.stringify(payload.sub)}).`,
    );
  }
  const context = Object.fromEntries(
    CONTEXT_CLAIMS.filter((c) => typeof payload[c] === "string" && !(c in match.matched)).map((c) => [c, payload[c] as string]),
  );
  return {
    agentName: match.rule.agent,
    identity: {
      kind: "oidc",
      issuer,
      subject: payload.sub,
      claims: match.matched,
      ...(Object.keys(context).length > 0 ? { context } : {}),
    },
    expiresAt: new Date(exp * 1000),
  };
}

// ── the agent token ─────────────────────────────────────────────────────────────────────────────

export const AGENT_TOKEN_TYP = "countersign-agent+jwt";
export const AGENT_TOKEN_AUDIENCE = "urn:countersign:agent-api";
export const AGENT_TOKEN_ISSUER = "urn:countersign:token";
/** Never longer than this, whatever the setting (the setting itself is bounded to 15 minutes too). */
export const MAX_AGENT_TOKEN_SECONDS = 15 * 60;

/** Whether a bearer credential is shaped like a JWT (an issuer's token or an agent token), not a cs_ key. */
export function looksLikeJwt(credential: string): boolean {
  return isJwtShape(credential);
}

/** Whether a JWT's header says it is one of our agent tokens (the claims are checked by verifyAgentToken). */
export function isAgentTokenHeader(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === AGENT_TOKEN_TYP;
  } catch {
    return false;
  }
}

/** A signed agent token for `agentId`, valid for the configured TTL or until `notAfter`, whichever is sooner. */
export async function issueAgentToken(
  agentId: string,
  identity: WorkloadIdentity,
  notAfter: Date,
  now = new Date(),
): Promise<{ token: string; expiresIn: number; expiresAt: Date }> {
  const ttl = Math.min(Math.floor(env().COUNTERSIGN_AGENT_TOKEN_TTL / 1000), MAX_AGENT_TOKEN_SECONDS);
  const iat = Math.floor(now.getTime() / 1000);
  const exp = Math.min(iat + ttl, Math.floor(notAfter.getTime() / 1000));
  if (exp <= iat) throw tokenError("expired", "The presented token expires now; there is nothing left to exchange.");
  const { signing } = await keyRing();
  const token = await new SignJWT({ wid: identity })
    .setProtectedHeader({ alg: SIGNING_ALG, typ: AGENT_TOKEN_TYP, kid: signing.kid })
    .setIssuer(AGENT_TOKEN_ISSUER)
    .setAudience(AGENT_TOKEN_AUDIENCE)
    .setSubject(agentId)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(signing.privateKey);
  return { token, expiresIn: exp - iat, expiresAt: new Date(exp * 1000) };
}

/** An agent token's agent id and identity once its signature, typ, audience and expiry hold. */
export async function verifyAgentToken(token: string): Promise<{ agentId: string; identity: WorkloadIdentity }> {
  const ring = await keyRing();
  let payload: JWTPayload;
  try {
    // Only the active signing key: retired keys stay published so old grants and proofs verify,
    // but a token that lives 15 minutes never needs one, and a leaked retired key must mint nothing.
    ({ payload } = await jwtVerify(token, createLocalJWKSet({ keys: [ring.signing.publicJwk] }), {
      algorithms: [SIGNING_ALG],
      typ: AGENT_TOKEN_TYP,
      issuer: AGENT_TOKEN_ISSUER,
      audience: AGENT_TOKEN_AUDIENCE,
      requiredClaims: ["exp", "iat", "sub", "jti"],
      clockTolerance: 5,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw tokenError("expired", "The agent token has expired; exchange the workload's token again at /api/v1/token.");
    if (err instanceof joseErrors.JOSEError) throw tokenError("signature", "The agent token does not verify (forged, edited or another server's).");
    throw err;
  }
  if (payload.exp! - payload.iat! > MAX_AGENT_TOKEN_SECONDS) throw tokenError("lifetime", "The agent token claims a lifetime over 15 minutes.");
  const wid = payload.wid as WorkloadIdentity | undefined;
  if (!wid || typeof wid !== "object" || (wid.kind !== "oidc" && wid.kind !== "aws")) throw tokenError("malformed", "The agent token carries no workload identity.");
  return { agentId: payload.sub!, identity: wid };
}

/**
 * Whether the policy in force still maps an agent token's workload identity to `agentName`: a rule
 * removed or narrowed (a compromised repository or role) stops the tokens already issued under it,
 * not only new exchanges. An OIDC token carries the claims its rule matched; a rule that now names
 * other claims refuses it, and the workload exchanges a fresh issuer token.
 */
export async function identityStillMapsTo(policy: Pick<Policy, "workloadIdentities">, identity: WorkloadIdentity, agentName: string): Promise<boolean> {
  if (identity.kind === "aws") return (await awsIdentityBackend()?.match(identity.arn))?.agent === agentName;
  const audiences = policy.workloadIdentities.filter((r) => r.issuer === identity.issuer).map((r) => r.audience);
  return matchWorkloadIdentity(policy, identity.issuer, audiences, identity.claims)?.rule.agent === agentName;
}
