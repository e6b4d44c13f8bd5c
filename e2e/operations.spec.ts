// Operations through a real `npm start` (issue 15): the agent API's direct path exports a span that
// continues the agent's traceparent with the request id, to a local OTLP/HTTP receiver (the JSON
// the real exporter sends, decoded here); /api/metrics answers the token holder only, with every
// series; /api/health/ready turns 503 when the sealer is held back (its advisory lock taken by
// this test, as a stuck sealer would hold it) and when the database stops taking connections, and
// back to 200 after, while /api/health/live stays 200 throughout.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import postgres from "postgres";
import {
  createAgentWithCli,
  createTestDatabase,
  NEXT_START_ARGS,
  PG_ADMIN_URL,
  sleep,
  startServers,
  stopServers,
  type AppServer,
  type RegisteredAgent,
  type TestDatabase,
} from "./support/servers";

test.describe.configure({ mode: "serial" });

const METRICS_TOKEN = "e2e-metrics-token-0123456789abcdefghijklmnop";
type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: { stringValue?: string; intValue?: string } }[] };

let database: TestDatabase;
let server: AppServer;
let agent: RegisteredAgent;
let receiver: http.Server;
const exported: OtlpSpan[] = [];

test.beforeAll(async () => {
  test.setTimeout(180_000);
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      if (req.url === "/v1/traces") exported.push(...body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  database = await createTestDatabase({ prefix: "countersign_e2e_ops" });
  [server] = (await startServers(1, {
    databaseUrl: database.url,
    names: ["npm start"],
    env: {
      COUNTERSIGN_METRICS_TOKEN: METRICS_TOKEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS: "2",
      COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "5",
    },
  })) as [AppServer];
  agent = await createAgentWithCli(database.url);
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && server) await testInfo.attach("server.log", { body: server.output(), contentType: "text/plain" });
});

test.afterAll(async () => {
  try {
    if (server) await stopServers([server]);
  } finally {
    await database?.drop();
    await new Promise((resolve) => receiver?.close(resolve));
  }
});

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

async function fileRequest(headers: Record<string, string> = {}): Promise<{ id: string; action: string }> {
  const res = await fetch(`${server.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ action: "deploy.service.release", resource: "svc/ops", environment: "production", intent: "Operations spec" }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; action: string };
}

async function readiness(): Promise<{ status: number; checks: Record<string, { ok: boolean; detail?: string }> }> {
  const res = await fetch(`${server.url}/api/health/ready`);
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> }).checks };
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("an agent call's span continues its traceparent and carries the request id", async () => {
  const traceId = hex(16);
  const parent = hex(8);
  const created = await fileRequest({ traceparent: `00-${traceId}-${parent}-01` });
  const span = await eventually("the exported span", 15_000, async () => exported.find((s) => s.traceId === traceId));
  expect(span.name).toBe("POST /api/v1/requests");
  expect(span.parentSpanId).toBe(parent);
  const attr = (key: string) => span.attributes?.find((a) => a.key === key)?.value.stringValue;
  expect(attr("countersign.request.id")).toBe(created.id);
  expect(attr("gen_ai.tool.call.id")).toBe(created.id);
  expect(attr("gen_ai.tool.name")).toBe(created.action);
});

test("/api/metrics answers the token holder only, with every series; a refusal on the direct agent-API path is counted in Next's scrape", async () => {
  // Another agent (its own budget of 5 a minute) is refused on server.ts's direct path.
  const greedy = await createAgentWithCli(database.url);
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    statuses.push((await fetch(`${server.url}/api/v1/requests/${crypto.randomUUID()}`, { headers: { authorization: `Bearer ${greedy.key}` } })).status);
  }
  expect(statuses).toContain(429);
  for (const authorization of [undefined, "Bearer nope", `Bearer ${METRICS_TOKEN.toUpperCase()}`]) {
    const res = await fetch(`${server.url}/api/metrics`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
  }
  const res = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const text = await res.text();
  for (const name of [
    "countersign_requests",
    "countersign_requests_pending",
    "countersign_decision_latency_seconds",
    "countersign_wake_latency_seconds",
    "countersign_outbox_lag_seconds",
    "countersign_outbox_dead_deliveries",
    "countersign_audit_sealer_lag_seconds",
    "countersign_audit_chain_verified_seq",
    "countersign_rate_limit_refusals_total",
  ]) {
    expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, "m"));
  }
  expect(text).toMatch(/^countersign_requests_pending [1-9]/m);
  const refusals = Number(/^countersign_rate_limit_refusals_total\{limit="requests"\} (\d+)/m.exec(text)?.[1]);
  expect(refusals).toBe(statuses.filter((s) => s === 429).length);
});

test("ready flips to 503 while the sealer is held back, and back once it runs; live stays 200", async () => {
  await eventually("ready", 10_000, async () => ((await readiness()).status === 200 ? true : undefined));
  const admin = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    // Hold the sealer's advisory lock, as a stuck sealer would: new events stay unsealed.
    const held = admin.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7214002)`;
      await fileRequest();
      const behind = await eventually("not ready", 15_000, async () => {
        const r = await readiness();
        return r.status === 503 ? r : undefined;
      });
      expect(behind.checks.sealer?.ok).toBe(false);
      expect(behind.checks.sealer?.detail).toMatch(/oldest unsealed audit event is \d+ s old \(limit 2 s\)/);
      expect(behind.checks.database?.ok).toBe(true);
      expect((await fetch(`${server.url}/api/health/live`)).status).toBe(200);
    });
    await held;
    await eventually("ready again", 15_000, async () => ((await readiness()).status === 200 ? true : undefined));
  } finally {
    await admin.end({ timeout: 5 });
  }
});

test("ready flips to 503 while the database refuses connections; live stays 200; ready again after", async () => {
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  let allowed = false;
  try {
    await admin.unsafe(`alter database ${database.name} allow_connections false`);
    await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database.name}' and pid <> pg_backend_pid()`);
    const down = await eventually("not ready", 15_000, async () => {
      const r = await readiness();
      return r.status === 503 ? r : undefined;
    });
    expect(down.checks.database).toEqual({ ok: false, detail: "the database is not answering" });
    const live = await fetch(`${server.url}/api/health/live`);
    expect(live.status).toBe(200);
    await admin.unsafe(`alter database ${database.name} allow_connections true`);
    allowed = true;
    await eventually("ready again", 20_000, async () => ((await readiness()).status === 200 ? true : undefined));
  } finally {
    if (!allowed) await admin.unsafe(`alter database ${database.name} allow_connections true`).catch(() => undefined);
    await admin.end({ timeout: 5 });
  }
});

test("under `next start` too (the agent API through Next's route), a call's span continues its traceparent", async () => {
  test.setTimeout(120_000);
  const [nextStart] = await startServers(1, {
    databaseUrl: database.url,
    names: ["next start"],
    args: NEXT_START_ARGS,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
  try {
    const traceId = hex(16);
    const parent = hex(8);
    const res = await fetch(`${nextStart!.url}/api/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json", traceparent: `00-${traceId}-${parent}-01` },
      body: JSON.stringify({ action: "deploy.service.release", resource: "svc/ops", environment: "production", intent: "Operations spec, next start" }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string };
    const span = await eventually("the exported span", 15_000, async () => exported.find((s) => s.traceId === traceId && s.name === "POST /api/v1/requests"));
    expect(span.parentSpanId).toBe(parent);
    expect(span.attributes?.find((a) => a.key === "countersign.request.id")?.value.stringValue).toBe(created.id);
  } finally {
    await stopServers([nextStart!]);
  }
});
