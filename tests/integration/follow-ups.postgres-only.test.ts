// Reminders, escalations and overdue break-glass reviews happen exactly once across instances: two
// Countersign processes on one PostgreSQL database, each running several follow-up sweeps at once,
// find the same due requests; each request is reminded, escalated and flagged overdue once (one
// audit event each), and the two instances' counts add up to exactly the requests due.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { auditEvents, requests } from "@/db/schema";
import { breakGlassRequest } from "@/lib/requests/break-glass";
import type { FollowUpCounts } from "@/lib/requests/follow-ups";
import { createRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForOutboxIdle, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { makeAgent, personOf, requestBody, reviewer, tally } from "../support/fixtures";

const MIN = 60_000;
const T0 = new Date(Math.ceil(Date.now() / 1000) * 1000);
const at = (m: number) => new Date(T0.getTime() + m * MIN);
const INSTANCE = path.join(process.cwd(), "tests", "support", "follow-up-process.ts");
const N = 30;

let dedicated: DedicatedDatabase;
let restore: () => void;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dedicated = await createDedicatedDatabase({ poolSize: 10 });
  restore = await pointAppAt(dedicated.handle);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await waitForOutboxIdle();
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

type Instance = { ready: Promise<void>; done: Promise<FollowUpCounts>; go(): void };

function startInstance(now: Date, sweeps = 4): Instance {
  const child = spawn(process.execPath, ["--import", "tsx", INSTANCE, "--now", now.toISOString(), "--sweeps", String(sweeps)], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: dedicated.handle.url, COUNTERSIGN_DB_POOL: "6", COUNTERSIGN_POLICY: "tests/fixtures/policy.yaml", LOG_LEVEL: "silent" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const lineStarting = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = out.split("\n").find((l) => l.startsWith(prefix));
        if (found !== undefined) resolve(found.slice(prefix.length).trim());
      };
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        check();
      });
      child.once("exit", (code) => {
        children.delete(child);
        check();
        reject(new Error(`instance exited (${code}) before printing "${prefix}":\n${out}\n${err}`));
      });
    });
  const ready = lineStarting("ready").then(() => undefined);
  const done = lineStarting("done ").then((json) => JSON.parse(json) as FollowUpCounts);
  return { ready, done, go: () => child.stdin!.write("go\n") };
}

async function race(now: Date): Promise<FollowUpCounts[]> {
  const instances = [startInstance(now), startInstance(now)];
  await Promise.all(instances.map((i) => i.ready));
  for (const i of instances) i.go();
  return Promise.all(instances.map((i) => i.done));
}

async function eventTypes(ids: string[]) {
  const db = await getDb();
  return db.select({ requestId: auditEvents.requestId, type: auditEvents.type }).from(auditEvents).where(inArray(auditEvents.requestId, ids));
}

const sum = (counts: FollowUpCounts[], k: keyof FollowUpCounts) => counts.reduce((n, c) => n + c[k], 0);

describe("follow-ups across two instances on one PostgreSQL database", () => {
  it(`${N} waiting requests: each reminded once and escalated once, whichever instance gets there first`, async () => {
    const { agent } = await makeAgent();
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await createRequest(agent, requestBody({ action: "test.followup.race", resource: `svc/race-${i}` }), { now: T0 })).request.id);

    const counts = await race(at(21));
    expect(sum(counts, "remind")).toBe(N);
    expect(sum(counts, "escalate")).toBe(N);
    const events = await eventTypes(ids);
    expect(tally(events.filter((e) => e.type === "request.reminded").map((e) => e.requestId!))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(tally(events.filter((e) => e.type === "request.escalated").map((e) => e.requestId!))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    const rows = await (await getDb()).select().from(requests).where(inArray(requests.id, ids));
    for (const r of rows) expect(r).toMatchObject({ escalatedTo: ["security"], remindedAt: at(21), escalatedAt: at(21) });

    // A second race finds nothing left to do.
    const again = await race(at(22));
    expect(sum(again, "remind") + sum(again, "escalate")).toBe(0);
  });

  it(`${N} unreviewed break-glass approvals: each flagged overdue once`, async () => {
    const { agent } = await makeAgent();
    const sam = reviewer("sam", ["security-team"]);
    const credential = { kind: "person" as const, personId: await personOf(sam, T0), authTime: T0 };
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const { request } = await createRequest(agent, requestBody({ action: "test.breakglass.race", resource: `svc/glass-${i}` }), { now: T0 });
      await breakGlassRequest(request.id, credential, "Production incident INC-42: rolling back now.", "console", { now: T0 });
      ids.push(request.id);
    }
    const counts = await race(at(121));
    expect(sum(counts, "review_overdue")).toBe(N);
    const overdue = (await eventTypes(ids)).filter((e) => e.type === "break_glass.review_overdue");
    expect(tally(overdue.map((e) => e.requestId!))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  });
});
