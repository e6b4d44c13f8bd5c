// Cross-instance wake (issue 2): two `next start` processes on one PostgreSQL database. An agent
// long-polls on A and is woken, through LISTEN/NOTIFY, by a change committed elsewhere: a reviewer
// decision from a third process (this one, through the domain module; there is no reviewer HTTP
// API yet) and a cancel through B's agent API. Then SIGTERM to A must answer its open long-poll
// with the current state and exit 0.
import fs from "node:fs";
import { expect, test, type TestInfo } from "@playwright/test";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { recordIdentity } from "@/lib/auth/people";
import { decideRequest } from "@/lib/requests/lifecycle";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import type { RequestView } from "@/lib/requests/schema";
import {
  createAgentWithCli,
  createTestDatabase,
  sleep,
  startServers,
  stopServer,
  TEST_POLICY,
  type AppServer,
  type RegisteredAgent,
  type TestDatabase,
} from "./support/servers";

test.describe.configure({ mode: "serial" });

/** The reviewer, as an identity their provider vouches for (recorded in beforeAll). */
const RITA = {
  issuer: "urn:countersign:e2e-idp",
  subject: "rita",
  idp: "okta" as const,
  login: "rita.reviewer@example.com",
  email: "rita.reviewer@example.com",
  emailVerified: true,
  name: "Rita Reviewer",
  groups: ["platform-oncall"],
};
let reviewer: { kind: "person"; personId: string };

/** A loose correctness bound (the wake is NOTIFY-driven, not polled); the bench measures speed. */
const WAKE_BOUND_MS = 1_000;

let database: TestDatabase;
let a: AppServer;
let b: AppServer;
let agent: RegisteredAgent;
let aStopped = false;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  database = await createTestDatabase({ prefix: "countersign_e2e_xi" });
  [a, b] = (await startServers(2, { databaseUrl: database.url, names: ["A", "B"] })) as [AppServer, AppServer];
  agent = await createAgentWithCli(database.url, { owner: "agent-owner@example.com" });
  // The reviewer's side lives in this process, on its own connections to the same database.
  setDatabaseForProcess(await openDatabase({ databaseUrl: database.url, poolSize: 2 }));
  setActivePolicyForTests(parsePolicy(fs.readFileSync(TEST_POLICY, "utf8"), TEST_POLICY));
  wireRequestEffects();
  reviewer = { kind: "person", personId: (await recordIdentity({ ...RITA, authTime: new Date() })).personId };
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const server of [a, b].filter(Boolean)) {
    await testInfo.attach(`server-${server.name}.log`, { body: server.output(), contentType: "text/plain" });
  }
});

test.afterAll(async () => {
  try {
    // Let this process's audit sealer finish before its connections go away.
    await sealPendingAuditEvents().catch(() => undefined);
    await closeDatabase();
    const running = [aStopped ? undefined : a, b].filter((s): s is AppServer => s !== undefined);
    for (const server of running) {
      const exit = await stopServer(server, { expectCleanExit: false });
      expect(exit.code, `server ${server.name} exit code`).toBe(0);
    }
  } finally {
    await database?.drop();
  }
});

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

const auth = () => ({ authorization: `Bearer ${agent.key}` });

async function fileRequest(server: AppServer, resource: string): Promise<RequestView> {
  const res = await fetch(`${server.url}/api/v1/requests`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: JSON.stringify({
      action: "deploy.service.release",
      resource,
      environment: "production",
      intent: "Roll out the payment service release that fixes the retry storm.",
      context: { version: "2.14.1", replicas: 6, strategy: "canary" },
      origin: { run_id: `e2e-${Date.now()}`, tool: "playwright" },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const view = (await res.json()) as RequestView;
  expect(view.status).toBe("pending");
  return view;
}

type PollResult = { status: number; body: RequestView; at: number };

/** Opens `GET …?wait=N`; `at` is when the whole response had arrived (performance.now()). */
function longPoll(server: AppServer, id: string, waitSeconds: number): Promise<PollResult> {
  return (async () => {
    const res = await fetch(`${server.url}/api/v1/requests/${id}?wait=${waitSeconds}`, { headers: auth() });
    const body = (await res.json()) as RequestView;
    return { status: res.status, body, at: performance.now() };
  })();
}

/** The long-poll must still be open (parked on the server) before we change anything. */
async function expectStillWaiting(poll: Promise<PollResult>, forMs = 400): Promise<void> {
  const early = await Promise.race([poll.then((r) => r), sleep(forMs).then(() => null)]);
  expect(early, "the long-poll answered before anything changed").toBeNull();
}

async function report(testInfo: TestInfo, name: string, figures: Record<string, number | string>): Promise<void> {
  console.log(`${name}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  await testInfo.attach(name, { body: JSON.stringify(figures, null, 2), contentType: "application/json" });
}

const ms = (n: number) => Math.round(n * 100) / 100;

// ── specs ─────────────────────────────────────────────────────────────────────────────────────

test("a decision committed by another process wakes a long-poll on instance A", async ({}, testInfo) => {
  const filed = await fileRequest(b, `svc/payments/${Date.now()}`);
  const poll = longPoll(a, filed.id, 30);
  await expectStillWaiting(poll);

  const decideStart = performance.now();
  const decided = await decideRequest(filed.id, reviewer, "approve", "Canary looks healthy.", "console");
  const decideEnd = performance.now();
  expect(decided.status).toBe("approved");

  const woke = await poll;
  expect(woke.status).toBe(200);
  expect(woke.body.status).toBe("approved");
  expect(woke.body.approvals).toEqual({ count: 1, required: 1 });
  expect(woke.body.reviews.map((r) => r.reviewer)).toEqual([reviewer.personId]);

  // The commit happened between decideStart and decideEnd: the true latency lies between the two.
  const upper = woke.at - decideStart;
  const lower = woke.at - decideEnd;
  await report(testInfo, "wake-after-decision", {
    from_decide_start_ms: ms(upper),
    from_decide_resolved_ms: ms(lower),
    decide_call_ms: ms(decideEnd - decideStart),
  });
  expect(upper).toBeLessThan(WAKE_BOUND_MS);
});

test("a cancel through instance B's API wakes a long-poll on instance A", async ({}, testInfo) => {
  const filed = await fileRequest(a, `svc/ledger/${Date.now()}`);
  const poll = longPoll(a, filed.id, 30);
  await expectStillWaiting(poll);

  const cancelStart = performance.now();
  const cancel = await fetch(`${b.url}/api/v1/requests/${filed.id}/cancel`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json" },
    body: JSON.stringify({ reason: "Superseded by a newer release." }),
  });
  const cancelAnswered = performance.now();
  expect(cancel.status, await cancel.clone().text()).toBe(200);
  expect(((await cancel.json()) as RequestView).status).toBe("cancelled");

  const woke = await poll;
  expect(woke.status).toBe(200);
  expect(woke.body.status).toBe("cancelled");

  // B commits before it answers, so the commit lies between sending the cancel and its answer.
  const upper = woke.at - cancelStart;
  await report(testInfo, "wake-after-cancel-on-B", {
    from_cancel_sent_ms: ms(upper),
    from_cancel_answered_ms: ms(woke.at - cancelAnswered),
    cancel_call_ms: ms(cancelAnswered - cancelStart),
  });
  expect(upper).toBeLessThan(WAKE_BOUND_MS);
});

test("SIGTERM answers A's open long-poll with the current state and A exits 0", async ({}, testInfo) => {
  const filed = await fileRequest(a, `svc/search/${Date.now()}`);
  const poll = longPoll(a, filed.id, 30);
  await expectStillWaiting(poll);

  const signalled = performance.now();
  const exit = stopServer(a, { timeoutMs: 15_000, expectCleanExit: false });
  aStopped = true;

  const answered = await poll; // a reset connection rejects here and fails the test
  expect(answered.status).toBe(200);
  expect(answered.body.id).toBe(filed.id);
  expect(answered.body.status).toBe("pending");
  const answerMs = answered.at - signalled;

  const exited = await exit;
  await report(testInfo, "graceful-shutdown", {
    poll_answered_after_sigterm_ms: ms(answerMs),
    process_exited_after_ms: exited.afterMs,
    exit_code: String(exited.code ?? exited.signal),
  });
  expect(answerMs).toBeLessThan(5_000);
  expect(exited.code).toBe(0);

  // The other instance is unaffected and still serves the request.
  const still = await fetch(`${b.url}/api/v1/requests/${filed.id}`, { headers: auth() });
  expect(still.status).toBe(200);
  expect(((await still.json()) as RequestView).status).toBe("pending");
});
