// Workload identity through the agent API's routing table, against a local OIDC issuer standing in
// for GitHub Actions (real HTTP, its own keys, rotation): the RFC 8693 exchange at /api/v1/token,
// the short-lived agent token on every agent endpoint, the issuer's JWT presented directly, the
// request's authenticated origin and its audit — and every forged, stale or mismatched token
// answered 401 with the failing check, filing nothing.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { requests } from "@/db/schema";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { createAgent, revokeAgent } from "@/lib/agents/registry";
import { AWS_SUBJECT_TOKEN_TYPE, useAwsIdentity } from "@/lib/auth/token-exchange";
import { AGENT_TOKEN_AUDIENCE, AGENT_TOKEN_ISSUER, AGENT_TOKEN_TYP, configureIssuersForTests, issueAgentToken } from "@/lib/auth/workload-identity";
import { parseEnv, resetEnvCache } from "@/lib/config/env";
import { keyRing } from "@/lib/evidence/keys";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { errorBody, requestView } from "@/lib/requests/schema";
import { startOidcIssuer, type OidcIssuer } from "../support/oidc-issuer";
import { apiRequest, callAgentApi, decideAs, oncall, requestBody, TEST_ACTOR } from "../support/fixtures";

type Json = Record<string, unknown>;
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";

let issuer: OidcIssuer;
let other: OidcIssuer; // a second issuer the policy does not trust
let agentName: string;
let agentId: string;

const exchangeRequest = (form: Record<string, string> | string, contentType = "application/x-www-form-urlencoded") =>
  new Request("http://countersign.test/api/v1/token", {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof form === "string" ? form : new URLSearchParams(form).toString(),
  });

async function exchange(subjectToken: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await callAgentApi(
    exchangeRequest({ grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: JWT_TYPE, ...extra }),
  );
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { status: res.status, body: (await res.json()) as Json };
}

/** A token the exchange refuses: 401, RFC 6749 body with Countersign's code and the failing check. */
async function expectRefused(subjectToken: string, check: string, code = "invalid_token"): Promise<void> {
  const { status, body } = await exchange(subjectToken);
  expect({ status, error: body.error, code: body.code, check: body.check }).toEqual({
    status: 401,
    error: "invalid_token",
    code,
    check: code === "invalid_token" ? check : undefined,
  });
  expect(typeof body.error_description).toBe("string");
  // The same token presented directly as the bearer credential: refused the same way, nothing filed.
  const direct = await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: subjectToken, body: requestBody() }));
  const envelope = errorBody.parse(await direct.json());
  expect({ status: direct.status, code: envelope.error.code }).toEqual({ status: 401, code });
  if (code === "invalid_token") expect(envelope.error.issues?.[0]?.path).toBe(check);
}

const fileWith = (token: string, body: unknown = requestBody()) => callAgentApi(apiRequest("POST", "/api/v1/requests", { key: token, body }));

async function requestsFiledBy(id: string): Promise<number> {
  return (await (await getDb()).select({ id: requests.id }).from(requests).where(eq(requests.agentId, id))).length;
}

function policyWith(workloadIdentities: string): void {
  const file = path.join(process.cwd(), "tests", "fixtures", "policy.yaml");
  setActivePolicyForTests(parsePolicy(`${fs.readFileSync(file, "utf8")}\n${workloadIdentities}`, file));
}

beforeAll(async () => {
  process.env.COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS = "true";
  resetEnvCache();
  issuer = await startOidcIssuer();
  other = await startOidcIssuer();
  agentName = `deploy-${randomUUID().slice(0, 8)}`;
  agentId = (await createAgent({ name: agentName, owner: "owner@acme.test" }, TEST_ACTOR)).agent.id;
  policyWith(`workload_identities:
  - issuer: ${issuer.url}
    audience: countersign
    match: { repository: "acme/*", ref: "refs/heads/main" }
    agent: ${agentName}
  - issuer: ${issuer.url}
    audience: countersign
    match: { repository: "acme/ghost" }
    agent: not-registered-agent
`);
});

beforeEach(() => {
  configureIssuersForTests({ jwksCooldownMs: 0 });
  resetRateLimitForTests();
});

afterAll(async () => {
  await issuer.close();
  await other.close();
  delete process.env.COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS;
  resetEnvCache();
});

const pipelineClaims = { repository: "acme/app", ref: "refs/heads/main", run_id: "4242", workflow: "deploy" };

describe("POST /api/v1/token (RFC 8693)", () => {
  it("exchanges the issuer's token for a short-lived agent token that files, claims and reports", async () => {
    const { status, body } = await exchange(await issuer.sign(pipelineClaims));
    expect(status).toBe(200);
    expect(body).toMatchObject({ issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer" });
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "issued_token_type", "token_type"]);
    const token = body.access_token as string;
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "EdDSA", typ: AGENT_TOKEN_TYP });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(15 * 60);
    expect(body.expires_in).toBe(claims.exp! - claims.iat!);
    expect(body.expires_in).toBeLessThanOrEqual(300); // capped by the presented token's own exp (5 min)
    expect(claims).toMatchObject({ sub: agentId, aud: AGENT_TOKEN_AUDIENCE, iss: AGENT_TOKEN_ISSUER });

    // File an auto-approved read, then claim and report with the same token: every agent endpoint.
    const created = await fileWith(token, requestBody({ action: "deploy.config.read", origin: { run_id: "4242" } }));
    expect(created.status).toBe(201);
    const view = requestView.parse(await created.json());
    expect(view.agent.id).toBe(agentId);
    expect(view.workload_identity).toEqual({
      kind: "oidc",
      issuer: issuer.url,
      subject: "repo:acme/app:ref:refs/heads/main",
      claims: { repository: "acme/app", ref: "refs/heads/main" },
      context: { run_id: "4242", workflow: "deploy" },
    });
    const got = await callAgentApi(apiRequest("GET", `/api/v1/requests/${view.id}`, { key: token }));
    expect(got.status).toBe(200);
    expect(requestView.parse(await got.json()).workload_identity).toEqual(view.workload_identity);
    const executed = await callAgentApi(apiRequest("POST", `/api/v1/requests/${view.id}/execute`, { key: token }));
    expect(executed.status).toBe(200);
    const reported = await callAgentApi(apiRequest("POST", `/api/v1/requests/${view.id}/result`, { key: token, body: { status: "succeeded" } }));
    expect(reported.status).toBe(200);

    // The audit names the workload identity: the actor's issuer and subject, and the matched claims.
    const events = await selectEventsForRequest(await getDb(), view.id);
    const createdEvent = events.find((e) => e.type === "request.created")!;
    expect(createdEvent.actor).toMatchObject({ kind: "agent", id: agentId, issuer: issuer.url, subject: "repo:acme/app:ref:refs/heads/main" });
    expect(createdEvent.payload.workload_identity).toMatchObject({ claims: { repository: "acme/app", ref: "refs/heads/main" }, context: { run_id: "4242" } });
  });

  it("issues agent tokens for the configured lifetime: 10 minutes by default, never over 15", async () => {
    const longLived = { ...pipelineClaims, exp: Math.floor(Date.now() / 1000) + 3600 };
    expect((await exchange(await issuer.sign(longLived))).body.expires_in).toBe(600);
    process.env.COUNTERSIGN_AGENT_TOKEN_TTL = "15m";
    resetEnvCache();
    try {
      const token = (await exchange(await issuer.sign(longLived))).body.access_token as string;
      const claims = decodeJwt(token);
      expect(claims.exp! - claims.iat!).toBe(900);
    } finally {
      delete process.env.COUNTERSIGN_AGENT_TOKEN_TTL;
      resetEnvCache();
    }
    expect(() => parseEnv({ COUNTERSIGN_AGENT_TOKEN_TTL: "16m" })).toThrow(/COUNTERSIGN_AGENT_TOKEN_TTL/);
  });

  it("accepts the issuer's token presented directly as the bearer credential", async () => {
    const created = await fileWith(await issuer.sign(pipelineClaims));
    expect(created.status).toBe(201);
    expect(requestView.parse(await created.json()).workload_identity).toMatchObject({ kind: "oidc", issuer: issuer.url });
  });

  it("waits and claims after a reviewer's approval with an agent token (long-poll included)", async () => {
    const token = (await exchange(await issuer.sign(pipelineClaims))).body.access_token as string;
    const view = requestView.parse(await (await fileWith(token)).json());
    expect(view.status).toBe("pending");
    await decideAs(view.id, oncall(), "approve", undefined, "console");
    const waited = requestView.parse(await (await callAgentApi(apiRequest("GET", `/api/v1/requests/${view.id}?wait=1`, { key: token }))).json());
    expect(waited.status).toBe("approved");
    expect((await callAgentApi(apiRequest("POST", `/api/v1/requests/${view.id}/execute`, { key: token }))).status).toBe(200);
  });

  it("never lets a body field set the authenticated origin; a static key's requests have none", async () => {
    const { key } = await createAgent({ name: `static-${randomUUID().slice(0, 8)}`, owner: "owner@acme.test" }, TEST_ACTOR);
    const forged = { kind: "oidc", issuer: issuer.url, subject: "repo:acme/app:ref:refs/heads/main", claims: {} };
    const withField = await fileWith(key, { ...requestBody(), workload_identity: forged });
    expect(withField.status).toBe(400);
    const inOrigin = await fileWith(key, { ...requestBody(), origin: { workload_identity: forged } });
    expect(inOrigin.status).toBe(400);
    const plain = requestView.parse(await (await fileWith(key)).json());
    expect(plain.workload_identity).toBeNull();
  });

  it("caches the issuer's keys and refetches them once when a token names a new kid (rotation)", async () => {
    await exchange(await issuer.sign(pipelineClaims));
    const before = issuer.jwksFetches();
    expect((await exchange(await issuer.sign(pipelineClaims))).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(before); // cached
    await issuer.rotate({ retireOld: true });
    expect((await exchange(await issuer.sign(pipelineClaims))).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(before + 1); // one refetch for the unknown kid
    // A kid the issuer does not publish even after a refetch: a signature failure.
    await expectRefused(await issuer.sign(pipelineClaims, { unpublishedKey: true }), "signature");
  });

  it("asks a failing issuer once per retry interval, and refreshes a stale discovery once for concurrent tokens", async () => {
    configureIssuersForTests({ jwksCooldownMs: 0, failedDiscoveryRetryMs: 300 });
    issuer.failDiscovery(true);
    try {
      const token = await issuer.sign(pipelineClaims);
      const before = issuer.discoveryFetches();
      const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(token)));
      for (const a of answers) expect({ status: a.status, code: a.body.code }).toEqual({ status: 503, code: "unavailable" });
      expect((await exchange(token)).status).toBe(503);
      expect(issuer.discoveryFetches() - before).toBe(1); // the failure answered the other nine
      issuer.failDiscovery(false);
      await new Promise((r) => setTimeout(r, 350));
      expect((await exchange(token)).status).toBe(200);
    } finally {
      issuer.failDiscovery(false);
    }
    // Stale after every use (TTL 0): concurrent tokens share one refresh.
    configureIssuersForTests({ jwksCooldownMs: 0, discoveryTtlMs: 0 });
    const token = await issuer.sign(pipelineClaims);
    expect((await exchange(token)).status).toBe(200);
    const before = issuer.discoveryFetches();
    const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(token)));
    for (const a of answers) expect(a.status).toBe(200);
    expect(issuer.discoveryFetches() - before).toBeLessThanOrEqual(2);
  });

  it("refuses every bad token with 401 and the failing check, and files nothing", async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = await requestsFiledBy(agentId);
    await expectRefused(await issuer.sign({ ...pipelineClaims, aud: "someone-else" }), "audience");
    await expectRefused(await issuer.sign({ ...pipelineClaims, exp: now - 120, iat: now - 600, nbf: now - 600 }), "expired");
    await expectRefused(await issuer.sign({ ...pipelineClaims, nbf: now + 600 }), "not_yet_valid");
    await expectRefused(await issuer.sign({ ...pipelineClaims, exp: now + 3 * 24 * 3600 }), "lifetime");
    await expectRefused(await issuer.sign({ ...pipelineClaims, exp: undefined }), "malformed");
    // A subject that is not a string (the audit and the page show it as the workload's name).
    await expectRefused(await issuer.sign({ ...pipelineClaims, sub: 42 as unknown as string }), "malformed");
    await expectRefused(await issuer.sign({ ...pipelineClaims, sub: "" }), "malformed");
    // Another issuer (its own keys, not in the policy), and ours named with a trailing slash.
    await expectRefused(await other.sign(pipelineClaims), "issuer");
    await expectRefused(await issuer.sign({ ...pipelineClaims, iss: `${issuer.url}/` }), "issuer");
    // Another issuer's key claiming to be ours.
    const impostor = await other.sign({ ...pipelineClaims, iss: issuer.url });
    await expectRefused(impostor, "signature");
    // Claims the rule does not match: another org, another branch, no claim at all, a non-string.
    await expectRefused(await issuer.sign({ ...pipelineClaims, repository: "evil/app" }), "no_matching_identity");
    await expectRefused(await issuer.sign({ ...pipelineClaims, repository: "acme/app/extra" }), "no_matching_identity");
    await expectRefused(await issuer.sign({ ...pipelineClaims, ref: "refs/heads/feature" }), "no_matching_identity");
    await expectRefused(await issuer.sign({ repository: "acme/app" }), "no_matching_identity");
    await expectRefused(await issuer.sign({ ...pipelineClaims, repository: ["acme/app"] }), "no_matching_identity");
    // A rule naming an agent nobody registered.
    await expectRefused(await issuer.sign({ repository: "acme/ghost" }), "agent");
    expect(await requestsFiledBy(agentId)).toBe(before);
  });

  it("refuses forgeries: alg none, HS256 keyed with the public key, an edited payload, an unsigned token, odd bytes", async () => {
    const good = await issuer.sign(pipelineClaims);
    const [header, payload] = good.split(".");
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const claims = { ...decodeJwt(good), repository: "acme/app" };
    await expectRefused(`${enc({ alg: "none" })}.${enc(claims)}.`, "algorithm");
    const hsKey = new TextEncoder().encode(JSON.stringify(issuer.publicJwk()));
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: issuer.publicJwk().kid }).sign(hsKey);
    await expectRefused(hs, "algorithm");
    const edited = `${header}.${enc({ ...decodeJwt(good), repository: "acme/other" })}.${good.split(".")[2]}`;
    await expectRefused(edited, "signature");
    await expectRefused(`${header}.${payload}.`, "signature");
    expect((await exchange(`${header}.${payload}`)).body).toMatchObject({ error: "invalid_token", check: "malformed" });
    await expectRefused("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "malformed");
  });

  it("refuses a revoked agent's workloads: at the exchange, and the agent token already issued", async () => {
    const name = `revoked-${randomUUID().slice(0, 8)}`;
    const { agent } = await createAgent({ name, owner: "owner@acme.test" }, TEST_ACTOR);
    policyWith(`workload_identities:
  - issuer: ${issuer.url}
    audience: countersign
    match: { repository: "acme/doomed" }
    agent: ${name}
`);
    try {
      const token = (await exchange(await issuer.sign({ repository: "acme/doomed" }))).body.access_token as string;
      expect((await fileWith(token)).status).toBe(201);
      await revokeAgent(agent.id, TEST_ACTOR);
      const after = await fileWith(token);
      expect({ status: after.status, code: errorBody.parse(await after.json()).error.code }).toEqual({ status: 401, code: "agent_revoked" });
      await expectRefused(await issuer.sign({ repository: "acme/doomed" }), "agent", "agent_revoked");
      expect(await requestsFiledBy(agent.id)).toBe(1);
    } finally {
      policyWith(`workload_identities:
  - issuer: ${issuer.url}
    audience: countersign
    match: { repository: "acme/*", ref: "refs/heads/main" }
    agent: ${agentName}
`);
    }
  });

  it("stops agent tokens already issued when the policy no longer maps their identity to the agent", async () => {
    const standard = `workload_identities:
  - issuer: ${issuer.url}
    audience: countersign
    match: { repository: "acme/*", ref: "refs/heads/main" }
    agent: ${agentName}
`;
    const token = (await exchange(await issuer.sign(pipelineClaims))).body.access_token as string;
    expect((await fileWith(token)).status).toBe(201);
    const refusedWith = async () => {
      const res = await fileWith(token);
      const body = errorBody.parse(await res.json());
      return { status: res.status, code: body.error.code, check: body.error.issues?.[0]?.path };
    };
    const refusal = { status: 401, code: "invalid_token", check: "no_matching_identity" };
    const before = await requestsFiledBy(agentId);
    try {
      // The repository was compromised: the rule now names another one.
      policyWith(standard.replace(`"acme/*"`, `"acme/other"`));
      expect(await refusedWith()).toEqual(refusal);
      // The same identity now mapped to another agent.
      policyWith(standard.replace(`agent: ${agentName}`, "agent: someone-else"));
      expect(await refusedWith()).toEqual(refusal);
      // The rule now also requires a claim the token's identity never carried.
      policyWith(standard.replace(`ref: "refs/heads/main"`, `ref: "refs/heads/main", environment: "prod"`));
      expect(await refusedWith()).toEqual(refusal);
      // No workload identities at all.
      policyWith("");
      expect(await refusedWith()).toEqual(refusal);
      expect(await requestsFiledBy(agentId)).toBe(before);
    } finally {
      policyWith(standard);
    }
    expect((await fileWith(token)).status).toBe(201);
  });

  it("refuses agent tokens that are expired, tampered, too long-lived or not ours; never confuses them with grants", async () => {
    const identity = { kind: "oidc" as const, issuer: issuer.url, subject: "s", claims: {} };
    const longAgo = new Date(Date.now() - 30 * 60_000);
    const expired = await issueAgentToken(agentId, identity, new Date(longAgo.getTime() + 60_000), longAgo);
    const bearer = async (token: string) => {
      const res = await fileWith(token);
      const body = errorBody.parse(await res.json());
      return { status: res.status, code: body.error.code, check: body.error.issues?.[0]?.path };
    };
    expect(await bearer(expired.token)).toEqual({ status: 401, code: "invalid_token", check: "expired" });

    const fresh = (await exchange(await issuer.sign(pipelineClaims))).body.access_token as string;
    const [h, p, s] = fresh.split(".");
    const otherAgent = base64url.encode(JSON.stringify({ ...decodeJwt(fresh), sub: randomUUID() }));
    expect(await bearer(`${h}.${otherAgent}.${s}`)).toEqual({ status: 401, code: "invalid_token", check: "signature" });
    expect(await bearer(`${h}.${p}.${s!.slice(0, -4)}AAAA`)).toEqual({ status: 401, code: "invalid_token", check: "signature" });

    // Signed with our key but valid for an hour: refused, whoever minted it.
    const { signing } = await keyRing();
    const now = Math.floor(Date.now() / 1000);
    const long = await new SignJWT({ wid: identity })
      .setProtectedHeader({ alg: "EdDSA", typ: AGENT_TOKEN_TYP, kid: signing.kid })
      .setIssuer(AGENT_TOKEN_ISSUER)
      .setAudience(AGENT_TOKEN_AUDIENCE)
      .setSubject(agentId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signing.privateKey);
    expect(await bearer(long)).toEqual({ status: 401, code: "invalid_token", check: "lifetime" });

    // An agent token presented at the grant redeem endpoint is not a grant.
    const redeem = await callAgentApi(
      apiRequest("POST", `/api/v1/grants/${decodeJwt(fresh).jti}/redeem`, { body: { grant: fresh, redeemer: { name: "gateway" } } }),
    );
    expect(redeem.status).toBe(400);
    expect(errorBody.parse(await redeem.json()).error.code).toBe("invalid_grant");

    // A grant (our key, typ countersign-grant+jwt) presented as an agent credential.
    const view = requestView.parse(await (await fileWith(fresh, requestBody({ action: "deploy.config.read" }))).json());
    const executed = (await (await callAgentApi(apiRequest("POST", `/api/v1/requests/${view.id}/execute`, { key: fresh }))).json()) as { grant: string };
    const asBearer = await fileWith(executed.grant);
    expect(asBearer.status).toBe(401);
    // And a grant exchanged as if it were a workload's token: not from a trusted issuer.
    expect((await exchange(executed.grant)).body.check).toBe("issuer");
  });

  it("answers bad token requests with RFC 6749 errors", async () => {
    const good = await issuer.sign(pipelineClaims);
    const form = { grant_type: TOKEN_EXCHANGE, subject_token: good, subject_token_type: JWT_TYPE };
    const call = async (req: Request) => {
      const res = await callAgentApi(req);
      return { status: res.status, ...((await res.json()) as Json) };
    };
    expect(await call(exchangeRequest(JSON.stringify(form), "application/json"))).toMatchObject({ status: 415, error: "invalid_request" });
    expect(await call(exchangeRequest({ ...form, grant_type: "client_credentials" }))).toMatchObject({ status: 400, error: "unsupported_grant_type" });
    expect(await call(exchangeRequest({ ...form, subject_token_type: "urn:ietf:params:oauth:token-type:saml2" }))).toMatchObject({
      status: 400,
      error: "invalid_request",
    });
    const { subject_token: _omit, ...missing } = form;
    expect(await call(exchangeRequest(missing))).toMatchObject({ status: 400, error: "invalid_request", code: "invalid_request" });
    expect(await call(exchangeRequest(`${new URLSearchParams(form)}&subject_token=x`))).toMatchObject({ status: 400, error: "invalid_request" });
    expect(await call(exchangeRequest({ ...form, extra: "1" }))).toMatchObject({ status: 400, error: "invalid_request" });
    expect(await call(exchangeRequest({ ...form, subject_token: "x".repeat(40_000) }))).toMatchObject({ status: 413 });
    expect(await call(exchangeRequest("%%%\u0000=\uffff"))).toMatchObject({ status: 400 });
    const get = await callAgentApi(new Request("http://countersign.test/api/v1/token"));
    expect(get.status).toBe(405);
  });

  it("refuses an http:// issuer unless the loopback setting is on", async () => {
    process.env.COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS = "false";
    resetEnvCache();
    try {
      const fetches = issuer.jwksFetches();
      await expectRefused(await issuer.sign(pipelineClaims), "issuer");
      expect(issuer.jwksFetches()).toBe(fetches);
    } finally {
      process.env.COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS = "true";
      resetEnvCache();
    }
  });

  // The AWS IAM half (lib/auth/aws-identity.ts) is built and tested on its own branch; this checks
  // only this endpoint's plumbing around it, with a backend that answers for one signed request.
  it("routes the AWS subject token type to the AWS backend, and issues the same agent token", async () => {
    const signed = { method: "POST", url: "https://sts.us-east-1.amazonaws.com/", headers: { authorization: "AWS4-HMAC-SHA256 …" }, body: "Action=GetCallerIdentity&Version=2011-06-15" };
    const subject = Buffer.from(JSON.stringify(signed)).toString("base64url");
    const form = (token: string) => ({ grant_type: TOKEN_EXCHANGE, subject_token: token, subject_token_type: AWS_SUBJECT_TOKEN_TYPE });
    const call = async (f: Record<string, string>): Promise<Json & { status: number }> => {
      const res = await callAgentApi(exchangeRequest(f));
      return { ...((await res.json()) as Json), status: res.status };
    };
    useAwsIdentity(null);
    expect(await call(form(subject))).toMatchObject({ status: 400, error: "invalid_request" });
    const arn = "arn:aws:sts::123456789012:assumed-role/deploy-prod/run-1";
    useAwsIdentity({
      verify: async (s) => {
        if (JSON.stringify(s) !== JSON.stringify(signed)) throw new Error("not the request the agent signed");
        return { arn, account: "123456789012" };
      },
      match: async (a) => (a === arn ? { agent: agentName } : null),
    });
    try {
      const ok = await call(form(subject));
      expect(ok).toMatchObject({ status: 200, token_type: "Bearer" });
      const view = requestView.parse(await (await fileWith(ok.access_token as string)).json());
      expect(view.workload_identity).toEqual({ kind: "aws", arn, account: "123456789012" });
      // The ARN is no longer mapped (the role was compromised): the agent token already issued stops too.
      useAwsIdentity({ verify: async () => ({ arn, account: "123456789012" }), match: async () => null });
      const stale = await fileWith(ok.access_token as string);
      expect({ status: stale.status, check: errorBody.parse(await stale.json()).error.issues?.[0]?.path }).toEqual({ status: 401, check: "no_matching_identity" });
      expect(await call(form("not-base64-json"))).toMatchObject({ status: 401, error: "invalid_token", check: "malformed" });
      expect(await call(form(Buffer.from(JSON.stringify({ ...signed, extra: 1 })).toString("base64url")))).toMatchObject({ status: 401, check: "malformed" });
    } finally {
      useAwsIdentity(null);
    }
  });
});
