// Operations (issue 15): GET /api/metrics exposes every named series and refuses without the token;
// GET /api/health/ready flips to 503 with reasons when the database stops, when migrations are
// missing and when the sealer falls behind, while /api/health/live stays 200.
import { sql } from "drizzle-orm";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as live } from "@/app/api/health/live/route";
import { GET as ready } from "@/app/api/health/ready/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { insertAuditEvents } from "@/db/queries/audit";
import { resetRateLimitForTests } from "@/lib/agents/rate-limit";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { resetEnvCache } from "@/lib/config/env";
import { createRequest } from "@/lib/requests/lifecycle";
import { ADMIN_URL } from "../setup/postgres-global";
import { createDedicatedDatabase, onPostgres, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { apiRequest, callAgentApi, decideAs, makeAgent, oncall, requestBody } from "../support/fixtures";

const TOKEN = "metrics-token-for-tests-0123456789abcdef";
const VARIABLES = ["COUNTERSIGN_METRICS_TOKEN", "COUNTERSIGN_RATE_LIMIT_PER_MINUTE", "COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS"] as const;
const saved = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));

function setEnv(values: Partial<Record<(typeof VARIABLES)[number], string | undefined>>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvCache();
}

const scrape = (authorization?: string) =>
  metricsRoute(new Request("http://countersign.test/api/metrics", { headers: authorization ? { authorization } : {} }), undefined as never);

/** The sample's value in an exposition (the line `name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let db: DedicatedDatabase;
let restore: () => void;

beforeAll(async () => {
  db = await createDedicatedDatabase();
  restore = await pointAppAt(db.handle);
});
afterAll(async () => {
  await waitForSealerIdle();
  restore();
  await db.drop();
  setEnv(saved);
  resetRateLimitForTests();
});
afterEach(() => setEnv(saved));

describe("GET /api/metrics", () => {
  it("does not exist (404, the JSON envelope) while no token is configured", async () => {
    setEnv({ COUNTERSIGN_METRICS_TOKEN: undefined });
    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("refuses a missing, wrong, truncated, extended or non-Bearer token with 401 and no metrics", async () => {
    setEnv({ COUNTERSIGN_METRICS_TOKEN: TOKEN });
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`]) {
      const res = await scrape(authorization);
      expect(res.status, String(authorization)).toBe(401);
      const text = await res.text();
      expect(text).not.toContain("countersign_requests");
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
  });

  it("exposes every named series, with the traffic just made", async () => {
    setEnv({ COUNTERSIGN_METRICS_TOKEN: TOKEN, COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1" });
    resetRateLimitForTests();
    const a = await makeAgent();
    // A long-poll woken by a decision: one decision latency and one wake observed.
    const { request } = await createRequest(a.agent, requestBody());
    const polled = callAgentApi(apiRequest("GET", `/api/v1/requests/${request.id}?wait=20`, { key: a.key }));
    await sleep(300);
    await decideAs(request.id, oncall(), "approve", "ok", "console");
    expect((await polled).status).toBe(200);
    // Two pending requests of another risk; then the agent's one call a minute is spent: a refusal.
    await createRequest(a.agent, requestBody({ environment: "staging" }));
    await createRequest(a.agent, requestBody({ environment: "staging" }));
    const limited = await callAgentApi(apiRequest("POST", "/api/v1/requests", { key: a.key, body: requestBody() }));
    expect(limited.status).toBe(429);
    // One delivery given up on, one overdue.
    await db.handle.db.execute(sql`insert into notification_outbox (event_id, request_id, kind, target, payload, status, next_attempt_at, created_at)
      values (gen_random_uuid(), ${request.id}, 'webhook', 'https://hooks.test/a', '{}'::jsonb, 'dead', now(), now()),
             (gen_random_uuid(), ${request.id}, 'webhook', 'https://hooks.test/b', '{}'::jsonb, 'pending', now() - interval '90 seconds', now())`);
    await waitForSealerIdle();
    await sealPendingAuditEvents();

    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const [name, type] of [
      ["countersign_requests", "gauge"],
      ["countersign_requests_pending", "gauge"],
      ["countersign_decision_latency_seconds", "histogram"],
      ["countersign_wake_latency_seconds", "histogram"],
      ["countersign_outbox_lag_seconds", "gauge"],
      ["countersign_outbox_dead_deliveries", "gauge"],
      ["countersign_audit_sealer_lag_seconds", "gauge"],
      ["countersign_audit_chain_verified_seq", "gauge"],
      ["countersign_rate_limit_refusals_total", "counter"],
    ]) {
      expect(text, name).toContain(`# TYPE ${name} ${type}`);
    }
    expect(sample(text, `countersign_requests{status="approved",risk="${request.risk.level}"}`)).toBe(1);
    expect(sample(text, `countersign_requests{status="pending",risk="medium"}`)).toBe(2);
    expect(sample(text, "countersign_requests_pending")).toBe(2);
    expect(sample(text, 'countersign_requests{status="executed",risk="low"}')).toBe(0); // zeros are reported too
    expect(sample(text, 'countersign_decision_latency_seconds_count{outcome="approved"}')).toBe(1);
    expect(sample(text, "countersign_wake_latency_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "countersign_wake_latency_seconds_sum")).toBeLessThan(5);
    expect(sample(text, 'countersign_rate_limit_refusals_total{limit="requests"}')).toBe(1);
    expect(sample(text, "countersign_outbox_dead_deliveries")).toBe(1);
    expect(sample(text, "countersign_outbox_lag_seconds")).toBeGreaterThanOrEqual(89);
    expect(sample(text, "countersign_audit_sealer_lag_seconds")).toBe(0);
    expect(sample(text, "countersign_audit_chain_verified_seq")).toBeGreaterThan(0);
    expect(sample(text, "countersign_scrape_database_up")).toBe(1);
  });
});

describe("GET /api/health/live and /api/health/ready", () => {
  const readiness = async () => {
    const res = await ready();
    return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> } };
  };

  it("ready with every check passing", async () => {
    await waitForSealerIdle();
    await sealPendingAuditEvents();
    const { status, body } = await readiness();
    expect(body.checks).toMatchObject({ database: { ok: true }, migrations: { ok: true }, policy: { ok: true }, sealer: { ok: true }, draining: { ok: true } });
    expect(status).toBe(200);
    expect(body.status).toBe("ready");
  });

  it("not ready while the sealer is behind by more than the limit; ready again once it catches up", async () => {
    setEnv({ COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS: "1" });
    await waitForSealerIdle();
    // An event written without the commit hook that kicks the sealer: as if the sealer had stopped.
    await db.handle.db.transaction((tx) =>
      insertAuditEvents(tx, [auditEvent({ type: "policy.loaded", actor: SYSTEM_ACTOR, channel: "system", at: new Date(), payload: { test: "sealer stopped" } })]),
    );
    expect((await readiness()).status).toBe(200); // within the limit
    await sleep(1_300);
    const behind = await readiness();
    expect(behind.status).toBe(503);
    expect(behind.body.status).toBe("not_ready");
    expect(behind.body.checks.sealer).toMatchObject({ ok: false, detail: expect.stringMatching(/oldest unsealed audit event is \d+ s old \(limit 1 s\)/) });
    expect(behind.body.checks.database?.ok).toBe(true);
    expect((await live()).status).toBe(200);
    await sealPendingAuditEvents();
    expect((await readiness()).status).toBe(200);
  });

  it("not ready while a migration this build ships is missing from the database", async () => {
    const other = await createDedicatedDatabase();
    const back = await pointAppAt(other.handle);
    try {
      await other.handle.db.execute(sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`);
      const { status, body } = await readiness();
      expect(status).toBe(503);
      expect(body.checks.migrations).toMatchObject({ ok: false, detail: expect.stringMatching(/^\d+ of \d+ migrations applied$/) });
    } finally {
      back();
      await other.drop();
    }
  });

  it("not ready (and saying only that the database is not answering) when the database stops; live stays 200; ready again when it is back", async () => {
    const other = await createDedicatedDatabase();
    const back = await pointAppAt(other.handle);
    const admin = onPostgres ? postgres(ADMIN_URL, { max: 1, onnotice: () => {} }) : undefined;
    try {
      expect((await readiness()).status).toBe(200);
      if (admin) {
        // PostgreSQL: the database refuses connections and the app's are cut, as when it stops.
        await admin.unsafe(`alter database ${other.name} with allow_connections false`);
        await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${other.name}'`);
      } else {
        // PGlite: the embedded database is closed under the app.
        await other.handle.close();
      }
      const down = await readiness();
      expect(down.status).toBe(503);
      expect(down.body.checks.database).toEqual({ ok: false, detail: "the database is not answering" });
      expect(JSON.stringify(down.body)).not.toMatch(/127\.0\.0\.1|5432|ECONNREFUSED|password/);
      const alive = await live();
      expect(alive.status).toBe(200);
      expect(await alive.json()).toEqual({ status: "live" });
      if (admin) {
        await admin.unsafe(`alter database ${other.name} with allow_connections true`);
        let again = 0;
        for (let i = 0; i < 50 && again !== 200; i++) {
          again = (await readiness()).status;
          if (again !== 200) await sleep(100);
        }
        expect(again).toBe(200);
      }
    } finally {
      back();
      if (admin) {
        await admin.unsafe(`alter database ${other.name} with allow_connections true`).catch(() => {});
        await admin.end({ timeout: 5 });
      }
      await other.drop().catch(() => {}); // PGlite: closed above already
    }
  });
});
