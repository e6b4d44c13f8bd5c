// Issue 5, item 4: no lost or duplicated notification when a worker process is killed midway, and
// no double delivery when several workers drain at once. Real processes on real PostgreSQL
// (tests/support/outbox-worker-process.ts), a real HTTP receiver, a database of this file's own.
//
// As in outbox.test.ts, requests are filed a day ahead of the wall clock and every worker is told
// that time, so the background worker each transition kicks in this process finds nothing due.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { selectDeliveries } from "@/db/queries/outbox";
import type { Agent } from "@/db/schema";
import { webhookMasterSecret } from "@/lib/config/env";
import { agentWebhookSecret, verifyWebhook } from "@/lib/notify/webhook-signature";
import { drainOutboxOnce } from "@/lib/notify/worker";
import { createRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForOutboxIdle, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { makeAgent, requestBody, tally } from "../support/fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";

const DAY = 86_400_000;
const T0 = new Date(Math.ceil((Date.now() + DAY) / 1000) * 1000);
const at = (ms: number) => new Date(T0.getTime() + ms);
const LEASE_MS = 30_000;
const WORKER = path.join(process.cwd(), "tests", "support", "outbox-worker-process.ts");

let dedicated: DedicatedDatabase;
let restore: () => void;
let receiver: WebhookReceiver;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await waitForOutboxIdle();
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
  await receiver?.close();
});

type Worker = {
  child: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (without it). */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

function startWorker(mode: "hang" | "drain", args: { now: Date; leaseMs?: number; limit?: number }): Worker {
  const argv = [WORKER, mode, "--now", args.now.toISOString(), "--lease-ms", String(args.leaseMs ?? LEASE_MS)];
  if (args.limit) argv.push("--limit", String(args.limit));
  const child = spawn(process.execPath, ["--import", "tsx", ...argv], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: dedicated.handle.url, COUNTERSIGN_DB_POOL: "4", LOG_LEVEL: "silent" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      children.delete(child);
      waiters.splice(0).forEach((w) => w());
      resolve({ code, signal });
    }),
  );
  const line = (prefix: string, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker never printed "${prefix}":\n${out}\n${err}`)), timeoutMs);
      const check = () => {
        const found = out.split("\n").find((l) => l.startsWith(prefix));
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found.slice(prefix.length).trim());
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`worker exited (${child.exitCode ?? child.signalCode}) before printing "${prefix}":\n${out}\n${err}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return { child, line, exited };
}

async function fileRequests(agent: Agent, n: number, when: Date): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { request } = await createRequest(
      agent,
      requestBody({ resource: `svc/crash-${i}`, callback_url: `${receiver.url}/hooks/countersign` }),
      { now: when },
    );
    ids.push(request.id);
  }
  return ids;
}

async function rowsOf(requestIds: string[]) {
  const db = await getDb();
  return (await Promise.all(requestIds.map((id) => selectDeliveries(db, id)))).flat();
}

describe("outbox workers in real processes", () => {
  it("a worker SIGKILLed between claim and send: nothing is lost, and after the lease each event arrives exactly once", async () => {
    const { agent } = await makeAgent();
    const requestIds = await fileRequests(agent, 3, T0);
    const eventIds = (await rowsOf(requestIds)).map((r) => r.outbox.eventId);
    expect(eventIds).toHaveLength(3);

    const doomed = startWorker("hang", { now: at(1000) });
    const claimed = JSON.parse(await doomed.line("claimed ")) as string[];
    expect(claimed.sort()).toEqual([...eventIds].sort());
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });

    // Claimed (the attempt counted, the lease taken), never sent, no outcome recorded.
    expect(receiver.received).toEqual([]);
    for (const { outbox, attempts } of await rowsOf(requestIds)) {
      expect(outbox).toMatchObject({ status: "sending", attempts: 1, leaseUntil: at(1000 + LEASE_MS) });
      expect(attempts).toEqual([]);
    }
    // While the lease runs nobody else takes the rows: the claimer might still be sending.
    expect(await drainOutboxOnce({ now: at(1000 + LEASE_MS - 1) })).toBe(0);
    expect(receiver.received).toEqual([]);

    // The restart: a new worker process, after the lease.
    const restarted = startWorker("drain", { now: at(1000 + LEASE_MS + 1) });
    await restarted.line("ready");
    restarted.child.stdin!.write("go\n");
    expect(await restarted.line("done ")).toBe("3");
    expect((await restarted.exited).code).toBe(0);

    expect(tally(receiver.received.map((h) => h.eventId))).toEqual(Object.fromEntries(eventIds.map((id) => [id, 1])));
    const secret = agentWebhookSecret(webhookMasterSecret(), agent.id);
    for (const hit of receiver.received) {
      expect(verifyWebhook(secret, hit.body, hit.signature, Math.floor(Date.now() / 1000))).toBe(true);
      expect(JSON.parse(hit.body)).toMatchObject({ id: hit.eventId, type: "request.created" });
    }
    for (const { outbox, attempts } of await rowsOf(requestIds)) {
      expect(outbox).toMatchObject({ status: "delivered", attempts: 2, leaseUntil: null });
      // The killed claim left no attempt row; the one that delivered is attempt 2.
      expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode])).toEqual([[2, true, 200]]);
    }
    // And nothing is left to send again.
    expect(await drainOutboxOnce({ now: at(DAY) })).toBe(0);
    expect(receiver.received).toHaveLength(3);
    receiver.reset();
  });

  it("two workers draining many rows at once never deliver an event twice (FOR UPDATE SKIP LOCKED)", async () => {
    const N = 120;
    const { agent } = await makeAgent();
    const when = at(DAY + 60_000);
    const requestIds = await fileRequests(agent, N, when);
    // Small batches and a fast receiver: the workers spend much of their time claiming, so their
    // claims overlap. (Without FOR UPDATE SKIP LOCKED this test delivers some events twice.)

    const workers = [0, 1].map(() => startWorker("drain", { now: when, limit: 2 }));
    await Promise.all(workers.map((w) => w.line("ready")));
    for (const w of workers) w.child.stdin!.write("go\n");
    const handled = (await Promise.all(workers.map((w) => w.line("done ")))).map(Number);
    await Promise.all(workers.map((w) => w.exited));

    expect(handled.reduce((a, b) => a + b, 0)).toBe(N);
    expect(handled.every((n) => n > 0)).toBe(true); // both really worked the same table
    const counts = tally(receiver.received.map((h) => h.eventId));
    expect(receiver.received).toHaveLength(N);
    expect(Object.keys(counts)).toHaveLength(N);
    expect(Object.values(counts).every((c) => c === 1)).toBe(true);

    const rows = await rowsOf(requestIds);
    expect(rows).toHaveLength(N);
    expect(rows.every(({ outbox, attempts }) => outbox.status === "delivered" && outbox.attempts === 1 && attempts.length === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.outbox.eventId))).toEqual(new Set(Object.keys(counts)));
    receiver.reset();
  });
});
