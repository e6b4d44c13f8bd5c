// Bad input (SPEC §2 item 7): every malformed, oversized, unauthenticated or misdirected call gets
// its documented status and error code, names the offending fields, leaks no stack trace and
// writes nothing. One table, one assertion routine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { sql } from "drizzle-orm";
import { revokeAgent } from "@/lib/agents/registry";
import { claimApproval, createRequest } from "@/lib/requests/lifecycle";
import { errorBody } from "@/lib/requests/schema";
// Aliased: a `use…` name trips the react-hooks lint rule.
import { usePrivateDatabase } from "../support/dedicated-db";
import { apiRequest, callAgentApi, makeAgent, requestBody, TEST_ACTOR } from "../support/fixtures";

// ── the database must not change ──────────────────────────────────────────────────────────────

type Snapshot = { requests: number; reviews: number; audit_events: number; last_request_update: string | null; grants_redeemed: number };

async function snapshot(): Promise<Snapshot> {
  const db = await getDb();
  const result = await db.execute(sql`
    select (select count(*) from requests)::int as requests,
           (select count(*) from reviews)::int as reviews,
           (select count(*) from audit_events)::int as audit_events,
           (select max(updated_at) from requests)::text as last_request_update,
           (select count(*) from grants where redeemed_at is not null)::int as grants_redeemed`);
  // postgres.js returns the rows, PGlite a { rows } result.
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Snapshot[];
  return { ...rows[0]! };
}

// ── fixtures: requests in the states a bad call would otherwise change ───────────────────────

type World = {
  key: string; // agent A
  otherKey: string; // agent B
  revokedKey: string; // agent C, revoked
  wrongSecretKey: string; // agent A's prefix with another secret
  unknownKey: string; // well-formed, never issued
  pending: string; // A's, pending
  approved: string; // A's, approved (auto)
  executed: string; // A's, executed, no result yet
  grant: string; // the executed request's grant, not redeemed
  grantId: string;
  revokedApproved: string; // C's, approved before C was revoked
};

let world: World;
let restoreDatabase: () => Promise<void> = async () => {};

beforeAll(async () => {
  restoreDatabase = await usePrivateDatabase();
  const a = await makeAgent();
  const b = await makeAgent();
  const c = await makeAgent();
  const pending = (await createRequest(a.agent, requestBody())).request;
  const approved = (await createRequest(a.agent, requestBody({ action: "logs.service.read" }))).request;
  const toExecute = (await createRequest(a.agent, requestBody({ action: "metrics.service.read" }))).request;
  const { grant } = await claimApproval(a.agent, toExecute.id);
  const revokedApproved = (await createRequest(c.agent, requestBody({ action: "logs.service.read" }))).request;
  await revokeAgent(c.agent.id, TEST_ACTOR);
  expect([pending.status, approved.status, revokedApproved.status]).toEqual(["pending", "approved", "approved"]);
  const [, prefix, secret] = /^cs_([a-z0-9]{12})_(.{43})$/.exec(a.key)!;
  const flipped = (secret![0] === "A" ? "B" : "A") + secret!.slice(1);
  world = {
    key: a.key,
    otherKey: b.key,
    revokedKey: c.key,
    wrongSecretKey: `cs_${prefix}_${flipped}`,
    unknownKey: `cs_zzzzzzzzzzzz_${"A".repeat(43)}`,
    pending: pending.id,
    approved: approved.id,
    executed: toExecute.id,
    grant,
    grantId: (JSON.parse(Buffer.from(grant.split(".")[1]!, "base64url").toString("utf8")) as { jti: string }).jti,
    revokedApproved: revokedApproved.id,
  };
});

afterAll(async () => {
  await restoreDatabase();
});

// ── calls ─────────────────────────────────────────────────────────────────────────────────────

type Opts = Parameters<typeof apiRequest>[2];
const create = (opts: Opts) => callAgentApi(apiRequest("POST", "/api/v1/requests", opts));
const createJson = (body: unknown, opts: Opts = {}) => create({ key: world.key, body, ...opts });
const createRaw = (rawBody: string, contentType = "application/json", opts: Opts = {}) =>
  create({ key: world.key, rawBody, ...opts, headers: { "content-type": contentType, ...opts.headers } });
const getWithQuery = (query: string, id = world.pending, key = world.key) =>
  callAgentApi(apiRequest("GET", `/api/v1/requests/${id}${query}`, { key }));
const execute = (id: string, key = world.key) => callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/execute`, { key }));
const result = (id: string, opts: Opts) => callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/result`, opts));
const cancel = (id: string, opts: Opts) => callAgentApi(apiRequest("POST", `/api/v1/requests/${id}/cancel`, opts));
const redeem = (opts: Opts, id = world.grantId) => callAgentApi(apiRequest("POST", `/api/v1/grants/${id}/redeem`, opts));
const redeemer = { name: "deploy-gateway" };

/** A POST whose body carries no Content-Type at all (a string body would default to text/plain). */
const untypedRequest = (path: string, text: string) =>
  new Request(`http://countersign.test${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${world.key}` },
    body: new TextEncoder().encode(text),
  });

const body = (over: Record<string, unknown> = {}) => ({ ...requestBody(), ...over });
const without = (field: string) => {
  const b: Record<string, unknown> = body();
  delete b[field];
  return b;
};
const kib = (n: number) => "x".repeat(n * 1024);

type Case = {
  name: string;
  send: () => Promise<Response>;
  status: number;
  code: string;
  /** The exact set of `issues[].path` values; omitted when the error names no field. */
  paths?: string[];
};

const cases: Case[] = [
  // Not JSON, or not a JSON object
  { name: "malformed JSON", send: () => createRaw('{"action": "deploy.service.release",'), status: 400, code: "invalid_json" },
  { name: "JSON followed by garbage", send: () => createRaw("{} trailing"), status: 400, code: "invalid_json" },
  { name: "single-quoted pseudo-JSON", send: () => createRaw("{'action': 'x'}"), status: 400, code: "invalid_json" },
  { name: "empty body", send: () => createRaw(""), status: 400, code: "invalid_request" },
  { name: "JSON array instead of an object", send: () => createJson([body()]), status: 400, code: "invalid_request", paths: [""] },
  { name: "JSON null", send: () => createRaw("null"), status: 400, code: "invalid_request", paths: [""] },
  // Wrong types
  {
    name: "wrong types for every required field",
    send: () => createJson(body({ action: 42, resource: ["svc"], environment: true, intent: { text: "x" } })),
    status: 400,
    code: "invalid_request",
    paths: ["action", "resource", "environment", "intent"],
  },
  { name: "context is an array", send: () => createJson(body({ context: [1, 2] })), status: 400, code: "invalid_request", paths: ["context"] },
  { name: "context is a string", send: () => createJson(body({ context: "rm -rf /" })), status: 400, code: "invalid_request", paths: ["context"] },
  { name: "origin.model is a number", send: () => createJson(body({ origin: { model: 4 } })), status: 400, code: "invalid_request", paths: ["origin.model"] },
  // Missing fields
  { name: "empty object", send: () => createJson({}), status: 400, code: "invalid_request", paths: ["action", "resource", "environment", "intent"] },
  { name: "missing intent", send: () => createJson(without("intent")), status: 400, code: "invalid_request", paths: ["intent"] },
  { name: "blank intent", send: () => createJson(body({ intent: "   " })), status: 400, code: "invalid_request", paths: ["intent"] },
  { name: "empty resource", send: () => createJson(body({ resource: "" })), status: 400, code: "invalid_request", paths: ["resource"] },
  // Unknown fields
  { name: "unknown top-level field", send: () => createJson(body({ approved: true })), status: 400, code: "invalid_request", paths: ["approved"] },
  { name: "two unknown fields", send: () => createJson(body({ status: "approved", risk: 0 })), status: 400, code: "invalid_request", paths: ["status", "risk"] },
  { name: "unknown origin field", send: () => createJson(body({ origin: { run_id: "r1", user: "x" } })), status: 400, code: "invalid_request", paths: ["origin.user"] },
  // Formats
  { name: "action with upper case", send: () => createJson(body({ action: "Deploy.Service" })), status: 400, code: "invalid_request", paths: ["action"] },
  { name: "action without a dot", send: () => createJson(body({ action: "deploy" })), status: 400, code: "invalid_request", paths: ["action"] },
  { name: "action with an empty segment", send: () => createJson(body({ action: "deploy..release" })), status: 400, code: "invalid_request", paths: ["action"] },
  { name: "action with a glob", send: () => createJson(body({ action: "iam.*" })), status: 400, code: "invalid_request", paths: ["action"] },
  { name: "environment with upper case", send: () => createJson(body({ environment: "Production" })), status: 400, code: "invalid_request", paths: ["environment"] },
  { name: "environment with a space", send: () => createJson(body({ environment: "prod env" })), status: 400, code: "invalid_request", paths: ["environment"] },
  { name: "on_behalf_of not an e-mail", send: () => createJson(body({ on_behalf_of: "dana" })), status: 400, code: "invalid_request", paths: ["on_behalf_of"] },
  { name: "callback_url not http(s)", send: () => createJson(body({ callback_url: "javascript:alert(1)" })), status: 400, code: "invalid_request", paths: ["callback_url"] },
  { name: "intent over 4000 characters", send: () => createJson(body({ intent: "x".repeat(4001) })), status: 400, code: "invalid_request", paths: ["intent"] },
  // Sizes
  { name: "body over 256 KiB", send: () => createJson(body({ context: { blob: kib(300) } })), status: 413, code: "payload_too_large" },
  {
    name: "body over 256 KiB by declared Content-Length",
    send: () => createRaw(JSON.stringify(body()), "application/json", { headers: { "content-length": String(300 * 1024) } }),
    status: 413,
    code: "payload_too_large",
  },
  { name: "context over 64 KiB in a body under 256 KiB", send: () => createJson(body({ context: { blob: kib(70) } })), status: 413, code: "payload_too_large", paths: ["context"] },
  { name: "result detail over 256 KiB", send: () => result(world.executed, { key: world.key, body: { status: "succeeded", detail: { log: kib(300) } } }), status: 413, code: "payload_too_large" },
  // Content type
  { name: "text/plain body", send: () => createRaw(JSON.stringify(body()), "text/plain"), status: 415, code: "unsupported_media_type" },
  { name: "form-encoded body", send: () => createRaw("action=deploy.service.release", "application/x-www-form-urlencoded"), status: 415, code: "unsupported_media_type" },
  { name: "no content type", send: () => callAgentApi(untypedRequest("/api/v1/requests", JSON.stringify(body()))), status: 415, code: "unsupported_media_type" },
  { name: "application/jsonp is not JSON", send: () => createRaw(JSON.stringify(body()), "application/jsonp"), status: 415, code: "unsupported_media_type" },
  // Authentication
  { name: "no Authorization header", send: () => create({ body: body() }), status: 401, code: "unauthorized" },
  { name: "Basic instead of Bearer", send: () => create({ body: body(), headers: { authorization: `Basic ${btoa("a:b")}` } }), status: 401, code: "unauthorized" },
  { name: "empty Bearer", send: () => create({ body: body(), headers: { authorization: "Bearer " } }), status: 401, code: "unauthorized" },
  { name: "malformed key", send: () => create({ key: "not-a-countersign-key", body: body() }), status: 401, code: "unauthorized" },
  { name: "unknown key", send: () => create({ key: world.unknownKey, body: body() }), status: 401, code: "unauthorized" },
  { name: "known prefix, wrong secret", send: () => create({ key: world.wrongSecretKey, body: body() }), status: 401, code: "unauthorized" },
  { name: "authentication comes before body checks", send: () => create({ rawBody: "{oops", headers: { "content-type": "application/json" } }), status: 401, code: "unauthorized" },
  { name: "revoked key: create", send: () => create({ key: world.revokedKey, body: body() }), status: 401, code: "agent_revoked" },
  { name: "revoked key: execute its own approval", send: () => execute(world.revokedApproved, world.revokedKey), status: 401, code: "agent_revoked" },
  { name: "unknown key: execute", send: () => execute(world.approved, world.unknownKey), status: 401, code: "unauthorized" },
  // Idempotency-Key
  { name: "Idempotency-Key over 200 characters", send: () => createJson(body(), { headers: { "idempotency-key": "k".repeat(201) } }), status: 400, code: "invalid_request", paths: ["Idempotency-Key"] },
  { name: "Idempotency-Key with a space", send: () => createJson(body(), { headers: { "idempotency-key": "deploy 42" } }), status: 400, code: "invalid_request", paths: ["Idempotency-Key"] },
  { name: "empty Idempotency-Key", send: () => createJson(body(), { headers: { "idempotency-key": "" } }), status: 400, code: "invalid_request", paths: ["Idempotency-Key"] },
  // ?wait
  { name: "wait=61", send: () => getWithQuery("?wait=61"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=-1", send: () => getWithQuery("?wait=-1"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=abc", send: () => getWithQuery("?wait=abc"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=1.5", send: () => getWithQuery("?wait=1.5"), status: 400, code: "invalid_request", paths: ["wait"] },
  // Result bodies (on an executed request, where a valid body would be recorded)
  { name: "result: unknown status", send: () => result(world.executed, { key: world.key, body: { status: "done" } }), status: 400, code: "invalid_request", paths: ["status"] },
  { name: "result: missing status", send: () => result(world.executed, { key: world.key, body: { detail: {} } }), status: 400, code: "invalid_request", paths: ["status"] },
  { name: "result: detail is a string", send: () => result(world.executed, { key: world.key, body: { status: "failed", detail: "boom" } }), status: 400, code: "invalid_request", paths: ["detail"] },
  { name: "result: unknown field", send: () => result(world.executed, { key: world.key, body: { status: "succeeded", exit: 0 } }), status: 400, code: "invalid_request", paths: ["exit"] },
  { name: "result: malformed JSON", send: () => result(world.executed, { key: world.key, rawBody: "{", headers: { "content-type": "application/json" } }), status: 400, code: "invalid_json" },
  { name: "result: no body", send: () => result(world.executed, { key: world.key, headers: { "content-type": "application/json" } }), status: 400, code: "invalid_request" },
  { name: "result: text/plain", send: () => result(world.executed, { key: world.key, rawBody: "succeeded", headers: { "content-type": "text/plain" } }), status: 415, code: "unsupported_media_type" },
  // Cancel bodies (on a pending request, where a valid call would cancel it)
  { name: "cancel: reason is a number", send: () => cancel(world.pending, { key: world.key, body: { reason: 7 } }), status: 400, code: "invalid_request", paths: ["reason"] },
  { name: "cancel: unknown field", send: () => cancel(world.pending, { key: world.key, body: { force: true } }), status: 400, code: "invalid_request", paths: ["force"] },
  { name: "cancel: JSON body without a content type", send: () => callAgentApi(untypedRequest(`/api/v1/requests/${world.pending}/cancel`, '{"reason": 7}')), status: 415, code: "unsupported_media_type" },
  { name: "cancel: text/plain body", send: () => cancel(world.pending, { key: world.key, rawBody: "please", headers: { "content-type": "text/plain" } }), status: 415, code: "unsupported_media_type" },
  // Someone else's request, or none
  { name: "execute another agent's approved request", send: () => execute(world.approved, world.otherKey), status: 403, code: "forbidden" },
  { name: "cancel another agent's pending request", send: () => cancel(world.pending, { key: world.otherKey }), status: 403, code: "forbidden" },
  { name: "result on another agent's executed request", send: () => result(world.executed, { key: world.otherKey, body: { status: "succeeded" } }), status: 403, code: "forbidden" },
  { name: "read another agent's request with wait", send: () => getWithQuery("?wait=5", world.pending, world.otherKey), status: 403, code: "forbidden" },
  { name: "execute an unknown id", send: () => execute("6f1c2d7e-0000-4000-8000-000000000000"), status: 404, code: "not_found" },
  { name: "execute a non-uuid id", send: () => execute("../../agents"), status: 404, code: "not_found" },
  // Redeeming a grant (the valid body would redeem world.grant)
  { name: "redeem: malformed JSON", send: () => redeem({ rawBody: '{"grant":', headers: { "content-type": "application/json" } }), status: 400, code: "invalid_json" },
  { name: "redeem: text/plain", send: () => redeem({ rawBody: world.grant, headers: { "content-type": "text/plain" } }), status: 415, code: "unsupported_media_type" },
  { name: "redeem: no redeemer", send: () => redeem({ body: { grant: world.grant } }), status: 400, code: "invalid_request", paths: ["redeemer"] },
  { name: "redeem: redeemer without a name", send: () => redeem({ body: { grant: world.grant, redeemer: { host: "gw-1" } } }), status: 400, code: "invalid_request", paths: ["redeemer.name"] },
  { name: "redeem: unknown field", send: () => redeem({ body: { grant: world.grant, redeemer, force: true } }), status: 400, code: "invalid_request", paths: ["force"] },
  { name: "redeem: grant is not a JWS", send: () => redeem({ body: { grant: "let-me-in", redeemer } }), status: 400, code: "invalid_grant", paths: ["grant"] },
  {
    name: "redeem: grant with an edited payload",
    send: () => {
      const [h, p, sig] = world.grant.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
      const edited = Buffer.from(JSON.stringify({ ...claims, environment: "staging" })).toString("base64url");
      return redeem({ body: { grant: `${h}.${edited}.${sig}`, redeemer } });
    },
    status: 401,
    code: "invalid_grant_signature",
    paths: ["grant"],
  },
  { name: "redeem: a real grant at an unknown grant id", send: () => redeem({ body: { grant: world.grant, redeemer } }, "6f1c2d7e-0000-4000-8000-000000000000"), status: 404, code: "not_found" },
  { name: "redeem: a non-uuid grant id", send: () => redeem({ body: { grant: world.grant, redeemer } }, "..%2Fagents"), status: 404, code: "not_found" },

  // What would be stored as something other than what was sent (issue 12's corpus, found by a fuzzer)
  { name: "NUL in intent", send: () => createRaw('{"action":"widget.gadget.poke","resource":"r","environment":"sandbox","intent":"a\\u0000b"}'), status: 400, code: "invalid_request", paths: ["intent"] },
  { name: "NUL in resource", send: () => createJson(body({ resource: "svc/a\u0000b" })), status: 400, code: "invalid_request", paths: ["resource"] },
  { name: "NUL in a context value", send: () => createJson(body({ context: { cmd: "rm\u0000-rf" } })), status: 400, code: "invalid_request", paths: ["context.cmd"] },
  { name: "lone surrogate in intent", send: () => createRaw('{"action":"widget.gadget.poke","resource":"r","environment":"sandbox","intent":"\\ud800"}'), status: 400, code: "invalid_request", paths: ["intent"] },
  { name: "lone surrogate as a context key", send: () => createRaw('{"action":"a.b","resource":"r","environment":"e","intent":"i","context":{"\\udc00":1}}'), status: 400, code: "invalid_request", paths: ["context.\udc00"] },
  { name: "lone surrogate in origin.tool", send: () => createRaw('{"action":"a.b","resource":"r","environment":"e","intent":"i","origin":{"tool":"\\udc00x"}}'), status: 400, code: "invalid_request", paths: ["origin.tool"] },
  { name: "context number 1e400", send: () => createRaw('{"action":"a.b","resource":"r","environment":"e","intent":"i","context":{"n":1e400}}'), status: 400, code: "invalid_request", paths: ["context.n"] },
  { name: "context nested 5,000 levels", send: () => createRaw(`{"action":"a.b","resource":"r","environment":"e","intent":"i","context":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`), status: 400, code: "invalid_request", paths: [`context${".a".repeat(31)}`] },
  { name: "duplicate action key", send: () => createRaw('{"action":"vault.prod.purge","resource":"r","environment":"production","intent":"i","action":"metrics.cpu.lookup"}'), status: 400, code: "invalid_request", paths: ["action"] },
  { name: "__proto__ in context", send: () => createRaw('{"action":"a.b","resource":"r","environment":"e","intent":"i","context":{"__proto__":{"a":1},"b":2}}'), status: 400, code: "invalid_request", paths: ["context.__proto__"] },
  { name: "bytes that are not UTF-8", send: () => create({ key: world.key, headers: { "content-type": "application/json" }, bytes: Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }), status: 400, code: "invalid_json" },
  { name: "NUL in a result detail", send: () => result(world.executed, { key: world.key, body: { status: "succeeded", detail: { log: "ok\u0000" } } }), status: 400, code: "invalid_request", paths: ["detail.log"] },
  { name: "1e400 in a result detail", send: () => result(world.executed, { key: world.key, rawBody: '{"status":"succeeded","detail":{"n":1e400}}', headers: { "content-type": "application/json" } }), status: 400, code: "invalid_request", paths: ["detail.n"] },
  { name: "result detail nested 5,000 levels", send: () => result(world.executed, { key: world.key, rawBody: `{"status":"failed","detail":${"[".repeat(5000)}${"]".repeat(5000)}}`, headers: { "content-type": "application/json" } }), status: 400, code: "invalid_request", paths: [`detail${"[0]".repeat(31)}`] },
  { name: "NUL in a cancel reason", send: () => cancel(world.pending, { key: world.key, body: { reason: "no\u0000" } }), status: 400, code: "invalid_request", paths: ["reason"] },
  { name: "wait=1e1", send: () => getWithQuery("?wait=1e1"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=0x10", send: () => getWithQuery("?wait=0x10"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=+5", send: () => getWithQuery("?wait=%2B5"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait= 5", send: () => getWithQuery("?wait=%205"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait=5.0", send: () => getWithQuery("?wait=5.0"), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "wait= (empty)", send: () => getWithQuery("?wait="), status: 400, code: "invalid_request", paths: ["wait"] },
  { name: "bad percent-encoding in an id (execute)", send: () => callAgentApi(apiRequest("POST", "/api/v1/requests/%ff%fe/execute", { key: world.key })), status: 404, code: "not_found" },
  { name: "overlong UTF-8 in an id (get)", send: () => callAgentApi(apiRequest("GET", "/api/v1/requests/%C0%AF", { key: world.key })), status: 404, code: "not_found" },
  { name: "dot segments as an id", send: () => callAgentApi(apiRequest("POST", "/api/v1/requests/%2e%2e/execute", { key: world.key })), status: 404, code: "not_found" },
];

const STACK_FRAME = /\bat\s+\S.*:\d+:\d+|\bat <anonymous>|\w*Error:|node_modules|\.tsx?:\d+/;

describe("bad input changes nothing", () => {
  it.each(cases)("$name → $status $code", async ({ send, status, code, paths }) => {
    const before = await snapshot();
    const res = await send();
    const text = await res.text();

    expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
    const parsed = errorBody.parse(JSON.parse(text));
    expect({ status: res.status, code: parsed.error.code }).toEqual({ status, code });
    expect(parsed.error.message.length).toBeGreaterThan(0);
    if (paths) {
      expect((parsed.error.issues ?? []).map((i) => i.path).sort()).toEqual([...new Set(paths)].sort());
      for (const issue of parsed.error.issues ?? []) expect(issue.message.length).toBeGreaterThan(0);
    }
    expect(text).not.toMatch(STACK_FRAME);
    for (const secret of [world.key, world.otherKey, world.revokedKey, world.wrongSecretKey, world.grant]) expect(text).not.toContain(secret);
    if (status === 429) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);

    expect(await snapshot()).toEqual(before);
  });

  it("the snapshot sees writes (control: a valid create and a valid cancel change it)", async () => {
    const before = await snapshot();
    const res = await createJson(body({ resource: "svc/control" }));
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const created = await snapshot();
    expect(created).toMatchObject({ requests: before.requests + 1, reviews: before.reviews, audit_events: before.audit_events + 1 });
    expect((await cancel(id, { key: world.key })).status).toBe(200);
    const cancelled = await snapshot();
    expect(cancelled).toMatchObject({ requests: created.requests, audit_events: created.audit_events + 1 });
    expect(cancelled.last_request_update).not.toBe(created.last_request_update);
  });

  it("the fixtures are still in the states the bad calls would have changed", async () => {
    // Guards the table: each target is still what a valid call would have moved on.
    const states = await Promise.all(
      [world.pending, world.approved, world.executed].map(async (id) => {
        const res = await getWithQuery("", id);
        return ((await res.json()) as { status: string; result: unknown }).status;
      }),
    );
    expect(states).toEqual(["pending", "approved", "executed"]);
    const res = await getWithQuery("", world.executed);
    expect(((await res.json()) as { result: unknown }).result).toBeNull();
    // …and the grant still redeems (once): the bad calls left it as it was.
    expect((await redeem({ body: { grant: world.grant, redeemer } })).status).toBe(200);
    expect((await redeem({ body: { grant: world.grant, redeemer } })).status).toBe(409);
  });
});
