// Faults (issue 12), against real `npm start` processes on real PostgreSQL:
// - kill -9 of a server under create load, then a restart on the same database: no answered 201
//   lost (request and its audit event), the audit chain verifies, no outbox row lost or sent again
//   after it was recorded delivered, and retried idempotent creates replay rather than duplicate;
// - a PostgreSQL restart (a private server, never the shared one) while agents hold long-polls and
//   event streams: clean retryable answers or resumed streams, bounded in time, and the same server
//   process serves, wakes, seals and delivers afterwards;
// - the disk under a table filling up while the server runs: 503 unavailable, then recovery;
// - start-up against a refused connection or a full disk: one clear message, exit 1.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, test, type TestInfo } from "@playwright/test";
import postgres from "postgres";
import { closeDatabase, getDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { recordIdentity } from "@/lib/auth/people";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { decideRequest } from "@/lib/requests/lifecycle";
import type { RequestView } from "@/lib/requests/schema";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import { startPrivatePostgres, type PrivatePostgres } from "./support/private-postgres";
import {
  createAgentWithCli,
  createTestDatabase,
  freePort,
  killServer,
  runCliJson,
  serverEnv,
  sleep,
  START_ARGS,
  startProcess,
  startServers,
  stopServer,
  TEST_POLICY,
  type AppServer,
  type RegisteredAgent,
} from "./support/servers";

test.describe.configure({ mode: "serial" });

/** Every server here: no rate limit in the way of the load, an outbox lease short enough to re-claim soon after a kill yet longer than a slow send on a loaded machine (2 s let deliveries lapse and go twice). */
const FAULT_ENV = { COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1000000", COUNTERSIGN_OUTBOX_LEASE_MS: "8000", COUNTERSIGN_OUTBOX_INTERVAL_MS: "200" };

const servers: AppServer[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    for (const s of servers) await testInfo.attach(`server-${s.name}.log`, { body: s.output(), contentType: "text/plain" });
  }
  for (const s of servers.splice(0)) await stopServer(s, { expectCleanExit: false }).catch(() => undefined);
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

/**
 * A webhook receiver that answers 200 after `delayMs` and records every delivery's event id, with
 * when it arrived (`arrived`) and when it was answered (`at`).
 */
async function startReceiver(delayMs: number) {
  const deliveries: { eventId: string; arrived: number; at: number }[] = [];
  const server = http.createServer((req, res) => {
    const arrived = performance.now();
    req.resume();
    req.on("end", () => {
      setTimeout(() => {
        deliveries.push({ eventId: String(req.headers["countersign-event-id"]), arrived, at: performance.now() });
        res.writeHead(200).end();
      }, delayMs);
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${port}/hook`, deliveries };
}

const agentHeaders = (agent: RegisteredAgent, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${agent.key}`,
  "content-type": "application/json",
  ...extra,
});

function createBody(i: number, callbackUrl?: string) {
  return JSON.stringify({
    action: "deploy.service.release",
    resource: `svc/fault-${i}`,
    environment: "staging",
    intent: `Roll out release ${i}.`,
    context: { i },
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
  });
}

async function fileRequest(server: AppServer, agent: RegisteredAgent, i: number, callbackUrl?: string): Promise<RequestView> {
  const res = await fetch(`${server.url}/api/v1/requests`, { method: "POST", headers: agentHeaders(agent), body: createBody(i, callbackUrl) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as RequestView;
}

/** `countersign audit verify --json` (it seals what is pending first). */
async function auditVerify(databaseUrl: string) {
  return runCliJson(databaseUrl, ["audit", "verify"], (out) => {
    try {
      return JSON.parse(out) as { ok: boolean; sealed: number; unsealed: number };
    } catch {
      return undefined;
    }
  });
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function report(testInfo: TestInfo, name: string, figures: Record<string, unknown>): Promise<void> {
  console.log(`${name}: ${JSON.stringify(figures)}`);
  await testInfo.attach(name, { body: JSON.stringify(figures, null, 2), contentType: "application/json" });
}

/** An error answer must be the retryable envelope: 503 `unavailable` with Retry-After. */
function expectRetryable(status: number, body: string, retryAfter: string | null, what: string): void {
  expect(status, `${what}: ${body}`).toBe(503);
  expect(JSON.parse(body), what).toMatchObject({ error: { code: "unavailable" } });
  expect(Number(retryAfter), `${what}: Retry-After`).toBeGreaterThan(0);
}

// ── kill -9 under load ────────────────────────────────────────────────────────────────────────

test("kill -9 under create load loses no answered 201, no audit event, no outbox row; retries replay", async ({}, testInfo) => {
  test.setTimeout(90_000);
  const database = await createTestDatabase({ prefix: "countersign_e2e_kill" });
  cleanups.push(() => database.drop());
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 5 }));
  const receiver = await startReceiver(150); // slow enough that deliveries are in flight at the kill
  // The CLI and the server both migrate the new database; the advisory lock makes that safe.
  const [[first], agent] = await Promise.all([
    startServers(1, { databaseUrl: database.url, env: FAULT_ENV, names: ["before-kill"] }),
    createAgentWithCli(database.url),
  ]);
  servers.push(first!);

  // Load: TOTAL creates with Idempotency-Keys, IN_FLIGHT at a time; SIGKILL once KILL_AFTER are answered.
  const TOTAL = 300;
  const IN_FLIGHT = 16;
  const KILL_AFTER = 120;
  const outcome = new Map<number, { status: number; id?: string } | "no answer">();
  let next = 0;
  let created = 0;
  let killedAt = 0;
  const kill = (async () => {
    while (created < KILL_AFTER) await sleep(5);
    killedAt = performance.now();
    await killServer(first!);
  })();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < TOTAL && !killedAt) {
        const i = next++;
        try {
          const res = await fetch(`${first!.url}/api/v1/requests`, {
            method: "POST",
            headers: agentHeaders(agent, { "idempotency-key": `fault-${i}` }),
            body: createBody(i, receiver.url),
          });
          const body = (await res.json()) as { id?: string };
          outcome.set(i, { status: res.status, id: body.id });
          if (res.status === 201) created += 1;
        } catch {
          outcome.set(i, "no answer"); // the connection died with the server
        }
      }
    }),
  );
  await kill;
  const answered = [...outcome.entries()].filter((e): e is [number, { status: number; id: string }] => e[1] !== "no answer");
  expect(answered.every(([, o]) => o.status === 201), JSON.stringify(answered.filter(([, o]) => o.status !== 201))).toBe(true);
  const cutOff = [...outcome.values()].filter((o) => o === "no answer").length;

  // The database as the dead process left it: which notifications had been recorded delivered.
  const atKill = new Map((await sql<{ event_id: string; status: string }[]>`select event_id, status from notification_outbox`).map((r) => [r.event_id, r.status]));
  // What the dead process sent arrived before the restart began; a delivery it had in flight may be
  // answered (and so recorded) by the slow receiver only after that, so arrival is what counts.
  const restartBegan = performance.now();

  const [second] = await startServers(1, { databaseUrl: database.url, env: FAULT_ENV, names: ["after-kill"] });
  servers.push(second!);
  const restartedAt = performance.now();

  // Every answered 201 is there, with its request.created audit event.
  const ids = answered.map(([, o]) => o.id);
  const found = await sql<{ id: string; created_events: number }[]>`
    select r.id, (select count(*)::int from audit_events e where e.request_id = r.id and e.type = 'request.created') as created_events
    from requests r where r.id = any(${ids}::uuid[])`;
  expect(found.length, "answered 201s present after the restart").toBe(ids.length);
  expect(found.filter((r) => r.created_events !== 1), "each with exactly one request.created event").toEqual([]);

  // Every create retried with its Idempotency-Key: the answered ones replay (200, same id); those cut
  // off replay if they had committed, else are filed now. Never a second request for one key.
  const retried = new Map<number, { status: number; id: string }>();
  let cursor = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (cursor < TOTAL) {
        const i = cursor++;
        const res = await fetch(`${second!.url}/api/v1/requests`, {
          method: "POST",
          headers: agentHeaders(agent, { "idempotency-key": `fault-${i}` }),
          body: createBody(i, receiver.url),
        });
        retried.set(i, { status: res.status, id: ((await res.json()) as { id: string }).id });
      }
    }),
  );
  for (const [i, o] of answered) expect(retried.get(i), `retry of answered create ${i}`).toEqual({ status: 200, id: o.id });
  for (const [i, o] of retried) expect([200, 201], `retry of create ${i}`).toContain(o.status);
  const perKey = await sql<{ n: number; keys: number }[]>`
    select count(*)::int as n, count(distinct idempotency_key)::int as keys from requests where agent_id = ${agent.id}`;
  expect(perKey[0], "one request per Idempotency-Key").toEqual({ n: TOTAL, keys: TOTAL });

  // The chain, sealed, verifies (checked while the outbox drains).
  const verifying = auditVerify(database.url);

  // The outbox drains: every row delivered, each recorded delivered exactly once.
  await eventually("the outbox to drain", 30_000, async () => {
    const [row] = await sql<{ left: number }[]>`select count(*)::int as left from notification_outbox where status <> 'delivered'`;
    return row!.left === 0 ? true : undefined;
  });
  const rows = await sql<{ event_id: string; ok_attempts: number }[]>`
    select o.event_id, (select count(*)::int from notification_attempts a where a.outbox_id = o.id and a.ok) as ok_attempts
    from notification_outbox o`;
  expect(rows.length, "one webhook per request").toBe(TOTAL);
  expect(rows.filter((r) => r.ok_attempts !== 1), "each row recorded delivered once").toEqual([]);

  // The receiver's view: no row lost, none sent after it was recorded delivered. The only events
  // that may arrive twice are those in flight ("sending") when the process died — at-least-once,
  // same event id, for the receiver to de-duplicate.
  const counts = new Map<string, { before: number; after: number }>();
  receiver.deliveries.forEach((d) => {
    const c = counts.get(d.eventId) ?? { before: 0, after: 0 };
    if (d.arrived < restartBegan) c.before += 1;
    else c.after += 1;
    counts.set(d.eventId, c);
  });
  const outboxIds = new Set(rows.map((r) => r.event_id));
  expect([...counts.keys()].filter((id) => !outboxIds.has(id)), "deliveries of unknown events").toEqual([]);
  expect([...outboxIds].filter((id) => !counts.has(id)), "events never delivered").toEqual([]);
  const resentAfterDelivered = [...counts].filter(([id, c]) => atKill.get(id) === "delivered" && c.after > 0);
  expect(resentAfterDelivered, "sent again after being recorded delivered").toEqual([]);
  const twiceAfterRestart = [...counts].filter(([, c]) => c.after > 1);
  expect(twiceAfterRestart, "sent twice after the restart").toEqual([]);
  const duplicates = [...counts].filter(([, c]) => c.before + c.after > 1);
  expect(duplicates.filter(([id]) => atKill.get(id) !== "sending"), "duplicates other than in-flight rows").toEqual([]);

  const verified = await verifying;
  expect(verified.ok, JSON.stringify(verified)).toBe(true);
  expect(verified.unsealed).toBe(0);

  await report(testInfo, "kill-9-under-load", {
    answered_201_before_kill: answered.length,
    cut_off_by_kill: cutOff,
    never_sent_before_kill: TOTAL - outcome.size,
    committed_at_kill: atKill.size,
    outbox_at_kill: Object.fromEntries([...new Set(atKill.values())].map((s) => [s, [...atKill.values()].filter((v) => v === s).length])),
    retries_replayed: [...retried.values()].filter((o) => o.status === 200).length,
    retries_filed: [...retried.values()].filter((o) => o.status === 201).length,
    in_flight_deliveries_repeated: duplicates.length,
    sealed_events: verified.sealed,
    restart_ms: Math.round(restartedAt - killedAt),
  });
  expect(second!.output()).not.toMatch(/"code":"internal"|unhandled error/);
});

// ── PostgreSQL restart under open long-polls and streams ──────────────────────────────────────

type SseEvent = { event: string; data: string; at: number };

/** Opens the request's event stream and collects its events until it ends or `stop()`. */
function openStream(server: AppServer, agent: RegisteredAgent, id: string) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  let status = 0;
  const ended = (async () => {
    const res = await fetch(`${server.url}/api/v1/requests/${id}/events`, { headers: agentHeaders(agent), signal: controller.signal });
    status = res.status;
    if (res.status !== 200) {
      events.push({ event: "http", data: await res.text(), at: performance.now() });
      return;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event) events.push({ event, data: data ?? "", at: performance.now() });
      }
    }
  })().catch((err: unknown) => {
    if (!controller.signal.aborted) events.push({ event: "broken", data: String(err), at: performance.now() });
  });
  const states = () => events.filter((e) => e.event === "state").map((e) => (JSON.parse(e.data) as RequestView).status);
  return { events, states, ended, status: () => status, stop: () => controller.abort() };
}

type Answer = { status: number; body: string; retryAfter: string | null; ms: number };

async function getRequest(server: AppServer, agent: RegisteredAgent, id: string, wait?: number, timeoutMs = 45_000): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${server.url}/api/v1/requests/${id}${wait === undefined ? "" : `?wait=${wait}`}`, {
    headers: agentHeaders(agent),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after"), ms: Math.round(performance.now() - started) };
}

const statusOf = (a: Answer) => (JSON.parse(a.body) as RequestView).status;

test("a PostgreSQL restart under open long-polls and streams: retryable answers, resumed streams, recovery without a server restart", async ({}, testInfo) => {
  test.setTimeout(90_000);
  const pg: PrivatePostgres = await startPrivatePostgres();
  cleanups.push(() => pg.destroy());
  const database = await createTestDatabase({ prefix: "countersign_e2e_pgrestart", adminUrl: pg.urlFor("postgres") });
  const receiver = await startReceiver(0);
  const [[server], agent] = await Promise.all([
    startServers(1, { databaseUrl: database.url, env: FAULT_ENV, names: ["pg-restart"] }),
    createAgentWithCli(database.url),
  ]);
  servers.push(server!);

  // The reviewer decides in this process, on its own connections to the private database.
  setDatabaseForProcess(await openDatabase({ databaseUrl: database.url, poolSize: 2 }));
  cleanups.push(() => closeDatabase());
  setActivePolicyForTests(parsePolicy(fs.readFileSync(TEST_POLICY, "utf8"), TEST_POLICY));
  wireRequestEffects();
  const rita = await recordIdentity({
    issuer: "urn:countersign:e2e-idp",
    subject: "rita",
    idp: "okta",
    login: "rita.reviewer@example.com",
    email: "rita.reviewer@example.com",
    emailVerified: true,
    name: "Rita Reviewer",
    groups: ["platform-oncall"],
    authTime: new Date(),
  });
  const reviewer = { kind: "person" as const, personId: rita.personId };
  const approve = (id: string) => decideRequest(id, reviewer, "approve", "Looks right.", "console");

  // Four long-polls and four streams held open across the restart.
  const N = 4;
  const polled = await Promise.all(Array.from({ length: N }, (_, i) => fileRequest(server!, agent, 1000 + i)));
  const streamed = await Promise.all(Array.from({ length: N }, (_, i) => fileRequest(server!, agent, 2000 + i)));
  const polls = polled.map((r) => getRequest(server!, agent, r.id, 25));
  const streams = streamed.map((r) => openStream(server!, agent, r.id));
  await eventually("every stream's first state", 10_000, async () => (streams.every((s) => s.states().length === 1) ? true : undefined));
  await sleep(300); // the long-polls are parked

  // While PostgreSQL restarts, an agent keeps calling: each answer is 200/201 or the retryable 503.
  const during: Answer[] = [];
  let restarting = true;
  const traffic = (async () => {
    let i = 0;
    while (restarting) {
      const started = performance.now();
      const res = await fetch(`${server!.url}/api/v1/requests`, {
        method: "POST",
        headers: agentHeaders(agent),
        body: createBody(3000 + i++),
        signal: AbortSignal.timeout(15_000),
      });
      during.push({ status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after"), ms: Math.round(performance.now() - started) });
      during.push(await getRequest(server!, agent, polled[0]!.id, undefined, 15_000));
      await sleep(50);
    }
  })();
  const restartStart = performance.now();
  await pg.restart();
  const restartMs = Math.round(performance.now() - restartStart);
  await sleep(1_000);
  restarting = false;
  await traffic;
  for (const a of during) {
    if (a.status >= 500) expectRetryable(a.status, a.body, a.retryAfter, "a call during the restart");
    else expect([200, 201], a.body).toContain(a.status);
    expect(a.ms, "a call during the restart answered promptly").toBeLessThan(12_000);
  }

  // A decision after the restart wakes the polls and streams that were open across it (LISTEN is
  // back, or a poll answered 503 and the agent polls again), and no stream died with `internal`.
  const decidedAt = performance.now();
  for (const r of [...polled, ...streamed]) await approve(r.id);
  const pollAnswers = await Promise.all(
    polls.map(async (p, n) => {
      let answer = await p;
      if (answer.status !== 200) {
        expectRetryable(answer.status, answer.body, answer.retryAfter, "a long-poll open across the restart");
        answer = await getRequest(server!, agent, polled[n]!.id, 10);
      }
      expect(answer.status, answer.body).toBe(200);
      expect(statusOf(answer)).toBe("approved");
      return answer;
    }),
  );
  const pollWakeMs = Math.round(Math.max(...(await Promise.all(polls)).map(() => performance.now() - decidedAt)));
  const streamOutcomes = await Promise.all(
    streams.map(async (s, n) => {
      const broken = s.events.find((e) => e.event === "error" || e.event === "broken" || e.event === "http");
      if (broken) {
        // A stream that ended must have said why, retryably; reconnecting resumes it.
        expect(broken.event, broken.data).toBe("error");
        expect(JSON.parse(broken.data)).toMatchObject({ error: { code: "unavailable" } });
        const again = openStream(server!, agent, streamed[n]!.id);
        await eventually("a reconnected stream's state", 10_000, async () => (again.states().includes("approved") ? true : undefined));
        again.stop();
        return "reconnected";
      }
      await eventually(`stream ${n} to show the approval`, 10_000, async () => (s.states().at(-1) === "approved" ? true : undefined));
      s.stop();
      return "resumed";
    }),
  );

  // New long-polls and streams are woken by decisions made now (NOTIFY through the new LISTEN).
  const fresh = await fileRequest(server!, agent, 4000, receiver.url);
  const freshStreamReq = await fileRequest(server!, agent, 4001);
  const freshPoll = getRequest(server!, agent, fresh.id, 20);
  const freshStream = openStream(server!, agent, freshStreamReq.id);
  await eventually("the new stream's first state", 10_000, async () => (freshStream.states().length === 1 ? true : undefined));
  await sleep(300);
  const wakeStart = performance.now();
  await approve(fresh.id);
  await approve(freshStreamReq.id);
  const woke = await freshPoll;
  expect(woke.status, woke.body).toBe(200);
  expect(statusOf(woke)).toBe("approved");
  const freshWakeMs = Math.round(performance.now() - wakeStart);
  expect(freshWakeMs, "a new long-poll woken by NOTIFY, not by its timeout").toBeLessThan(3_000);
  await eventually("the new stream to show the approval", 3_000, async () => (freshStream.states().at(-1) === "approved" ? true : undefined));
  freshStream.stop();

  // The background loops work again: the outbox delivers the new request's webhooks, the sealer seals.
  await eventually("the webhook of a request filed after the restart", 10_000, async () => (receiver.deliveries.length >= 2 ? true : undefined));
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 5 }));
  await eventually("the sealer to seal everything", 10_000, async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events where seq is null`;
    return row!.n === 0 ? true : undefined;
  });
  const verified = await auditVerify(database.url);
  expect(verified.ok, JSON.stringify(verified)).toBe(true);

  // The LISTEN connection alone drops (killed by an admin, a proxy, a network blip) and cannot come
  // back at once: a decision committed meanwhile sends a NOTIFY nobody hears. When LISTEN is back,
  // the open long-poll and stream must re-read and see it, not sleep until their timeout.
  const missed = await fileRequest(server!, agent, 5000);
  const missedStreamReq = await fileRequest(server!, agent, 5001);
  const missedPoll = getRequest(server!, agent, missed.id, 25);
  const missedStream = openStream(server!, agent, missedStreamReq.id);
  await eventually("the stream's first state", 10_000, async () => (missedStream.states().length === 1 ? true : undefined));
  await sleep(300);
  const admin = postgres(pg.urlFor("postgres"), { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  // This process's two connections are open before the database refuses new ones.
  const own = await getDatabase();
  await Promise.all([own.run("select pg_sleep(0.05)", []), own.run("select pg_sleep(0.05)", [])]);
  await admin.unsafe(`alter database ${database.name} allow_connections false`);
  let reallowed = false;
  cleanups.push(async () => {
    if (!reallowed) await admin.unsafe(`alter database ${database.name} allow_connections true`);
  });
  const killed = await admin<{ pid: number }[]>`
    select pg_terminate_backend(pid), pid from pg_stat_activity
    where datname = ${database.name} and query ilike 'listen %' and pid <> pg_backend_pid()`;
  expect(killed.length, "the server's LISTEN connection").toBe(1);
  await sleep(500);
  await approve(missed.id);
  await approve(missedStreamReq.id);
  await sleep(500);
  await admin.unsafe(`alter database ${database.name} allow_connections true`);
  reallowed = true;
  const reallowedAt = performance.now();
  const caughtUp = await missedPoll;
  const caughtUpMs = Math.round(performance.now() - reallowedAt);
  expect(caughtUp.status, caughtUp.body).toBe(200);
  expect(statusOf(caughtUp), "the long-poll saw the decision it was not notified of").toBe("approved");
  expect(caughtUpMs, "re-read when LISTEN came back, not at the poll's timeout").toBeLessThan(5_000);
  await eventually("the stream to show the decision it was not notified of", 5_000, async () =>
    missedStream.states().at(-1) === "approved" ? true : undefined,
  );
  missedStream.stop();

  const log = server!.output();
  expect(log, "no request answered internal").not.toMatch(/unhandled error in API route/);
  await report(testInfo, "postgres-restart", {
    pg_restart_ms: restartMs,
    calls_during_restart: during.length,
    answered_503_during_restart: during.filter((a) => a.status === 503).length,
    slowest_call_during_restart_ms: Math.max(...during.map((a) => a.ms)),
    long_polls: pollAnswers.map((a) => a.status),
    long_polls_answered_ms_after_decision: pollWakeMs,
    streams: streamOutcomes,
    fresh_poll_woken_ms: freshWakeMs,
    missed_notify_caught_up_ms_after_listen_allowed: caughtUpMs,
  });
});

// ── a full disk under the database while it runs ──────────────────────────────────────────────

test("a full disk under the requests table: creates answer 503 unavailable with Retry-After, and work again once there is room", async ({}, testInfo) => {
  test.setTimeout(60_000);
  // The requests table (and its TOAST) moved to a tablespace on a 512 KiB filesystem: inserts into it
  // fail with PostgreSQL's disk_full (53100, ENOSPC), while the WAL and everything else have room.
  const mount = tinyFilesystem("512k");
  // CI runs as root on this machine kind, where mounting a tmpfs works: never skipped silently.
  expect(mount, "mounting a tmpfs needs root (CI runs as root)").not.toBeNull();
  const pg = await startPrivatePostgres();
  cleanups.push(() => pg.destroy());
  const spaceDir = path.join(mount!, "space");
  fs.mkdirSync(spaceDir);
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres:postgres", spaceDir]);
  const database = await createTestDatabase({ prefix: "countersign_e2e_diskfull", adminUrl: pg.urlFor("postgres") });
  const [[server], agent] = await Promise.all([
    startServers(1, { databaseUrl: database.url, env: FAULT_ENV, names: ["disk-full"] }),
    createAgentWithCli(database.url),
  ]);
  servers.push(server!);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 5 }));
  await sql.unsafe(`create tablespace tiny location '${spaceDir}'`);
  cleanups.push(() => sql.unsafe("drop tablespace if exists tiny"));
  await sql.unsafe("alter table requests set tablespace tiny");

  // Incompressible context, so each request takes its bytes of the little room there is.
  const filler = (i: number) =>
    JSON.stringify({
      action: "deploy.service.release",
      resource: `svc/disk-${i}`,
      environment: "staging",
      intent: "Fill the disk.",
      context: { blob: Array.from({ length: 40 }, () => crypto.randomUUID()).join("") },
    });
  const answers: Answer[] = [];
  for (let i = 0; i < 400; i++) {
    const started = performance.now();
    const res = await fetch(`${server!.url}/api/v1/requests`, {
      method: "POST",
      headers: agentHeaders(agent, { "idempotency-key": `disk-${i}` }),
      body: filler(i),
    });
    answers.push({ status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after"), ms: Math.round(performance.now() - started) });
    if (res.status !== 201) break;
  }
  const refused = answers.at(-1)!;
  expect(answers.length, "the disk filled up").toBeLessThan(400);
  expectRetryable(refused.status, refused.body, refused.retryAfter, "a create on a full disk");
  const filed = answers.filter((a) => a.status === 201).length;

  // Room again (the table back on the main disk): the same server files, and the retried key files once.
  await sql.unsafe("alter table requests set tablespace pg_default");
  const retry = await fetch(`${server!.url}/api/v1/requests`, {
    method: "POST",
    headers: agentHeaders(agent, { "idempotency-key": `disk-${answers.length - 1}` }),
    body: filler(answers.length - 1),
  });
  expect(retry.status, await retry.clone().text()).toBe(201);
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from requests`;
  expect(row!.n).toBe(filed + 1);
  expect(server!.output()).not.toMatch(/unhandled error in API route/);
  await report(testInfo, "disk-full-at-runtime", { filed_before_full: filed, refused: JSON.parse(refused.body) as unknown, retry_after: refused.retryAfter });
});

// ── start-up faults ───────────────────────────────────────────────────────────────────────────

async function startAndWaitForExit(databaseUrl: string, env: Record<string, string | undefined>) {
  const port = await freePort();
  const server = startProcess("start-up-fault", port, START_ARGS, serverEnv(databaseUrl, port, { HOSTNAME: "127.0.0.1", ...env }));
  const started = performance.now();
  const exit = await Promise.race([
    server.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running:\n${server.output()}`)), 30_000)),
  ]);
  return { exit, output: server.output(), ms: Math.round(performance.now() - started) };
}

const STACK_FRAME = /\n\s+at .*[(/].*:\d+/;

test("a refused database connection at start-up: one clear message, exit 1", async ({}, testInfo) => {
  const closedPort = await freePort(); // nothing listens there
  const { exit, output, ms } = await startAndWaitForExit(`postgres://postgres@127.0.0.1:${closedPort}/countersign`, {});
  expect(exit.code).toBe(1);
  expect(output).toContain("Countersign failed to start");
  expect(output).toContain(`Cannot connect to the database at 127.0.0.1:${closedPort}`);
  expect(output.match(/Countersign failed to start/g)).toHaveLength(1);
  expect(output).not.toMatch(STACK_FRAME);
  await report(testInfo, "refused-connection", { exit: exit.code, ms, output: output.trim() });
});

/** A tmpfs of `size` at a fresh mount point, or null where mounting is not permitted. */
function tinyFilesystem(size: string): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-full-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(async () => {
    execFileSync("umount", [dir], { stdio: "ignore" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test("a full disk at start-up (the embedded database's directory): one clear message, exit 1", async ({}, testInfo) => {
  // A 1 MiB filesystem: PGlite's first files fill it and the next write fails with ENOSPC.
  const mount = tinyFilesystem("1m");
  // CI runs as root on this machine kind, where mounting a tmpfs works: never skipped silently.
  expect(mount, "mounting a tmpfs needs root (CI runs as root)").not.toBeNull();
  const { exit, output, ms } = await startAndWaitForExit("", { COUNTERSIGN_DATA_DIR: path.join(mount!, "pglite") });
  expect(exit.code).toBe(1);
  expect(output).toContain("Countersign failed to start");
  expect(output).toContain("No space left on the device");
  expect(output.match(/Countersign failed to start/g)).toHaveLength(1);
  expect(output).not.toMatch(STACK_FRAME);
  await report(testInfo, "full-disk", { exit: exit.code, ms, output: output.trim() });
});
