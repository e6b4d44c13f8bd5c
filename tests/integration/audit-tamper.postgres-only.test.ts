// Tamper evidence (SPEC §2 invariant 5, issue 4): someone with superuser rights switches the
// append-only trigger off and edits, deletes or reorders events; the verifier names the first
// broken link and why. Runs on a PostgreSQL database of its own, since it deliberately breaks the
// chain. Each tampering happens in one transaction that disables the trigger, edits and re-enables
// it; each test restores the original rows the same way and checks the chain verifies again.
import { randomUUID } from "node:crypto";
import { asc, eq, isNotNull, notInArray, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { auditEvents, type AuditEventRow } from "@/db/schema";
import { chainHash } from "@/lib/audit/chain";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { verifyAuditChain } from "@/lib/audit/verify";
import { claimApproval, createRequest, reportResult } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { decideAs, makeAgent, oncall, requestBody, security } from "../support/fixtures";

let dedicated: DedicatedDatabase;
let restore: () => void;
let db: Database;
let chain: AuditEventRow[];

const verify = () => verifyAuditChain({ db });

async function readChain(): Promise<AuditEventRow[]> {
  return db.select().from(auditEvents).where(isNotNull(auditEvents.seq)).orderBy(asc(auditEvents.seq));
}

/** Runs `fn` as the superuser with the append-only trigger off, in one transaction. */
async function tamper(fn: (tx: Database) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger user`);
    await fn(tx);
    await tx.execute(sql`alter table audit_events enable trigger user`);
  });
}

const at = (seq: number) => chain[seq - 1]!;
/** Every stored column but the key. */
function withoutId(row: AuditEventRow): Omit<AuditEventRow, "id"> {
  const { id: _id, ...rest } = row;
  void _id;
  return rest;
}

/** Puts every column of these original rows back (re-inserting any that were deleted). */
async function putBack(rows: AuditEventRow[]): Promise<void> {
  await tamper(async (tx) => {
    // Positions first out of the way, so restoring them cannot collide on the unique seq index.
    for (const row of rows) await tx.update(auditEvents).set({ seq: -row.id }).where(eq(auditEvents.id, row.id));
    for (const row of rows) {
      const updated = await tx.update(auditEvents).set(withoutId(row)).where(eq(auditEvents.id, row.id)).returning({ id: auditEvents.id });
      if (updated.length === 0) await tx.insert(auditEvents).values({ id: row.id, ...withoutId(row) });
    }
  });
}

beforeAll(async () => {
  dedicated = await createDedicatedDatabase({ poolSize: 5 });
  db = dedicated.handle.db;
  restore = await pointAppAt(dedicated.handle);

  // A realistic stretch of history: agents, requests, reviews, decisions, executions, results.
  const { agent } = await makeAgent();
  for (let i = 0; i < 3; i++) {
    const { request } = await createRequest(agent, requestBody({ resource: `svc/tamper-${i}` }));
    await decideAs(request.id, oncall(), "approve", "ok", "console");
    await claimApproval(agent, request.id);
    await reportResult(agent, request.id, { status: "succeeded" });
  }
  const { request: iam } = await createRequest(agent, requestBody({ action: "iam.role.update" }));
  await decideAs(iam.id, security(), "deny", "too broad", "slack");
  await sealPendingAuditEvents(db);
  await waitForSealerIdle();
  chain = await readChain();
  // agent.created; 3 × (created, review, approved, executed, result); created, review, denied.
  expect(chain.map((e) => e.type)).toHaveLength(19);
});

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

afterEach(async () => {
  // Whatever a test did (even one that failed half-way), restore every original row and remove any
  // forgery, so each test starts from the whole chain; then prove it is whole again.
  await putBack(chain);
  await tamper(async (tx) => {
    await tx.delete(auditEvents).where(notInArray(auditEvents.id, chain.map((e) => e.id)));
  });
  expect(await readChain()).toEqual(chain);
  expect(await verify()).toMatchObject({ ok: true, broken: null, sealed: chain.length, unsealed: 0 });
});

describe("tamper evidence", () => {
  it("an untouched chain verifies from #1 to its head", async () => {
    const result = await verify();
    expect(result).toEqual({
      ok: true,
      sealed: chain.length,
      unsealed: 0,
      head: { seq: chain.length, hash: chain.at(-1)!.hash },
      broken: null,
    });
  });

  // A request.created event in the middle of the chain: every column is filled in.
  const middle = () => chain.findIndex((e, i) => i >= 5 && e.type === "request.created" && e.requestId !== null) + 1;

  const edits: [string, (row: AuditEventRow) => Partial<typeof auditEvents.$inferInsert>][] = [
    ["a payload field", (r) => ({ payload: { ...r.payload, intent: "something else entirely" } })],
    ["a nested payload value", (r) => ({ payload: { ...r.payload, origin: { run_id: "forged" } } })],
    ["the event id", () => ({ eventId: randomUUID() })],
    ["the time", (r) => ({ occurredAt: new Date(r.occurredAt.getTime() - 60_000) })],
    ["the type", () => ({ type: "request.cancelled" })],
    ["the actor's display name", (r) => ({ actor: { ...r.actor, display: "Someone Else" } })],
    ["the channel", () => ({ channel: "slack" })],
    ["the request id", () => ({ requestId: randomUUID() })],
    ["the agent id", () => ({ agentId: randomUUID() })],
    ["the action", () => ({ action: "iam.policy.update" })],
    ["the environment", () => ({ environment: "staging" })],
    ["the risk level", (r) => ({ riskLevel: r.riskLevel === "low" ? "critical" : "low" })],
  ];

  it.each(edits)("editing %s is detected at that event's seq (hash mismatch)", async (_what, edit) => {
    const seq = middle();
    const original = at(seq);
    await tamper(async (tx) => {
      await tx.update(auditEvents).set(edit(original)).where(eq(auditEvents.id, original.id));
    });
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ seq, reason: expect.stringMatching(/^hash mismatch/) });
    expect(result.head?.seq).toBe(seq - 1);
    await putBack([original]);
  });

  it.each([
    ["actor_id", { actorId: "mallory@acme.test" }],
    ["actor_kind", { actorKind: "user" }],
  ] as const)("editing the indexed %s column (copied from the hashed actor) is detected at its seq", async (column, edit) => {
    const seq = middle();
    const original = at(seq);
    expect(original.actorKind).toBe("agent");
    await tamper(async (tx) => {
      await tx.update(auditEvents).set(edit).where(eq(auditEvents.id, original.id));
    });
    expect((await verify()).broken).toMatchObject({ seq, reason: expect.stringContaining(`${column} column does not match`) });
    await putBack([original]);
  });

  it("editing the first or the last event is detected there", async () => {
    for (const seq of [1, chain.length]) {
      const original = at(seq);
      await tamper(async (tx) => {
        await tx.update(auditEvents).set({ payload: { ...original.payload, forged: true } }).where(eq(auditEvents.id, original.id));
      });
      expect((await verify()).broken).toMatchObject({ seq, reason: expect.stringMatching(/^hash mismatch/) });
      await putBack([original]);
    }
  });

  it("editing an event and re-hashing it: its MAC no longer matches (and the link to the next one breaks)", async () => {
    const seq = middle();
    const original = at(seq);
    const forged = { ...original, payload: { ...original.payload, intent: "forged" } };
    await tamper(async (tx) => {
      await tx
        .update(auditEvents)
        .set({ payload: forged.payload, hash: chainHash(original.prevHash!, forged, seq) })
        .where(eq(auditEvents.id, original.id));
    });
    // Without the MAC key the edit cannot be re-MACed: named at the event itself, before the broken link after it.
    expect((await verify()).broken).toMatchObject({ seq, eventId: original.eventId, reason: expect.stringMatching(/^bad MAC/) });
    await putBack([original]);
  });

  it("editing a stored hash or prev_hash is detected at that event", async () => {
    const seq = middle();
    const original = at(seq);
    await tamper(async (tx) => {
      await tx.update(auditEvents).set({ hash: "0".repeat(64) }).where(eq(auditEvents.id, original.id));
    });
    expect((await verify()).broken).toMatchObject({ seq, reason: expect.stringMatching(/^hash mismatch/) });
    await putBack([original]);

    await tamper(async (tx) => {
      await tx.update(auditEvents).set({ prevHash: at(seq - 2).hash }).where(eq(auditEvents.id, original.id));
    });
    expect((await verify()).broken).toMatchObject({ seq, reason: expect.stringMatching(/^prev_hash does not match/) });
    await putBack([original]);
  });

  it("deleting an event leaves a gap at its seq", async () => {
    for (const seq of [middle(), 1]) {
      const original = at(seq);
      await tamper(async (tx) => {
        await tx.delete(auditEvents).where(eq(auditEvents.id, original.id));
      });
      const result = await verify();
      expect(result.ok).toBe(false);
      expect(result.broken).toMatchObject({ seq, reason: expect.stringMatching(new RegExp(`^gap: expected #${seq} next, found #${seq + 1}`)) });
      expect(result.sealed).toBe(chain.length - 1);
      await putBack([original]);
    }
  });

  it("swapping two events' content is detected at the first of them", async () => {
    const seq = middle();
    const [a, b] = [at(seq), at(seq + 1)];
    const content = (r: AuditEventRow) => {
      const { id: _i, seq: _s, prevHash: _p, hash: _h, sealedAt: _t, eventId: _e, ...rest } = r;
      void [_i, _s, _p, _h, _t, _e];
      return rest;
    };
    await tamper(async (tx) => {
      await tx.update(auditEvents).set(content(b)).where(eq(auditEvents.id, a.id));
      await tx.update(auditEvents).set(content(a)).where(eq(auditEvents.id, b.id));
    });
    expect((await verify()).broken).toMatchObject({ seq, reason: expect.stringMatching(/^hash mismatch/) });
    await putBack([a, b]);
  });

  it("swapping two events' positions (reordering, hashes kept) is detected at the first of them", async () => {
    const seq = middle();
    const [a, b] = [at(seq), at(seq + 1)];
    await tamper(async (tx) => {
      await tx.update(auditEvents).set({ seq: -1 }).where(eq(auditEvents.id, a.id));
      await tx.update(auditEvents).set({ seq }).where(eq(auditEvents.id, b.id));
      await tx.update(auditEvents).set({ seq: seq + 1 }).where(eq(auditEvents.id, a.id));
    });
    expect((await verify()).broken).toMatchObject({
      seq,
      reason: expect.stringMatching(/^prev_hash does not match the previous event's hash \(reordered/),
    });
    await putBack([a, b]);
  });

  it("a forged event appended after the head is detected at its seq", async () => {
    const head = chain.at(-1)!;
    const forged = { ...head, id: head.id + 1_000_000, eventId: randomUUID(), seq: head.seq! + 1, prevHash: head.hash, hash: "f".repeat(64) };
    await tamper(async (tx) => {
      await tx.insert(auditEvents).values(forged);
    });
    expect((await verify()).broken).toMatchObject({ seq: head.seq! + 1, reason: expect.stringMatching(/^hash mismatch/) });
    // (afterEach removes the forgery, with the trigger switched off: the trigger refuses DELETE.)
  });
});
