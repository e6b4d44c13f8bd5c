// Router parity (issue 9): the agent API has one routing table (app/api/_lib/agent-api.ts), served
// by `npm start`'s direct path (server.ts) and by Next.js's own routing (`next start`, through
// app/api/v1/[[...path]]). Both run here, as real processes on one fresh PostgreSQL database. Every
// operation the OpenAPI document lists is called on both with a valid agent key and must answer
// as documented (never a route miss); without a key (for grant redemption: with a forged grant)
// and with an unknown id it must answer from its own handler; an unknown path and a wrong method
// get the JSON envelope from both. The reviewer API's operations are called with a reviewer's
// personal token, created in this process through the domain module.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { expect, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { recordIdentity } from "@/lib/auth/people";
import { createReviewerToken } from "@/lib/auth/reviewer-tokens";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { errorBody, executedRequest, grantRedemption, requestView, reviewList, reviewView } from "@/lib/requests/schema";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import { startOidcIssuer, type OidcIssuer } from "../tests/support/oidc-issuer";
import {
  createAgentWithCli,
  createTestDatabase,
  E2E_KEYS,
  NEXT_START_ARGS,
  startServers,
  stopServers,
  TEST_POLICY,
  type AppServer,
  type RegisteredAgent,
  type TestDatabase,
} from "./support/servers";

test.describe.configure({ mode: "serial" });

const SERVERS = ["npm start", "next start"] as const;
type ServerName = (typeof SERVERS)[number];

let database: TestDatabase;
const running = new Map<ServerName, AppServer>();
let agent: RegisteredAgent;
/** A local OIDC issuer the servers' policy trusts for the agent "parity-pipeline" (the token exchange). */
let issuer: OidcIssuer;
let policyDir: string;
/** A reviewer's personal token (read and decide): Rita, on call and in security. */
let reviewerToken: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  database = await createTestDatabase({ prefix: "countersign_e2e_rp" });
  // The test policy, plus a workload identity for the token exchange's sample.
  issuer = await startOidcIssuer();
  policyDir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-rp-"));
  const policyPath = path.join(policyDir, "policy.yaml");
  fs.writeFileSync(
    policyPath,
    `${fs.readFileSync(TEST_POLICY, "utf8")}\nworkload_identities:\n  - issuer: ${issuer.url}\n    audience: countersign\n    match: { repository: "acme/*" }\n    agent: parity-pipeline\n`,
  );
  const env = { COUNTERSIGN_POLICY: policyPath, COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS: "true" };
  // One after the other: each migrates at start-up (safe when racing, but the cores are few).
  const [npmStart] = await startServers(1, { databaseUrl: database.url, names: ["npm start"], env });
  running.set("npm start", npmStart!);
  const [nextStart] = await startServers(1, { databaseUrl: database.url, names: ["next start"], args: NEXT_START_ARGS, env });
  running.set("next start", nextStart!);
  agent = await createAgentWithCli(database.url, { owner: "agent-owner@example.com" });
  await createAgentWithCli(database.url, { name: "parity-pipeline", owner: "agent-owner@example.com" });
  setDatabaseForProcess(await openDatabase({ databaseUrl: database.url, poolSize: 2 }));
  setActivePolicyForTests(parsePolicy(fs.readFileSync(TEST_POLICY, "utf8"), TEST_POLICY));
  wireRequestEffects();
  const email = "rita.parity@example.com";
  const groups = ["platform-oncall", "security-team"];
  const identity = await recordIdentity({
    issuer: "urn:countersign:e2e-idp",
    subject: "rita-parity",
    idp: "okta",
    login: email,
    email,
    emailVerified: true,
    name: "Rita Parity",
    groups,
    authTime: new Date(),
  });
  const viewer = { sessionId: "not-a-session", personId: identity.personId, identityId: identity.id, name: "Rita Parity", email, idp: "okta", emails: [email], groups, roles: ["reviewer" as const], authTime: null };
  reviewerToken = (await createReviewerToken(viewer, { name: "router parity", scopes: ["read", "decide"], expiresInDays: 7 })).token;
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const server of running.values()) {
    await testInfo.attach(`server-${server.name.replace(" ", "-")}.log`, { body: server.output(), contentType: "text/plain" });
  }
});

test.afterAll(async () => {
  try {
    await sealPendingAuditEvents().catch(() => undefined);
    await closeDatabase().catch(() => undefined);
    await stopServers([...running.values()]);
  } finally {
    await database?.drop();
    await issuer?.close();
    if (policyDir) fs.rmSync(policyDir, { recursive: true, force: true });
  }
});

// ── the document, and how to call each operation in it ────────────────────────────────────────

type DocumentedResponse = { description: string; content?: Record<string, unknown> };
type Operation = { method: string; path: string; operationId: string; responses: Record<string, DocumentedResponse> };
type OpenApi = { paths: Record<string, Record<string, Omit<Operation, "method" | "path">>> };

async function openApi(request: APIRequestContext, server: AppServer): Promise<OpenApi> {
  const res = await request.get(`${server.url}/api/openapi.json`);
  expect(res.status()).toBe(200);
  return (await res.json()) as OpenApi;
}

function operations(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
  );
}

const auth = () => ({ authorization: `Bearer ${agent.key}` });

const requestBody = (over: Record<string, unknown> = {}) => ({
  action: "deploy.service.release",
  resource: `svc/parity/${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  environment: "production",
  intent: "Check that every documented operation answers under both servers.",
  context: { version: "2.14.1" },
  ...over,
});

/** Calls on one server that put a request in the state an operation needs. */
function setup(request: APIRequestContext, server: AppServer) {
  const ok = async (method: string, path: string, data?: unknown): Promise<Record<string, unknown>> => {
    const res = await request.fetch(`${server.url}${path}`, { method, headers: auth(), data });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    ok,
    file: async (over: Record<string, unknown> = {}) => (await ok("POST", "/api/v1/requests", requestBody(over))).id as string,
  };
}

type Sample = {
  id?: string;
  data?: unknown;
  status: number;
  /** The credential, when it is not the agent's key (the reviewer API: a reviewer token). */
  headers?: Record<string, string>;
  /** For an operation not authenticated by the agent key: a call whose credential is refused, and its code. */
  refused?: { data: unknown; code: string; headers?: Record<string, string>; check?: string };
};

/** A grant-shaped token signed by a key that is not the server's (under the server's kid). */
async function forgedGrant(claims: Record<string, unknown>): Promise<string> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: E2E_KEYS.kid, typ: "countersign-grant+jwt" }).sign(privateKey);
}

/**
 * A successful call of each documented operation. Keyed by operationId: an operation added to the
 * table without a sample here fails the first assertion below, so none goes unchecked.
 */
const SAMPLES: Record<string, (api: ReturnType<typeof setup>) => Promise<Sample>> = {
  createRequest: async () => ({ data: requestBody(), status: 201 }),
  getRequest: async (api) => ({ id: await api.file(), status: 200 }),
  // A terminal request's stream sends its state once and ends, so the whole response can be read.
  streamRequestEvents: async (api) => {
    const id = await api.file();
    await api.ok("POST", `/api/v1/requests/${id}/cancel`);
    return { id, status: 200 };
  },
  // logs.*.read is auto-approved by the test policy.
  executeRequest: async (api) => ({ id: await api.file({ action: "logs.service.read" }), status: 200 }),
  reportResult: async (api) => {
    const id = await api.file({ action: "logs.service.read" });
    await api.ok("POST", `/api/v1/requests/${id}/execute`);
    return { id, data: { status: "succeeded", detail: { exit_code: 0 } }, status: 200 };
  },
  cancelRequest: async (api) => ({ id: await api.file(), data: { reason: "router parity" }, status: 200 }),
  // The grant is the credential: no agent key; a forged one is refused.
  redeemGrant: async (api) => {
    const id = await api.file({ action: "logs.service.read" });
    const { grant } = executedRequest.parse(await api.ok("POST", `/api/v1/requests/${id}/execute`));
    const claims = decodeJwt(grant);
    const redeemer = { name: "router-parity-target" };
    return { id: claims.jti!, data: { grant, redeemer }, status: 200, refused: { data: { grant: await forgedGrant(claims), redeemer }, code: "invalid_grant_signature" } };
  },
  // RFC 8693: the issuer's token is the credential (form-encoded); another issuer's is refused.
  exchangeToken: async () => {
    const form = (token: string) =>
      new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token: token, subject_token_type: "urn:ietf:params:oauth:token-type:jwt" }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const impostor = await startOidcIssuer();
    const forged = await impostor.sign({ iss: issuer.url, repository: "acme/app" });
    await impostor.close();
    return { data: form(await issuer.sign({ repository: "acme/app" })), headers, status: 200, refused: { data: form(forged), headers, code: "invalid_token", check: "signature" } };
  },
  // The reviewer API: Rita's token, on requests the test policy lets her decide.
  listReviews: async (api) => {
    await api.file();
    return { status: 200, headers: reviewer() };
  },
  getReview: async (api) => ({ id: await api.file(), status: 200, headers: reviewer() }),
  approveReview: async (api) => ({ id: await api.file(), data: { note: "router parity" }, status: 200, headers: reviewer() }),
  denyReview: async (api) => ({ id: await api.file(), data: { note: "router parity" }, status: 200, headers: reviewer() }),
  breakGlassReview: async (api) => ({
    id: await api.file({ action: "test.breakglass.deploy" }),
    data: { reason: "Router parity: break-glass must answer from both servers." },
    status: 200,
    headers: reviewer(),
  }),
};

const reviewer = () => ({ authorization: `Bearer ${reviewerToken}` });

/** The documented success body of each operation that answers JSON. */
const SUCCESS_BODIES: Record<string, { parse(v: unknown): unknown }> = {
  executeRequest: executedRequest,
  redeemGrant: grantRedemption,
  listReviews: reviewList,
  getReview: reviewView,
  exchangeToken: z.strictObject({ access_token: z.string(), issued_token_type: z.literal("urn:ietf:params:oauth:token-type:access_token"), token_type: z.literal("Bearer"), expires_in: z.number().int().min(1).max(900) }),
};

const ROUTE_MISS = /No agent API route/;

/** The JSON error envelope with this status and code, as every error of the agent API is sent. */
async function expectEnvelope(res: APIResponse, status: number, code: string, what: string) {
  const text = await res.text();
  expect(res.status(), `${what}: ${text}`).toBe(status);
  expect(res.headers()["content-type"] ?? "", what).toMatch(/^application\/json/);
  expect(res.headers()["cache-control"] ?? "", what).toContain("no-store");
  const body = errorBody.parse(JSON.parse(text));
  expect(body.error.code, what).toBe(code);
  return body.error;
}

// ── specs ─────────────────────────────────────────────────────────────────────────────────────

test("both servers serve one OpenAPI document, listing every operation (agent and reviewer API), and one JWKS: the e2e key", async ({ request }) => {
  const [fromServer, fromNext] = await Promise.all(SERVERS.map((name) => openApi(request, running.get(name)!)));
  expect(fromNext).toEqual(fromServer);
  expect(operations(fromServer!).map((o) => o.operationId).sort()).toEqual(Object.keys(SAMPLES).sort());
  for (const name of SERVERS) {
    const res = await request.get(`${running.get(name)!.url}/.well-known/jwks.json`);
    expect(res.status(), name).toBe(200);
    expect(await res.json(), name).toEqual(E2E_KEYS.jwks);
  }
});

for (const name of SERVERS) {
  test(`${name}: every documented operation answers as documented, from its own handler`, async ({ request }) => {
    const server = running.get(name)!;
    const ops = operations(await openApi(request, server));
    expect(ops.map((o) => o.operationId).sort()).toEqual(Object.keys(SAMPLES).sort());

    for (const op of ops) {
      const what = `${name}: ${op.method} ${op.path} (${op.operationId})`;
      const sample = await SAMPLES[op.operationId]!(setup(request, server));
      const path = op.path.includes("{id}") ? op.path.replace("{id}", sample.id!) : op.path;

      // With the agent's key: the documented success, in the documented media type.
      const res = await request.fetch(`${server.url}${path}`, { method: op.method, headers: sample.headers ?? auth(), data: sample.data });
      expect(res.status(), `${what}: ${await res.text()}`).toBe(sample.status);
      const documented = op.responses[String(sample.status)];
      expect(documented, `${what} documents ${sample.status}`).toBeDefined();
      const mediaType = Object.keys(documented!.content ?? {})[0]!;
      expect(res.headers()["content-type"] ?? "", what).toContain(mediaType);
      if (mediaType === "application/json") {
        const body: unknown = await res.json();
        const view = (SUCCESS_BODIES[op.operationId] ?? requestView).parse(body) as { id?: string };
        if (sample.id) expect(view.id, what).toBe(sample.id);
        if (op.operationId === "executeRequest") {
          // Signed with the key the e2e environment handed the server.
          expect(decodeProtectedHeader(executedRequest.parse(body).grant), what).toMatchObject({ alg: "EdDSA", kid: E2E_KEYS.kid, typ: "countersign-grant+jwt" });
        }
        if (op.operationId === "createRequest") expect(res.headers()["location"], what).toBe(`/api/v1/requests/${view.id}`);
      } else {
        expect(mediaType, what).toBe("text/event-stream");
        expect(await res.text(), what).toMatch(/^id: \d+\nevent: state\ndata: \{.*"status":"cancelled"/);
      }

      // Without a key (or with a forged credential, where the body is the credential): the
      // operation's handler refuses it (a route miss would be 404 or 405).
      expect(op.responses["401"], `${what} documents 401`).toBeDefined();
      if (sample.refused?.check) {
        // The token endpoint answers in RFC 6749's shape, with Countersign's code and the failed check.
        const forged = await request.fetch(`${server.url}${path}`, { method: op.method, data: sample.refused.data, headers: sample.refused.headers ?? {} });
        expect(forged.status(), what).toBe(401);
        expect(await forged.json(), what).toMatchObject({ error: "invalid_token", code: sample.refused.code, check: sample.refused.check });
      } else if (sample.refused) {
        const forged = await request.fetch(`${server.url}${path}`, { method: op.method, data: sample.refused.data, headers: sample.refused.headers ?? {} });
        await expectEnvelope(forged, 401, sample.refused.code, `${what} with a forged credential`);
      } else {
        const anonymous = await request.fetch(`${server.url}${path}`, { method: op.method, data: sample.data });
        await expectEnvelope(anonymous, 401, "unauthorized", `${what} without a key`);
      }

      // An id that names no request: the operation's own 404, not the router's.
      if (op.path.includes("{id}")) {
        expect(op.responses["404"], `${what} documents 404`).toBeDefined();
        const unknown = op.path.replace("{id}", crypto.randomUUID());
        const missing = await request.fetch(`${server.url}${unknown}`, { method: op.method, headers: sample.headers ?? auth(), data: sample.data });
        const error = await expectEnvelope(missing, 404, "not_found", `${what} with an unknown id`);
        expect(error.message, what).not.toMatch(ROUTE_MISS);
      }
    }
  });

  test(`${name}: unknown paths and wrong methods get the JSON envelope from the table`, async ({ request }) => {
    const server = running.get(name)!;
    const id = crypto.randomUUID();
    const misses: { method: string; path: string; status: number; code: string; allow?: string }[] = [
      { method: "GET", path: "/api/v1", status: 404, code: "not_found" },
      { method: "GET", path: "/api/v1/nope", status: 404, code: "not_found" },
      { method: "POST", path: "/api/v1/grants", status: 404, code: "not_found" },
      { method: "POST", path: `/api/v1/requests/${id}/approve`, status: 404, code: "not_found" },
      { method: "GET", path: "/api/v1/requests", status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "DELETE", path: "/api/v1/requests", status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "POST", path: `/api/v1/requests/${id}`, status: 405, code: "method_not_allowed", allow: "GET" },
      { method: "PUT", path: `/api/v1/requests/${id}/events`, status: 405, code: "method_not_allowed", allow: "GET" },
      { method: "GET", path: `/api/v1/requests/${id}/execute`, status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "PATCH", path: `/api/v1/requests/${id}/result`, status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "OPTIONS", path: `/api/v1/requests/${id}/cancel`, status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "GET", path: `/api/v1/grants/${id}/redeem`, status: 405, code: "method_not_allowed", allow: "POST" },
    ];
    for (const miss of misses) {
      const what = `${name}: ${miss.method} ${miss.path}`;
      const res = await request.fetch(`${server.url}${miss.path}`, { method: miss.method, headers: auth() });
      const error = await expectEnvelope(res, miss.status, miss.code, what);
      expect(res.headers()["allow"], what).toBe(miss.allow);
      if (miss.status === 404) expect(error.message, what).toMatch(ROUTE_MISS);
    }
    // Outside the agent API too, every /api answer is the envelope: unknown paths, and methods a
    // route does not have (which Next.js would answer with an empty 405).
    const elsewhere: { method: string; path: string; status: number; code: string; allow?: string }[] = [
      { method: "GET", path: "/api/nope", status: 404, code: "not_found" },
      { method: "POST", path: "/api/audit/nope/deeper", status: 404, code: "not_found" },
      { method: "POST", path: "/api/health", status: 405, code: "method_not_allowed", allow: "GET" },
      { method: "DELETE", path: "/api/openapi.json", status: 405, code: "method_not_allowed", allow: "GET" },
      { method: "PUT", path: "/api/audit/export", status: 405, code: "method_not_allowed", allow: "GET" },
      { method: "GET", path: "/api/integrations/slack/interactions", status: 405, code: "method_not_allowed", allow: "POST" },
      { method: "PATCH", path: "/api/auth/session", status: 405, code: "method_not_allowed", allow: "GET, POST" },
    ];
    for (const miss of elsewhere) {
      const what = `${name}: ${miss.method} ${miss.path}`;
      const res = await request.fetch(`${server.url}${miss.path}`, { method: miss.method });
      await expectEnvelope(res, miss.status, miss.code, what);
      expect(res.headers()["allow"], what).toBe(miss.allow);
    }
    // HEAD is refused like any other method a path does not have (no body to read, by HTTP).
    const head = await request.fetch(`${server.url}/api/v1/requests/${id}`, { method: "HEAD", headers: auth() });
    expect(head.status(), `${name}: HEAD`).toBe(405);
    expect(head.headers()["allow"], `${name}: HEAD`).toBe("GET");
  });
}
