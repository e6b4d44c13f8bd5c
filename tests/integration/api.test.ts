// The agent API through its one routing table, with real Request objects: status codes, headers,
// body shapes, idempotency, long-poll and SSE wake-ups, ownership, authentication, rate limiting,
// and the table itself (route misses, the Next.js catch-all, the OpenAPI document).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { decodeJwt, decodeProtectedHeader } from "jose";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { agentApi } from "@/app/api/_lib/agent-api";
import { GET as healthGet } from "@/app/api/health/route";
import { peekProcessWide } from "@/lib/runtime/process-wide";
import { GET as openapiGet } from "@/app/api/openapi.json/route";
import * as nextCatchAll from "@/app/api/v1/[[...path]]/route";
import { getDb } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { revokeAgent } from "@/lib/agents/registry";
import { resetEnvCache } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { drainWaiters } from "@/lib/realtime/request-changes";
import { createRequest } from "@/lib/requests/lifecycle";
import { createRequestBody, errorBody, executedRequest, grantRedemption, requestView, type RequestView } from "@/lib/requests/schema";
import { GRANT_TYP, verifyGrant } from "@/lib/evidence/grants";
import { keyRing } from "@/lib/evidence/keys";
import { sseReader, type SseEvent } from "../support/sse";
import { apiRequest, callAgentApi, decideAs, makeAgent, oncall, personOf, requestBody, security, TEST_ACTOR } from "../support/fixtures";

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

async function read(res: Response): Promise<{ status: number; headers: Headers; body: Json }> {
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** A successful response carrying a request: checked against the published response schema. */
async function readView(res: Response, status = 200): Promise<{ headers: Headers; view: RequestView }> {
  const { status: got, headers, body } = await read(res);
  expect(got, JSON.stringify(body)).toBe(status);
  return { headers, view: requestView.parse(body) };
}

/** An error response: the documented status, code and envelope. */
async function expectError(res: Response | Promise<Response>, status: number, code: string): Promise<Json> {
  const { status: got, body } = await read(await res);
  expect({ status: got, code: errorBody.parse(body).error.code }).toEqual({ status, code });
  return body;
}

const create = (key: string, body: unknown, headers: Record<string, string> = {}) =>
  callAgentApi(apiRequest("POST", "/api/v1/requests", { key, body, headers }));
const get = (key: string, id: string, query = "") => callAgentApi(apiRequest("GET", `/api/v1/requests/${id}${query}`, { key }));
const execute = (key: string, id: string) => callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/execute`, { key }));
const result = (key: string, id: string, body: unknown) =>
  callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/result`, { key, body }));
const cancel = (key: string, id: string, body?: unknown) =>
  callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/cancel`, { key, body }));
const events = (key: string, id: string, signal?: AbortSignal) =>
  callAgentApi(new Request(apiRequest("GET", `/api/v1/requests/${id}/events`, { key }), { signal }));

const auditTypes = async (id: string) => (await selectEventsForRequest(await getDb(), id)).map((e) => e.type);

/** Files a request over HTTP and returns its view. */
async function filed(key: string, over: Parameters<typeof requestBody>[0] = {}): Promise<RequestView> {
  return (await readView(await create(key, requestBody(over)), 201)).view;
}

const stateOf = (ev: SseEvent | null) => {
  expect(ev?.event).toBe("state");
  return requestView.parse(JSON.parse(ev!.data));
};

// ── create, read, decide, execute, result, cancel ─────────────────────────────────────────────

describe("agent API: lifecycle over HTTP", () => {
  it("creates with 201, a Location header and the full request shape", async () => {
    const { agent, key } = await makeAgent();
    const body = requestBody({ on_behalf_of: "dana@acme.test", origin: { run_id: "run-7", model: "m-1" } });
    const res = await create(key, body);
    const { headers, view } = await readView(res, 201);
    expect(headers.get("location")).toBe(`/api/v1/requests/${view.id}`);
    expect(headers.get("idempotent-replayed")).toBeNull();
    expect(headers.get("cache-control")).toBe("no-store");
    expect(view).toMatchObject({
      status: "pending",
      action: body.action,
      resource: body.resource,
      environment: body.environment,
      intent: body.intent,
      context: body.context,
      origin: { run_id: "run-7", model: "m-1" },
      on_behalf_of: "dana@acme.test",
      agent: { id: agent.id, name: agent.name, owner: agent.owner },
      policy: { rule: "everything-else", decision: "require_approval", approver_groups: ["platform-oncall"] },
      approvals: { count: 0, required: 1 },
      reviews: [],
      grant_expires_at: null,
      decided_at: null,
      executed_at: null,
      result: null,
    });
    expect(view.params_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(view.policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(view.risk.reasons.length).toBeGreaterThan(0);
    expect(Date.parse(view.decision_deadline) - Date.parse(view.created_at)).toBe(3600_000);

    const again = await readView(await get(key, view.id));
    expect(again.view).toEqual(view);
    // The same parameters give the same hash; other parameters another one.
    const twin = await filed(key);
    expect(twin.params_hash).toBe(view.params_hash);
    expect((await filed(key, { context: { image: "payments-api:v2.42.0" } })).params_hash).not.toBe(view.params_hash);
  });

  it("pending → approved (decided through the domain) → executed once → result, audited", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    await expectError(execute(key, id), 409, "not_approved");
    await expectError(result(key, id, { status: "succeeded" }), 409, "not_executed");

    const decided = await decideAs(id, oncall(), "approve", "ship it", "console");
    expect(decided.status).toBe("approved");
    const approved = (await readView(await get(key, id))).view;
    expect(approved).toMatchObject({ status: "approved", approvals: { count: 1, required: 1 } });
    expect(approved.reviews).toEqual([expect.objectContaining({ reviewer: await personOf(oncall()), decision: "approve", note: "ship it", channel: "console" })]);
    expect(Date.parse(approved.grant_expires_at!) - Date.parse(approved.decided_at!)).toBe(15 * 60_000);

    const claimed = await read(await execute(key, id));
    expect(claimed.status).toBe(200);
    const executed = executedRequest.parse(claimed.body);
    expect(executed.status).toBe("executed");
    expect(executed.executed_at).not.toBeNull();
    // The one successful execute carries the signed grant for exactly this request.
    expect(decodeProtectedHeader(executed.grant)).toMatchObject({ alg: "EdDSA", typ: GRANT_TYP });
    const grant = await verifyGrant(executed.grant, { jwks: (await keyRing()).jwks, expect: { request_id: id, params_hash: executed.params_hash } });
    expect(grant).toMatchObject({ ok: true, claims: { sub: id, approvals: [{ person_id: await personOf(oncall()), channel: "console" }] } });
    await expectError(execute(key, id), 409, "already_executed");

    const reported = (await readView(await result(key, id, { status: "failed", detail: { exit_code: 2 } }))).view;
    expect(reported.result).toMatchObject({ status: "failed", detail: { exit_code: 2 } });
    await expectError(result(key, id, { status: "succeeded" }), 409, "result_already_reported");
    expect((await readView(await get(key, id))).view.result?.status).toBe("failed");

    expect(await auditTypes(id)).toEqual(["request.created", "review.approved", "request.approved", "request.executed", "request.result"]);
  });

  it("auto-approved and refused requests come back from create in their final policy state", async () => {
    const { key } = await makeAgent();
    const auto = await filed(key, { action: "logs.service.read" });
    expect(auto).toMatchObject({ status: "approved", policy: { rule: "reads-are-free", decision: "auto_approve" } });
    expect((await readView(await execute(key, auto.id))).view.status).toBe("executed");

    const refused = await filed(key, { action: "db.primary.drop" });
    expect(refused).toMatchObject({ status: "denied", policy: { rule: "no-prod-db-drops", decision: "deny" } });
    await expectError(execute(key, refused.id), 409, "denied");
    await expectError(cancel(key, refused.id), 409, "not_pending");
  });

  it("a denied request cannot be executed", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    await decideAs(id, oncall(), "deny", "not during the freeze", "slack");
    const view = (await readView(await get(key, id))).view;
    expect(view.status).toBe("denied");
    expect(view.reviews[0]).toMatchObject({ decision: "deny", note: "not during the freeze", channel: "slack" });
    await expectError(execute(key, id), 409, "denied");
  });

  it("cancels a pending request, with or without a body, and only once", async () => {
    const { key } = await makeAgent();
    const first = await filed(key);
    const cancelled = (await readView(await cancel(key, first.id, { reason: "superseded" }))).view;
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.decided_at).not.toBeNull();
    await expectError(cancel(key, first.id), 409, "not_pending");
    await expectError(execute(key, first.id), 409, "cancelled");
    await expect(decideAs(first.id, oncall(), "approve", undefined, "console")).rejects.toMatchObject({ code: "already_decided" });
    const [, cancelledEvent] = await selectEventsForRequest(await getDb(), first.id);
    expect(cancelledEvent).toMatchObject({ type: "request.cancelled", channel: "api", payload: { reason: "superseded" } });

    const second = await filed(key, { resource: "svc/ledger" });
    expect((await readView(await cancel(key, second.id))).view.status).toBe("cancelled"); // no body at all
    expect(await auditTypes(second.id)).toEqual(["request.created", "request.cancelled"]);
  });
});

// ── idempotency ───────────────────────────────────────────────────────────────────────────────

describe("agent API: Idempotency-Key", () => {
  it("same key and body → 200 with the same request; other body → 409; keys are per agent", async () => {
    const { key } = await makeAgent();
    const idem = { "idempotency-key": `deploy-${randomUUID()}` };
    const body = requestBody();

    const first = await readView(await create(key, body, idem), 201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const replay = await readView(await create(key, body, idem), 200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("location")).toBe(`/api/v1/requests/${first.view.id}`);
    expect(replay.view.id).toBe(first.view.id);
    expect(replay.view.created_at).toBe(first.view.created_at);

    // The replay reflects the current state, not a stale copy.
    await decideAs(first.view.id, oncall(), "approve", undefined, "console");
    const later = await readView(await create(key, body, idem), 200);
    expect(later.view).toMatchObject({ id: first.view.id, status: "approved" });

    const conflict = await expectError(create(key, requestBody({ resource: "svc/other" }), idem), 409, "idempotency_conflict");
    expect(JSON.stringify(conflict)).not.toContain("svc/payments-api");

    // Without the key, or with another key, the same body files a new request.
    const fresh = await readView(await create(key, body), 201);
    expect(fresh.view.id).not.toBe(first.view.id);
    const otherKey = await readView(await create(key, body, { "idempotency-key": `deploy-${randomUUID()}` }), 201);
    expect(otherKey.view.id).not.toBe(first.view.id);

    // Another agent using the same key files its own request.
    const other = await makeAgent();
    const theirs = await readView(await create(other.key, body, idem), 201);
    expect(theirs.view.id).not.toBe(first.view.id);
    expect(theirs.view.agent.id).toBe(other.agent.id);

    expect(await auditTypes(first.view.id)).toEqual(["request.created", "review.approved", "request.approved"]);
  });

  it("concurrent creates with one key file exactly one request", async () => {
    const { key } = await makeAgent();
    const idem = { "idempotency-key": `race-${randomUUID()}` };
    const body = requestBody({ resource: "svc/race" });
    const responses = await Promise.all(Array.from({ length: 5 }, () => create(key, body, idem)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(responses.map(async (r) => requestView.parse(await r.json()).id)));
    expect(ids.size).toBe(1);
  });
});

// ── long-poll ─────────────────────────────────────────────────────────────────────────────────

describe("agent API: ?wait long-poll", () => {
  it("is woken by a decision made meanwhile, well before the wait ends", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const started = performance.now();
    let answeredAt = 0;
    const polling = get(key, id, "?wait=20").then((res) => {
      answeredAt = performance.now();
      return res;
    });
    await sleep(300);
    expect(answeredAt).toBe(0); // still waiting: nothing has changed yet

    const decisionStarted = performance.now();
    await decideAs(id, oncall(), "approve", undefined, "console");
    const { view } = await readView(await polling);
    const wokeAfterMs = answeredAt - decisionStarted;

    expect(view.status).toBe("approved");
    expect(wokeAfterMs).toBeLessThan(1000);
    expect(answeredAt - started).toBeLessThan(5000);
  });

  it("returns the unchanged state when the wait times out", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const started = performance.now();
    const { view } = await readView(await get(key, id, "?wait=1"));
    const elapsed = performance.now() - started;
    expect(view.status).toBe("pending");
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
  });

  it("a vote short of quorum does not end the wait, but shows in the answer", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key, { action: "iam.policy.update" });
    const started = performance.now();
    const polling = get(key, id, "?wait=1");
    await sleep(200);
    await decideAs(id, security("s1"), "approve", undefined, "console");
    const { view } = await readView(await polling);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(view).toMatchObject({ status: "pending", approvals: { count: 1, required: 2 } });
  });

  it("returns `expired` when the decision deadline passes during the wait; execute is then 410", async () => {
    const { key } = await makeAgent();
    const request = await filed(key, { action: "test.short.deadline" });
    expect(request.policy.rule).toBe("test-short-deadline");
    const deadlineMs = Date.parse(request.decision_deadline) - Date.parse(request.created_at);
    expect(deadlineMs).toBe(2000);

    const started = performance.now();
    const { view } = await readView(await get(key, request.id, "?wait=20"));
    const elapsed = performance.now() - started;
    expect(view.status).toBe("expired");
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(request.decision_deadline));
    expect(elapsed).toBeLessThan(deadlineMs + 1500);

    await expectError(execute(key, request.id), 410, "expired");
    await expectError(execute(key, request.id), 410, "expired"); // once recorded, still 410
    await expect(decideAs(request.id, oncall(), "approve", undefined, "console")).rejects.toBeInstanceOf(CountersignError);
    expect((await readView(await get(key, request.id))).view.status).toBe("expired");
    expect(await auditTypes(request.id)).toEqual(["request.created", "request.expired"]);
  });

  it("answers at once for a terminal request and for wait=0", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const t0 = performance.now();
    expect((await readView(await get(key, id, "?wait=0"))).view.status).toBe("pending");
    await cancel(key, id);
    expect((await readView(await get(key, id, "?wait=30"))).view.status).toBe("cancelled");
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

// ── Server-Sent Events ────────────────────────────────────────────────────────────────────────

describe("agent API: /events stream", () => {
  it("sends the state at once, then each change, and closes after a terminal state", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const res = await events(key, id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toContain("no-store");
    const sse = sseReader(res.body!);

    const first = stateOf(await sse.next());
    expect(first).toMatchObject({ id, status: "pending" });

    await decideAs(id, oncall(), "approve", "go", "console");
    const second = stateOf(await sse.next());
    expect(second).toMatchObject({ id, status: "approved", approvals: { count: 1, required: 1 } });

    await readView(await execute(key, id));
    const third = stateOf(await sse.next());
    expect(third.status).toBe("executed");

    expect(await sse.next()).toBeNull(); // terminal: the server ends the stream
  });

  it("streams votes short of quorum and a denial, then ends", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key, { action: "iam.role.update" });
    const sse = sseReader((await events(key, id)).body!);
    expect(stateOf(await sse.next()).approvals.count).toBe(0);
    await decideAs(id, security("s1"), "approve", undefined, "console");
    expect(stateOf(await sse.next())).toMatchObject({ status: "pending", approvals: { count: 1 } });
    await decideAs(id, security("s2"), "deny", "too broad", "slack");
    expect(stateOf(await sse.next()).status).toBe("denied");
    expect(await sse.next()).toBeNull();
  });

  it("sends one event and ends for a request that is already terminal", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    await cancel(key, id);
    const sse = sseReader((await events(key, id)).body!);
    expect(stateOf(await sse.next()).status).toBe("cancelled");
    expect(await sse.next()).toBeNull();
  });

  it("ends when the client disconnects", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const abort = new AbortController();
    const sse = sseReader((await events(key, id, abort.signal)).body!);
    expect(stateOf(await sse.next()).status).toBe("pending");
    abort.abort();
    expect(await sse.next(1000)).toBeNull();
  });
});

// ── ownership, unknown ids, authentication ────────────────────────────────────────────────────

describe("agent API: who may touch what", () => {
  it("403 forbidden on every route for another agent's request, which stays untouched", async () => {
    const { key } = await makeAgent();
    const other = await makeAgent();
    const pending = await filed(key);
    const approved = await filed(key, { action: "logs.audit.read" });
    expect(approved.status).toBe("approved");

    await expectError(get(other.key, pending.id), 403, "forbidden");
    await expectError(get(other.key, pending.id, "?wait=5"), 403, "forbidden");
    await expectError(events(other.key, pending.id), 403, "forbidden");
    await expectError(cancel(other.key, pending.id), 403, "forbidden");
    await expectError(execute(other.key, approved.id), 403, "forbidden");
    await expectError(result(other.key, approved.id, { status: "succeeded" }), 403, "forbidden");

    expect((await readView(await get(key, pending.id))).view.status).toBe("pending");
    expect((await readView(await get(key, approved.id))).view.status).toBe("approved");
    expect(await auditTypes(pending.id)).toEqual(["request.created"]);
    expect(await auditTypes(approved.id)).toEqual(["request.created", "request.auto_approved"]);
  });

  it("404 not_found for unknown and malformed ids on every route", async () => {
    const { key } = await makeAgent();
    for (const id of [randomUUID(), "not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"]) {
      await expectError(get(key, id), 404, "not_found");
      await expectError(get(key, id, "?wait=5"), 404, "not_found");
      await expectError(events(key, id), 404, "not_found");
      await expectError(execute(key, id), 404, "not_found");
      await expectError(result(key, id, { status: "succeeded" }), 404, "not_found");
      await expectError(cancel(key, id), 404, "not_found");
    }
  });

  it("ids are matched case-insensitively", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    expect((await readView(await get(key, id.toUpperCase()))).view.id).toBe(id);
  });

  it("a revoked agent's key gets 401 agent_revoked everywhere", async () => {
    const { agent, key } = await makeAgent();
    const { id } = await filed(key);
    await revokeAgent(agent.id, TEST_ACTOR);
    await expectError(create(key, requestBody()), 401, "agent_revoked");
    await expectError(get(key, id), 401, "agent_revoked");
    await expectError(events(key, id), 401, "agent_revoked");
    await expectError(cancel(key, id), 401, "agent_revoked");
    expect(await auditTypes(id)).toEqual(["request.created"]);
  });
});

// ── rate limit ────────────────────────────────────────────────────────────────────────────────

describe("agent API: rate limit", () => {
  const saved = process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
  afterEach(() => {
    if (saved === undefined) delete process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
    else process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = saved;
    resetEnvCache();
    resetRateLimitForTests();
  });

  it("429 rate_limited with Retry-After once an agent exceeds its budget; other agents are unaffected", async () => {
    const { agent, key } = await makeAgent();
    const other = await makeAgent();
    const { request } = await createRequest(agent, requestBody());
    process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = "3";
    resetEnvCache();
    resetRateLimitForTests();

    for (let i = 0; i < 3; i++) await readView(await get(key, request.id));
    const limited = await get(key, request.id);
    const retryAfter = Number(limited.headers.get("retry-after"));
    await expectError(limited, 429, "rate_limited");
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Every route counts against the same budget, and a limited create writes nothing.
    await expectError(create(key, requestBody({ resource: "svc/limited" })), 429, "rate_limited");
    await expectError(execute(key, request.id), 429, "rate_limited");
    expect(await auditTypes(request.id)).toEqual(["request.created"]);

    await readView(await create(other.key, requestBody()), 201);
  });
});

// ── the one routing table ─────────────────────────────────────────────────────────────────────

describe("agent API: one routing table", () => {
  type Doc = { paths: Record<string, Record<string, { operationId?: string }>>; components: { schemas: Record<string, unknown> } };
  const doc = async () => (await openapiGet().json()) as Doc;

  it("the OpenAPI document lists exactly the operations the router holds", async () => {
    const { paths, components } = await doc();
    const documented = Object.entries(paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    const routed = agentApi.routes().map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual(routed.sort());
    const operationIds = Object.values(paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect(operationIds.sort()).toEqual(
      [
        "cancelRequest",
        "createRequest",
        "executeRequest",
        "getRequest",
        "redeemGrant",
        "exchangeToken",
        "reportResult",
        "streamRequestEvents",
        "listReviews",
        "getReview",
        "approveReview",
        "denyReview",
        "breakGlassReview",
      ].sort(),
    );
    expect(Object.keys(components.schemas).sort()).toEqual(
      [
        "BreakGlass",
        "CancelRequest",
        "CreateRequest",
        "Decision",
        "Error",
        "ExecutedRequest",
        "GrantClaims",
        "GrantRedemption",
        "RedeemGrant",
        "ReportResult",
        "Request",
        "Review",
        "ReviewList",
      ].sort(),
    );
  });

  it("no route file under app/api/v1 besides the catch-all (server.ts would never reach it)", () => {
    const root = path.join(process.cwd(), "app", "api", "v1");
    const files = fs.readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => /(^|\/)route\.[jt]sx?$/.test(f));
    expect(files).toEqual([path.join("[[...path]]", "route.ts")]);
  });

  const id = randomUUID();
  const misses: { method: string; path: string; status: number; code: string; allow?: string }[] = [
    { method: "GET", path: "/api/v1", status: 404, code: "not_found" },
    { method: "GET", path: "/api/v1/nope", status: 404, code: "not_found" },
    { method: "POST", path: "/api/v1/grants", status: 404, code: "not_found" },
    { method: "POST", path: `/api/v1/requests/${id}/approve`, status: 404, code: "not_found" },
    { method: "POST", path: `/api/v1/requests/${id}/execute/again`, status: 404, code: "not_found" },
    { method: "GET", path: "/api/v1/requests", status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "DELETE", path: "/api/v1/requests", status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "POST", path: `/api/v1/requests/${id}`, status: 405, code: "method_not_allowed", allow: "GET" },
    { method: "PUT", path: `/api/v1/requests/${id}/events`, status: 405, code: "method_not_allowed", allow: "GET" },
    { method: "GET", path: `/api/v1/requests/${id}/execute`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "PATCH", path: `/api/v1/requests/${id}/result`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "OPTIONS", path: `/api/v1/requests/${id}/cancel`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "GET", path: `/api/v1/grants/${id}/redeem`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "POST", path: `/api/v1/grants/${id}`, status: 404, code: "not_found" },
    { method: "POST", path: "/api/v1/reviews", status: 405, code: "method_not_allowed", allow: "GET" },
    { method: "POST", path: `/api/v1/reviews/${id}`, status: 405, code: "method_not_allowed", allow: "GET" },
    { method: "GET", path: `/api/v1/reviews/${id}/approve`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "PUT", path: `/api/v1/reviews/${id}/deny`, status: 405, code: "method_not_allowed", allow: "POST" },
    { method: "POST", path: `/api/v1/reviews/${id}/vote`, status: 404, code: "not_found" },
    // HEAD is not run as a bodiless GET (that would open a long-poll or a stream nobody reads).
    { method: "HEAD", path: `/api/v1/requests/${id}`, status: 405, code: "method_not_allowed", allow: "GET" },
    { method: "HEAD", path: `/api/v1/requests/${id}/events`, status: 405, code: "method_not_allowed", allow: "GET" },
  ];

  it.each(misses)("$method $path → $status $code, from the table and from the Next.js catch-all", async ({ method, path: p, status, code, allow }) => {
    const { key } = await makeAgent();
    const viaNext = nextCatchAll[method as keyof typeof nextCatchAll];
    expect(viaNext, `the catch-all exports ${method}`).toBeTypeOf("function");
    for (const res of [await callAgentApi(apiRequest(method, p, { key })), await viaNext(apiRequest(method, p, { key }))]) {
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("allow")).toBe(allow ?? null);
      if (method !== "HEAD") expect(errorBody.parse(await res.json()).error.code).toBe(code);
    }
  });

  it("the Next.js catch-all answers every operation through the same table", async () => {
    const { key } = await makeAgent();
    const created = await readView(await nextCatchAll.POST(apiRequest("POST", "/api/v1/requests", { key, body: requestBody() })), 201);
    const { id: rid } = created.view;
    expect(created.headers.get("location")).toBe(`/api/v1/requests/${rid}`);
    expect((await readView(await nextCatchAll.GET(apiRequest("GET", `/api/v1/requests/${rid}?wait=0`, { key })))).view.id).toBe(rid);
    await expectError(nextCatchAll.POST(apiRequest("POST", `/api/v1/requests/${rid}/execute`, { key })), 409, "not_approved");
    await expectError(nextCatchAll.POST(apiRequest("POST", `/api/v1/requests/${rid}/result`, { key, body: { status: "succeeded" } })), 409, "not_executed");
    expect((await readView(await nextCatchAll.POST(apiRequest("POST", `/api/v1/requests/${rid}/cancel`, { key })))).view.status).toBe("cancelled");
    const stream = await nextCatchAll.GET(apiRequest("GET", `/api/v1/requests/${rid}/events`, { key }));
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stateOf(await sseReader(stream.body!).next()).status).toBe("cancelled");
    // execute and redeem on an auto-approved request
    const auto = await readView(await nextCatchAll.POST(apiRequest("POST", "/api/v1/requests", { key, body: requestBody({ action: "logs.service.read" }) })), 201);
    const executed = executedRequest.parse((await read(await nextCatchAll.POST(apiRequest("POST", `/api/v1/requests/${auto.view.id}/execute`, { key })))).body);
    const { jti } = decodeJwt(executed.grant);
    const redeemed = await read(await nextCatchAll.POST(apiRequest("POST", `/api/v1/grants/${jti}/redeem`, { body: { grant: executed.grant, redeemer: { name: "t" } } })));
    expect(redeemed.status).toBe(200);
    expect(grantRedemption.parse(redeemed.body).request_id).toBe(auto.view.id);
  });
});

// ── OpenAPI and health ────────────────────────────────────────────────────────────────────────

describe("service documents", () => {
  it("/api/openapi.json is OpenAPI 3.1 covering every agent route, generated from the validating schemas", async () => {
    const res = openapiGet();
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: unknown }>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);

    const expected: Record<string, Record<string, string[]>> = {
      "/api/v1/requests": { post: ["201", "200", "400", "401", "409", "413", "415", "429"] },
      "/api/v1/requests/{id}": { get: ["200", "400", "401", "403", "404", "429"] },
      "/api/v1/requests/{id}/events": { get: ["200", "401", "403", "404"] },
      "/api/v1/requests/{id}/execute": { post: ["200", "401", "403", "404", "409", "410", "429"] },
      "/api/v1/requests/{id}/result": { post: ["200", "400", "401", "403", "404", "409"] },
      "/api/v1/requests/{id}/cancel": { post: ["200", "401", "403", "404", "409"] },
      "/api/v1/grants/{id}/redeem": { post: ["200", "400", "401", "404", "409", "410", "413", "415"] },
      "/api/v1/reviews": { get: ["200", "401", "403"] },
      "/api/v1/reviews/{id}": { get: ["200", "401", "403", "404"] },
      "/api/v1/reviews/{id}/approve": { post: ["200", "400", "401", "403", "404", "409", "410", "413", "415"] },
      "/api/v1/reviews/{id}/deny": { post: ["200", "400", "401", "403", "404", "409", "410", "413", "415"] },
      "/api/v1/reviews/{id}/break-glass": { post: ["200", "400", "401", "403", "404", "409", "410", "413", "415"] },
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path] ?? {}), path).toEqual(Object.keys(methods));
      for (const [method, statuses] of Object.entries(methods)) {
        const op = doc.paths[path]![method]!;
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(statuses));
        // A target system redeems with the grant itself as the credential: no agent key.
        // Reviewers authenticate with their personal token, never an agent key.
        expect(op.security).toEqual(path.startsWith("/api/v1/grants/") ? [] : path.startsWith("/api/v1/reviews") ? [{ reviewerToken: [] }] : [{ agentKey: [] }]);
      }
    }
    const executeOk = doc.paths["/api/v1/requests/{id}/execute"]!.post!.responses["200"] as { content: Record<string, { schema: { $ref?: string } }> };
    expect(executeOk.content["application/json"]!.schema.$ref).toBe("#/components/schemas/ExecutedRequest");
    expect(doc.components.schemas.ExecutedRequest?.required).toEqual(expect.arrayContaining(["id", "status", "params_hash", "grant"]));
    expect(doc.components.securitySchemes.agentKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.reviewerToken).toMatchObject({ type: "http", scheme: "bearer" });

    const createSchema = doc.components.schemas.CreateRequest!;
    expect(createSchema.required).toEqual(expect.arrayContaining(["action", "resource", "environment", "intent"]));
    expect(createSchema.additionalProperties).toBe(false);
    expect(Object.keys(createSchema.properties ?? {}).sort()).toEqual(Object.keys(createRequestBody.shape).sort());
    expect(doc.components.schemas.Request?.required).toEqual(expect.arrayContaining(["id", "status", "params_hash", "break_glass", "escalated_to"]));
    const requestProps = (doc.components.schemas.Request as { properties: Record<string, { properties?: Record<string, unknown> }> }).properties;
    expect(Object.keys(requestProps.policy?.properties ?? {})).toContain("break_glass_groups");
  });

  it("/api/health answers 200 with the database kind", async () => {
    const res = await healthGet();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: process.env.COUNTERSIGN_TEST_DB });
  });
});

// ── graceful shutdown ─────────────────────────────────────────────────────────────────────────

describe("graceful shutdown", () => {
  it("draining answers long-polls at once, ends event streams and turns health to 503", async () => {
    const { key } = await makeAgent();
    const { id } = await filed(key);
    const sse = sseReader((await events(key, id)).body!);
    expect(stateOf(await sse.next()).status).toBe("pending");
    const started = performance.now();
    const polling = get(key, id, "?wait=30");
    await sleep(200);
    // Draining is one-way in production; this test puts the process's hub back afterwards.
    const hub = peekProcessWide<{ draining: boolean }>("request-changes-hub")!;
    try {
      drainWaiters();
      const { view } = await readView(await polling);
      expect(view.status).toBe("pending");
      expect(performance.now() - started).toBeLessThan(2000);
      expect(await sse.next(1000)).toBeNull();
      const health = await healthGet();
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "draining" });
    } finally {
      hub.draining = false;
    }
  });
});
