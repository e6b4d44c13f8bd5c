// Signed grants (issue 11): the grant execute returns verifies with the published JWKS and says
// exactly what was approved; a target redeems it once (first wins, under concurrency too); expiry,
// key rotation, and every kind of forged or misdirected token — each refused, changing nothing.
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as jwksGet } from "@/app/.well-known/jwks.json/route";
import { getDb } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { findGrant } from "@/db/queries/grants";
import { grants, requests } from "@/db/schema";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { resetEnvCache } from "@/lib/config/env";
import { GRANT_TYP, verifyGrant, type GrantClaims } from "@/lib/evidence/grants";
import { keyRing, resetKeyRingForTests } from "@/lib/evidence/keys";
import { claimApproval, createRequest } from "@/lib/requests/lifecycle";
import { errorBody, executedRequest, grantRedemption, type CreateRequestBody } from "@/lib/requests/schema";
import { apiRequest, callAgentApi, decideAs, makeAgent, personOf, requestBody, security } from "../support/fixtures";

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

const execute = (key: string, id: string) => callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/execute`, { key }));
const redeem = (grantId: string, body: unknown) => callAgentApi(apiRequest("POST", `/api/v1/grants/${grantId}/redeem`, { body }));
const redeemer = { name: "deploy-gateway", host: "gw-1.acme.test", version: "3.2.0" };

/** The JWKS exactly as /.well-known/jwks.json serves it. */
async function publishedJwks(): Promise<{ keys: JWK[] }> {
  const res = await jwksGet();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/jwk-set+json");
  return (await res.json()) as { keys: JWK[] };
}

/** What a target recomputes from what it is about to apply (as lib/requests/lifecycle.ts paramsHash does). */
const recomputedParamsHash = (p: Pick<CreateRequestBody, "action" | "resource" | "environment" | "context">) =>
  sha256Hex(canonicalJson({ action: p.action, resource: p.resource, environment: p.environment, context: p.context }));

async function expectError(res: Response, status: number, code: string): Promise<{ code: string; message: string }> {
  const text = await res.text();
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  const body = errorBody.parse(JSON.parse(text));
  expect({ status: res.status, code: body.error.code }, text).toEqual({ status, code });
  return body.error;
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as GrantClaims;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const redeemedEvents = async (requestId: string) => (await selectEventsForRequest(await getDb(), requestId)).filter((e) => e.type === "grant.redeemed");

/** An auto-approved request (the test policy's reads-are-free), executed through the API: its grant. */
async function executedGrant(over: Partial<CreateRequestBody> = {}): Promise<{ requestId: string; token: string; claims: GrantClaims; key: string }> {
  const { agent, key } = await makeAgent();
  const { request } = await createRequest(agent, requestBody({ action: "logs.service.read", ...over }));
  const res = await execute(key, request.id);
  expect(res.status).toBe(200);
  const { grant } = executedRequest.parse(await res.json());
  return { requestId: request.id, token: grant, claims: claimsOf(grant), key };
}

// Tests that change the keys put the environment back.
const KEY_VARS = ["COUNTERSIGN_SIGNING_KEY", "COUNTERSIGN_SIGNING_KEY_ID", "COUNTERSIGN_AUDIT_MAC_KEY", "COUNTERSIGN_VERIFY_KEYS", "COUNTERSIGN_PUBLIC_URL"];
const savedVars = Object.fromEntries(KEY_VARS.map((k) => [k, process.env[k]]));
function useKeys(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
  resetKeyRingForTests();
}

beforeAll(() => useKeys({ COUNTERSIGN_PUBLIC_URL: undefined }));
afterEach(() => useKeys(savedVars));

async function ed25519(kid: string): Promise<{ pem: string; publicJwk: JWK; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return { pem: await exportPKCS8(privateKey), publicJwk: { ...(await exportJWK(publicKey)), kid }, privateKey };
}
// The run's MAC key where there is one (PostgreSQL: every file's events share one chain, and their MACs must verify).
const MAC_KEY = process.env.COUNTERSIGN_AUDIT_MAC_KEY ?? `mac-test:${Buffer.alloc(32, 9).toString("base64")}`;

// ── issuing ───────────────────────────────────────────────────────────────────────────────────

describe("the grant execute returns", () => {
  it("verifies with the JWKS served at /.well-known/jwks.json and states exactly what was approved, by whom", async () => {
    const { agent, key } = await makeAgent();
    const body = requestBody({ action: "iam.policy.update", resource: "arn:aws:iam::123:policy/deploy", context: { add: ["s3:GetObject"] } });
    const { request } = await createRequest(agent, body);
    const first = await decideAs(request.id, security("sam"), "approve", "looks right", "console");
    expect(first.status).toBe("pending");
    const approved = await decideAs(request.id, security("sue"), "approve", undefined, "slack");
    expect(approved.status).toBe("approved");

    const before = Date.now();
    const res = await execute(key, request.id);
    expect(res.status).toBe(200);
    const executed = executedRequest.parse(await res.json());
    expect(executed).toMatchObject({ id: request.id, status: "executed" });
    expect(executed.executed_at).not.toBeNull();

    const ring = await keyRing();
    expect(decodeProtectedHeader(executed.grant)).toEqual({ alg: "EdDSA", kid: ring.signing.kid, typ: GRANT_TYP });
    const jwks = await publishedJwks();
    const verified = await verifyGrant(executed.grant, { jwks });
    if (!verified.ok) throw new Error(`refused: ${verified.failure} ${verified.message}`);
    expect(verified.kid).toBe(ring.signing.kid);

    const { claims } = verified;
    const iat = claims.iat;
    expect(iat * 1000).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(iat * 1000).toBeLessThanOrEqual(Date.now());
    expect(claims).toEqual({
      iss: "urn:countersign",
      sub: request.id,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat,
      nbf: iat,
      exp: Math.floor(Date.parse(executed.grant_expires_at!) / 1000),
      agent: { id: agent.id, name: agent.name },
      action: "iam.policy.update",
      resource: "arn:aws:iam::123:policy/deploy",
      environment: "production",
      params_hash: recomputedParamsHash(body),
      approvals: [
        { person_id: await personOf(security("sam")), name: "sam", approved_at: executed.reviews[0]!.at, channel: "console" },
        { person_id: await personOf(security("sue")), name: "sue", approved_at: executed.reviews[1]!.at, channel: "slack" },
      ],
      policy: { rule: "iam-changes", hash: executed.policy.hash, decision: "require_approval" },
    });
    expect(claims.params_hash).toBe(executed.params_hash);

    // A target that checks everything it is about to do accepts it…
    const expectAll = { request_id: request.id, params_hash: recomputedParamsHash(body), action: body.action, resource: body.resource, environment: body.environment, issuer: "urn:countersign" };
    expect((await verifyGrant(executed.grant, { jwks, expect: expectAll })).ok).toBe(true);
    // …and refuses it for a changed parameter: the hash of what would run is not the approved one.
    const changed = { ...body, context: { add: ["s3:GetObject", "s3:PutObject"] } };
    expect(await verifyGrant(executed.grant, { jwks, expect: { ...expectAll, params_hash: recomputedParamsHash(changed) } })).toMatchObject({
      ok: false,
      failure: "mismatch",
      claim: "params_hash",
    });
    expect(await verifyGrant(executed.grant, { jwks, expect: { resource: "arn:aws:iam::123:policy/admin" } })).toMatchObject({ ok: false, failure: "mismatch", claim: "resource" });
    expect(await verifyGrant(executed.grant, { jwks, expect: { issuer: "https://elsewhere.example" } })).toMatchObject({ ok: false, failure: "mismatch", claim: "iss" });

    // The grant's row was written with the execute, and the executed event names it.
    const row = await findGrant(await getDb(), claims.jti);
    expect(row).toMatchObject({ requestId: request.id, kid: ring.signing.kid, redeemedAt: null, redeemedBy: null });
    expect(row!.issuedAt.getTime()).toBe(claims.iat * 1000);
    expect(row!.expiresAt.getTime()).toBe(claims.exp * 1000);
    const executedEvent = (await selectEventsForRequest(await getDb(), request.id)).find((e) => e.type === "request.executed");
    expect(executedEvent?.payload).toMatchObject({ params_hash: executed.params_hash, grant_id: claims.jti, grant_kid: ring.signing.kid });
  });

  it("an auto-approved request's grant has no approvals and states the policy's decision; iss is COUNTERSIGN_PUBLIC_URL when set", async () => {
    useKeys({ COUNTERSIGN_PUBLIC_URL: "https://countersign.acme.test/" });
    const { claims, requestId } = await executedGrant();
    expect(claims).toMatchObject({ sub: requestId, iss: "https://countersign.acme.test", approvals: [], policy: { rule: "reads-are-free", decision: "auto_approve" } });
  });

  it("a refused execute issues nothing, and a grant that cannot be written undoes the execute (one transaction)", async () => {
    const { agent } = await makeAgent();
    const db = await getDb();
    // Executed once: the second claim is refused and writes no second grant.
    const { request: once } = await createRequest(agent, requestBody({ action: "logs.service.read" }));
    await claimApproval(agent, once.id);
    await expect(claimApproval(agent, once.id)).rejects.toMatchObject({ code: "already_executed" });
    expect(await db.select().from(grants).where(eq(grants.requestId, once.id))).toHaveLength(1);

    // A grant row already holds this request's slot (grants.request_id is unique): the execute's
    // own grant insert fails, and with it the whole transition.
    const { request } = await createRequest(agent, requestBody({ action: "logs.service.read", resource: "svc/ledger" }));
    const now = new Date();
    await db.insert(grants).values({ id: randomUUID(), requestId: request.id, kid: "planted", issuedAt: now, expiresAt: now });
    await expect(claimApproval(agent, request.id)).rejects.toThrow();
    const [row] = await db.select({ status: requests.status, executedAt: requests.executedAt }).from(requests).where(eq(requests.id, request.id));
    expect(row).toEqual({ status: "approved", executedAt: null });
    expect((await selectEventsForRequest(db, request.id)).map((e) => e.type)).not.toContain("request.executed");
    expect((await db.select().from(grants).where(eq(grants.requestId, request.id))).map((r) => r.kid)).toEqual(["planted"]);
  });
});

// ── redeeming ─────────────────────────────────────────────────────────────────────────────────

describe("redeeming a grant", () => {
  it("the first redeem wins; a second is 409 already_redeemed saying when; exactly one grant.redeemed event", async () => {
    const { token, claims, requestId } = await executedGrant();
    const first = await redeem(claims.jti, { grant: token, redeemer });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const redemption = grantRedemption.parse(await first.json());
    expect(redemption).toMatchObject({ id: claims.jti, request_id: requestId, redeemer, claims });

    const second = await expectError(await redeem(claims.jti, { grant: token, redeemer: { name: "someone-else" } }), 409, "already_redeemed");
    expect(second.message).toContain(redemption.redeemed_at);

    const row = await findGrant(await getDb(), claims.jti);
    expect(row?.redeemedAt?.toISOString()).toBe(redemption.redeemed_at);
    expect(row?.redeemedBy).toEqual(redeemer);
    const events = await redeemedEvents(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "grant.redeemed",
      channel: "api",
      requestId,
      actor: { kind: "system", id: "redeemer:deploy-gateway", display: "deploy-gateway" },
      payload: { grant_id: claims.jti, params_hash: claims.params_hash, redeemer },
    });
  });

  it("10 concurrent redeems of one grant: exactly one 200, the others 409, one event", async () => {
    const { token, claims, requestId } = await executedGrant();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => redeem(claims.jti, { grant: token, redeemer: { name: `target-${i}` } })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(9).fill(409)]);
    for (const res of answers.filter((r) => r.status === 409)) await expectError(res, 409, "already_redeemed");
    const winner = grantRedemption.parse(await answers.find((r) => r.status === 200)!.json());
    const events = await redeemedEvents(requestId);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ redeemer: winner.redeemer });
  });

  it("an expired grant is refused by verifyGrant and by redeem (410), and stays unredeemed", async () => {
    const { agent } = await makeAgent();
    const t0 = new Date(Date.now() - 30 * 60_000);
    const { request } = await createRequest(agent, requestBody({ action: "logs.service.read" }), { now: t0 });
    const { grant } = await claimApproval(agent, request.id, { now: new Date(t0.getTime() + 1000) });
    const claims = claimsOf(grant);
    expect(claims.exp * 1000).toBeLessThan(Date.now()); // the 15-minute window ended 15 minutes ago

    const jwks = await publishedJwks();
    expect(await verifyGrant(grant, { jwks })).toMatchObject({ ok: false, failure: "expired", claim: "exp" });
    expect((await verifyGrant(grant, { jwks, now: new Date(t0.getTime() + 2000) })).ok).toBe(true); // inside its window it was fine
    await expectError(await redeem(claims.jti, { grant, redeemer }), 410, "expired");
    expect((await findGrant(await getDb(), claims.jti))?.redeemedAt).toBeNull();
    expect(await redeemedEvents(request.id)).toHaveLength(0);
  });

  it("key rotation keeps old grants verifiable and redeemable while the old public key is published", async () => {
    const a = await ed25519("key-a");
    const b = await ed25519("key-b");
    useKeys({ COUNTERSIGN_SIGNING_KEY: a.pem, COUNTERSIGN_SIGNING_KEY_ID: "key-a", COUNTERSIGN_AUDIT_MAC_KEY: MAC_KEY, COUNTERSIGN_VERIFY_KEYS: undefined });
    const old = await executedGrant();
    expect(decodeProtectedHeader(old.token).kid).toBe("key-a");

    // Rotate to B, publishing A's public key as retired.
    useKeys({ COUNTERSIGN_SIGNING_KEY: b.pem, COUNTERSIGN_SIGNING_KEY_ID: "key-b", COUNTERSIGN_VERIFY_KEYS: JSON.stringify({ keys: [a.publicJwk] }) });
    const jwks = await publishedJwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(["key-b", "key-a"]);
    const verified = await verifyGrant(old.token, { jwks });
    expect(verified).toMatchObject({ ok: true, kid: "key-a", claims: { jti: old.claims.jti } });
    const fresh = await executedGrant({ resource: "svc/after-rotation" });
    expect(decodeProtectedHeader(fresh.token).kid).toBe("key-b");
    expect((await verifyGrant(fresh.token, { jwks })).ok).toBe(true);

    // Without A published, A's grants are no longer trusted: the JWKS is what makes them verifiable.
    useKeys({ COUNTERSIGN_VERIFY_KEYS: undefined });
    expect(await verifyGrant(old.token, { jwks: await publishedJwks() })).toMatchObject({ ok: false, failure: "unknown_key" });
    await expectError(await redeem(old.claims.jti, { grant: old.token, redeemer }), 401, "invalid_grant_signature");

    useKeys({ COUNTERSIGN_VERIFY_KEYS: JSON.stringify({ keys: [a.publicJwk] }) });
    expect((await redeem(old.claims.jti, { grant: old.token, redeemer })).status).toBe(200);
    expect((await redeem(fresh.claims.jti, { grant: fresh.token, redeemer })).status).toBe(200);
  });
});

// ── forgeries ─────────────────────────────────────────────────────────────────────────────────

describe("forged and misdirected grants are refused and change nothing", () => {
  it("foreign key, alg none, edited payload, not a grant, garbage, another grant's id, an unknown id", async () => {
    const target = await executedGrant();
    const other = await executedGrant({ resource: "svc/other" });
    const jwks = await publishedJwks();
    const ring = await keyRing();
    const [header, payload, signature] = target.token.split(".") as [string, string, string];

    const foreign = await ed25519(ring.signing.kid);
    const signWith = (key: CryptoKey, kid: string, typ = GRANT_TYP, claims: object = target.claims) =>
      new SignJWT({ ...claims }).setProtectedHeader({ alg: "EdDSA", kid, typ }).sign(key);
    const cases: { name: string; token: string; failure: string; status: number; code: string }[] = [
      { name: "signed by a foreign key under our kid", token: await signWith(foreign.privateKey, ring.signing.kid), failure: "bad_signature", status: 401, code: "invalid_grant_signature" },
      { name: "signed by a foreign key under its own kid", token: await signWith(foreign.privateKey, "attacker-key"), failure: "unknown_key", status: 401, code: "invalid_grant_signature" },
      { name: "alg: none", token: `${b64({ alg: "none", kid: ring.signing.kid, typ: GRANT_TYP })}.${payload}.`, failure: "unsupported_algorithm", status: 401, code: "invalid_grant_signature" },
      { name: "alg: HS256 keyed with the public key", token: `${b64({ alg: "HS256", kid: ring.signing.kid, typ: GRANT_TYP })}.${payload}.${signature}`, failure: "unsupported_algorithm", status: 401, code: "invalid_grant_signature" },
      { name: "payload edited (resource)", token: `${header}.${b64({ ...target.claims, resource: "svc/everything" })}.${signature}`, failure: "bad_signature", status: 401, code: "invalid_grant_signature" },
      { name: "payload edited (exp extended)", token: `${header}.${b64({ ...target.claims, exp: target.claims.exp + 86_400 })}.${signature}`, failure: "bad_signature", status: 401, code: "invalid_grant_signature" },
      { name: "signed by our key but not a grant (typ)", token: await signWith(ring.signing.privateKey, ring.signing.kid, "countersign-checkpoint+jwt"), failure: "wrong_type", status: 400, code: "invalid_grant" },
      { name: "signed by our key, grant typ, claims missing", token: await signWith(ring.signing.privateKey, ring.signing.kid, GRANT_TYP, { sub: target.requestId, jti: target.claims.jti, exp: target.claims.exp }), failure: "invalid_claims", status: 400, code: "invalid_grant" },
      { name: "not a JWS", token: "eyJhbGciOiJFZERTQSJ9.garbage", failure: "malformed", status: 400, code: "invalid_grant" },
    ];
    for (const c of cases) {
      expect(await verifyGrant(c.token, { jwks }), c.name).toMatchObject({ ok: false, failure: c.failure });
      const error = await expectError(await redeem(target.claims.jti, { grant: c.token, redeemer }), c.status, c.code);
      expect(error.message, c.name).not.toContain(" at ");
    }

    // A genuine grant for another request, presented at this grant's id.
    await expectError(await redeem(target.claims.jti, { grant: other.token, redeemer }), 400, "grant_mismatch");
    expect(await verifyGrant(other.token, { jwks, expect: { request_id: target.requestId } })).toMatchObject({ ok: false, failure: "mismatch", claim: "sub" });
    expect(await verifyGrant(other.token, { jwks, expect: { id: target.claims.jti } })).toMatchObject({ ok: false, failure: "mismatch", claim: "jti" });
    // A genuine grant at an id nobody issued, and an id that is not one.
    await expectError(await redeem(randomUUID(), { grant: target.token, redeemer }), 404, "not_found");
    await expectError(await redeem("not-a-grant-id", { grant: target.token, redeemer }), 404, "not_found");

    // Nothing changed: both grants unredeemed, no event; then each still redeems, once.
    for (const g of [target, other]) {
      expect((await findGrant(await getDb(), g.claims.jti))?.redeemedAt, g.requestId).toBeNull();
      expect(await redeemedEvents(g.requestId)).toHaveLength(0);
    }
    expect((await redeem(target.claims.jti, { grant: target.token, redeemer })).status).toBe(200);
    expect((await redeem(other.claims.jti, { grant: other.token, redeemer })).status).toBe(200);
  });

  it("the redeem body is validated before any token work: JSON, fields, sizes", async () => {
    const { token, claims } = await executedGrant();
    const path = `/api/v1/grants/${claims.jti}/redeem`;
    const send = (opts: Parameters<typeof apiRequest>[2]) => callAgentApi(apiRequest("POST", path, opts));
    await expectError(await send({ rawBody: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    await expectError(await send({ rawBody: JSON.stringify({ grant: token, redeemer }), headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
    const issues = async (body: Json) => ((await (await send({ body })).json()) as { error: { code: string; issues?: { path: string }[] } }).error;
    expect(await issues({ grant: token })).toMatchObject({ code: "invalid_request", issues: [{ path: "redeemer" }] });
    expect(await issues({ grant: token, redeemer: {} })).toMatchObject({ code: "invalid_request", issues: [{ path: "redeemer.name" }] });
    expect(await issues({ grant: token, redeemer, agent_key: "x" })).toMatchObject({ code: "invalid_request", issues: [{ path: "agent_key" }] });
    expect(await issues({ grant: token, redeemer: { name: "x", blob: "y".repeat(5000) } })).toMatchObject({ code: "invalid_request", issues: [{ path: "redeemer" }] });
    expect(await issues({ grant: "", redeemer })).toMatchObject({ code: "invalid_request", issues: [{ path: "grant" }] });
    expect((await findGrant(await getDb(), claims.jti))?.redeemedAt).toBeNull();
  });
});
