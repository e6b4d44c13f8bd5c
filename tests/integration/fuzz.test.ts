// Property-based fuzzing of every agent endpoint (issue 12) and the reviewer API's: ≥ 10,000
// generated calls per run — any method, path, id, query, headers (agent keys and reviewer tokens)
// and body, from valid-looking to hostile bytes — and for each: never a 5xx, always the JSON
// envelope (an event stream only on a 200 for /events), and a refusal changes nothing in the
// database. The corpus runs as fixed cases in bad-input.test.ts;
// here its shapes (NUL, lone surrogates, 1e400, deep nesting, duplicate and __proto__ keys, bad
// percent-encoding) are among the generators' building blocks.
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { revokeAgent } from "@/lib/agents/registry";
import { resetEnvCache } from "@/lib/config/env";
import { claimApproval, createRequest } from "@/lib/requests/lifecycle";
import { errorBody } from "@/lib/requests/schema";
import { usePrivateDatabase } from "../support/dedicated-db";
import { createReviewerToken } from "@/lib/auth/reviewer-tokens";
import { callAgentApi, makeAgent, personOf, requestBody, reviewer, TEST_ACTOR, viewerAs } from "../support/fixtures";

const RUNS = 10_000;

// ── the database must not change on a refusal ────────────────────────────────────────────────

async function snapshot(): Promise<string> {
  const db = await getDb();
  const result = await db.execute(sql`
    select (select count(*) from requests)::int as requests,
           (select count(*) from reviews)::int as reviews,
           (select count(*) from audit_events)::int as audit_events,
           (select max(updated_at) from requests)::text as last_request_update,
           (select count(*) from grants)::int as grants,
           (select count(*) from grants where redeemed_at is not null)::int as grants_redeemed`);
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as unknown[];
  return JSON.stringify(rows[0]);
}

// ── the world the calls land in ──────────────────────────────────────────────────────────────

type World = { keys: string[]; ids: string[]; grants: { id: string; token: string }[] };
let world: World;
let restore: () => Promise<void> = async () => {};
const savedLimit = process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;

beforeAll(async () => {
  // The rate limit would answer most calls 429 and hide the handlers behind it (it has its own tests).
  process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = "100000000";
  resetEnvCache();
  resetRateLimitForTests();
  restore = await usePrivateDatabase();
  const a = await makeAgent();
  const b = await makeAgent();
  const c = await makeAgent();
  const pending = (await createRequest(a.agent, requestBody())).request;
  const approved = (await createRequest(a.agent, requestBody({ action: "logs.service.read" }))).request;
  const executed = (await createRequest(a.agent, requestBody({ action: "metrics.service.read" }))).request;
  const { grant } = await claimApproval(a.agent, executed.id);
  const theirs = (await createRequest(c.agent, requestBody({ action: "logs.service.read" }))).request;
  await revokeAgent(c.agent.id, TEST_ACTOR);
  const jti = (JSON.parse(Buffer.from(grant.split(".")[1]!, "base64url").toString("utf8")) as { jti: string }).jti;
  // Reviewers' personal tokens for the reviewer routes: one that may decide, one that only reads.
  const fuzzer = reviewer("fuzz-reviewer", ["platform-oncall"]);
  const viewer = { ...(await viewerAs(fuzzer)), personId: await personOf(fuzzer) };
  const decide = (await createReviewerToken(viewer, { name: "fuzz", scopes: ["read", "decide"] })).token;
  const readOnly = (await createReviewerToken(viewer, { name: "fuzz-read", scopes: ["read"] })).token;
  world = {
    keys: [a.key, b.key, c.key, `cs_zzzzzzzzzzzz_${"A".repeat(43)}`, a.key.slice(0, -1) + (a.key.endsWith("A") ? "B" : "A"), decide, readOnly],
    ids: [pending.id, approved.id, executed.id, theirs.id],
    grants: [{ id: jti, token: grant }],
  };
}, 120_000);

afterAll(async () => {
  if (savedLimit === undefined) delete process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
  else process.env.COUNTERSIGN_RATE_LIMIT_PER_MINUTE = savedLimit;
  resetEnvCache();
  resetRateLimitForTests();
  await restore();
});

// ── generators ───────────────────────────────────────────────────────────────────────────────

/** Text with the characters that broke the door before: NUL, lone surrogates, controls, bidi, emoji. */
const nastyChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("\u0000", "\ud800", "\udc00", "\udbff\udfff", "\u202e", "\ufeff", "\n", "\r", "\t", "\\", '"', "=", "+", "-", "@", "%", "😀") },
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 24 });

/** Any JSON-ish value, with non-finite and huge numbers, and nesting past the limit. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, true, false, null),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom("__proto__", "constructor", "")), tie("v"), { maxKeys: 4 }),
  ),
})).v;

const deep = fc.integer({ min: 20, max: 2000 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`);

/** `arb` one time in `n`, else null. */
const sometimes = <T,>(arb: fc.Arbitrary<T>, n: number) => fc.oneof({ arbitrary: fc.constant(null), weight: n - 1 }, { arbitrary: arb, weight: 1 });

/** Usually the valid value, sometimes anything. */
const mostly = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: fc.oneof(nastyString, value), weight: 1 });

const createBody = fc
  .record(
    {
      action: mostly(fc.constantFrom("deploy.service.release", "logs.service.read", "metrics.service.read", "iam.role.edit", "widget.gadget.poke")),
      resource: mostly(fc.constantFrom("svc/payments-api", "db/orders")),
      environment: mostly(fc.constantFrom("production", "staging", "sandbox")),
      intent: mostly(fc.constantFrom("Release v2", "Rotate the signing keys", "Ünïcödé ✓ intent")),
      context: mostly(fc.dictionary(nastyString, value, { maxKeys: 4 })),
      origin: mostly(fc.record({ tool: nastyString, model: nastyString, run_id: nastyString }, { requiredKeys: [] })),
      on_behalf_of: mostly(fc.constant("dana@acme.test")),
      callback_url: mostly(fc.constant("https://hooks.acme.test/cb")),
      approved: value,
    },
    { requiredKeys: ["action", "resource", "environment", "intent"] },
  )
  .chain((o) => fc.subarray(Object.keys(o), { minLength: Math.max(0, Object.keys(o).length - 1) }).map((keys) => Object.fromEntries(keys.map((k) => [k, o[k as keyof typeof o]])))); // sometimes a field goes missing
const resultBody = fc.record({ status: mostly(fc.constantFrom("succeeded", "failed")), detail: value, exit: value }, { requiredKeys: ["status"] });
const cancelBody = fc.record({ reason: mostly(nastyString), force: value }, { requiredKeys: [] });
const redeemBody = fc.record(
  { grant: mostly(fc.constant("GRANT")), redeemer: mostly(fc.record({ name: nastyString, host: nastyString }, { requiredKeys: ["name"] })), force: value },
  { requiredKeys: ["grant", "redeemer"] },
);
const decisionBody = fc.record({ note: mostly(nastyString), extra: value }, { requiredKeys: [] });
const json = (o: fc.Arbitrary<unknown>) => o.map((v) => (JSON.stringify(v) ?? "undefined").replace('"GRANT"', JSON.stringify(world.grants[0]!.token)));

/** Hostile bodies for any endpoint: any JSON, JSON text with tricks, deep nesting, raw bytes, none. */
const anyBody = fc.oneof(
  { arbitrary: json(value), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '{"action":"a.b","resource":"r","environment":"e","intent":"i","action":"c.d"}',
      '{"action":"a.b","resource":"r","environment":"e","intent":"\\ud800"}',
      '{"action":"a.b","resource":"r","environment":"e","intent":"a\\u0000b"}',
      '{"action":"a.b","resource":"r","environment":"e","intent":"i","context":{"n":1e400}}',
      '{"action":"a.b","resource":"r","environment":"e","intent":"i","context":{"__proto__":{"a":1},"b":2}}',
      '{"status":"succeeded","detail":{"n":-1e400}}',
      '{"reason":"x","reason":"y"}',
      "{",
      "[]",
      "null",
      "\ufeff{}",
    ),
    weight: 2,
  },
  { arbitrary: deep.map((d) => `{"action":"a.b","resource":"r","environment":"e","intent":"i","context":${d}}`), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

const pctBytes = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0")}`).join(""));
const id = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 3 }).map((i) => world.ids[i]!), weight: 8 },
  { arbitrary: fc.uuid(), weight: 1 },
  { arbitrary: pctBytes, weight: 1 },
  { arbitrary: fc.constantFrom("%2e%2e", "..", ".", "%C0%AF", "%00", "%ff%fe", "a%2Fb", "%", "%zz", "00000000-0000-0000-0000-000000000000"), weight: 1 },
  { arbitrary: nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x"))), weight: 1 },
);
const grantId = fc.oneof({ arbitrary: fc.constant("GRANT_ID"), weight: 4 }, { arbitrary: id, weight: 1 });
const wait = fc.oneof(
  { arbitrary: fc.constant(""), weight: 4 },
  { arbitrary: fc.oneof(fc.integer({ min: -3, max: 70 }).map(String), fc.constantFrom("", "1e1", "0x10", "%2B5", "%205", "5.0", "1", "%ff", "NaN")).map((w) => `?wait=${w}`), weight: 2 },
  { arbitrary: fc.constantFrom("?wait=1&wait=2", "?x=%ff", "?%ff=1"), weight: 1 },
);

/** The documented operations, each with its own method, path and body shape. */
const operation = fc.oneof(
  { arbitrary: fc.record({ method: fc.constant("POST"), path: fc.constant("/api/v1/requests"), body: json(createBody) }), weight: 5 },
  { arbitrary: fc.record({ method: fc.constant("GET"), path: fc.tuple(id, wait).map(([i, q]) => `/api/v1/requests/${i}${q}`), body: fc.constant(undefined) }), weight: 2 },
  { arbitrary: fc.record({ method: fc.constant("GET"), path: id.map((i) => `/api/v1/requests/${i}/events`), body: fc.constant(undefined) }), weight: 1 },
  { arbitrary: fc.record({ method: fc.constant("POST"), path: id.map((i) => `/api/v1/requests/${i}/execute`), body: fc.constant(undefined) }), weight: 2 },
  { arbitrary: fc.record({ method: fc.constant("POST"), path: id.map((i) => `/api/v1/requests/${i}/result`), body: json(resultBody) }), weight: 2 },
  { arbitrary: fc.record({ method: fc.constant("POST"), path: id.map((i) => `/api/v1/requests/${i}/cancel`), body: sometimes(json(cancelBody), 2).map((b) => b ?? undefined) }), weight: 2 },
  { arbitrary: fc.record({ method: fc.constant("POST"), path: grantId.map((i) => `/api/v1/grants/${i}/redeem`), body: json(redeemBody) }), weight: 2 },
  { arbitrary: fc.record({ method: fc.constant("GET"), path: fc.constant("/api/v1/reviews"), body: fc.constant(undefined) }), weight: 1 },
  { arbitrary: fc.record({ method: fc.constant("GET"), path: id.map((i) => `/api/v1/reviews/${i}`), body: fc.constant(undefined) }), weight: 1 },
  {
    arbitrary: fc.record({
      method: fc.constant("POST"),
      path: fc.tuple(id, fc.constantFrom("approve", "deny")).map(([i, v]) => `/api/v1/reviews/${i}/${v}`),
      body: sometimes(json(decisionBody), 4).map((b) => b ?? undefined),
    }),
    weight: 2,
  },
);
const strayPath = fc.oneof(
  fc.array(fc.oneof(pctBytes, fc.constantFrom("requests", "grants", "redeem", "reviews", "approve", "v1", "..", "%2e%2e", "")), { maxLength: 4 }).map((s) => `/api/v1/${s.join("/")}`),
  fc.tuple(id, fc.constantFrom("nope", "", "execute/x", "events/")).map(([i, op]) => `/api/v1/requests/${i}/${op}`),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 8 },
  { arbitrary: fc.constantFrom(undefined, "text/plain", "application/json; charset=utf-16", "application/jsonp", "APPLICATION/JSON", "multipart/form-data; boundary=x"), weight: 2 },
);
const headers = fc.record({
  key: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 4 }, { arbitrary: fc.constant(-1), weight: 1 }),
  contentType,
  idempotencyKey: sometimes(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/), nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, ""))), 4),
});
/** A documented call, then (sometimes) the wrong method, a stray path or a hostile body. */
const call = fc
  .record({
    op: operation,
    method: sometimes(fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), 8),
    path: sometimes(strayPath, 10),
    body: sometimes(anyBody, 5),
    headers,
  })
  .map(({ op, method, path, body, headers }) => ({
    method: method ?? op.method,
    path: path ?? op.path,
    body: body === null ? op.body : body,
    headers,
  }));

// ── the property ─────────────────────────────────────────────────────────────────────────────

type Call = { method: string; path: string; headers: { key: number; contentType: string | undefined; idempotencyKey: string | null }; body: string | Uint8Array | undefined };

function toRequest(c: Call): Request {
  const h = new Headers();
  if (c.headers.key >= 0) h.set("authorization", `Bearer ${world.keys[c.headers.key]}`);
  if (c.headers.contentType) h.set("content-type", c.headers.contentType);
  if (c.headers.idempotencyKey !== null) h.set("idempotency-key", c.headers.idempotencyKey);
  const withBody = c.body !== undefined && c.method !== "GET" && c.method !== "HEAD";
  const url = `http://countersign.test${c.path.replace("GRANT_ID", world.grants[0]!.id)}`;
  // Long-polls and streams are cut short by the client, as a hurried agent would.
  return new Request(url, { method: c.method, headers: h, body: withBody ? (c.body as BodyInit) : undefined, signal: AbortSignal.timeout(150) });
}

const seen = { total: 0, byStatus: {} as Record<number, number> };

describe("fuzzing every agent endpoint", () => {
  it(`${RUNS} generated calls: no 5xx, always the envelope, refusals change nothing`, async () => {
    let before = await snapshot();
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const res = await callAgentApi(toRequest(c));
        seen.total += 1;
        seen.byStatus[res.status] = (seen.byStatus[res.status] ?? 0) + 1;
        expect(res.status).toBeLessThan(500);
        const type = res.headers.get("content-type") ?? "";
        if (res.status === 200 && type.startsWith("text/event-stream")) {
          expect(c.path).toMatch(/\/events\/?$/); // the router is not strict about a trailing slash
          await res.body?.cancel();
        } else {
          expect(type).toMatch(/^application\/json/);
          const parsed: unknown = JSON.parse(await res.text());
          if (res.status >= 400) errorBody.parse(parsed);
        }
        const after = await snapshot();
        if (res.status >= 400) expect(after).toBe(before);
        before = after;
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
    );
    console.info(`fuzz: ${seen.total} calls by status ${JSON.stringify(seen.byStatus)}`);
    expect(seen.total).toBeGreaterThanOrEqual(RUNS);
    // The generators reach past the door: successes and each kind of refusal occur.
    for (const status of [200, 201, 400, 401, 403, 404, 405, 409, 415]) expect(seen.byStatus[status] ?? 0, `status ${status}`).toBeGreaterThan(0);
  }, 600_000);
});
