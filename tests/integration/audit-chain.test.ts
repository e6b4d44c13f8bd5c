// SPEC §2 invariant 5: the audit log is append-only and hash-chained. Runs on PostgreSQL and on
// PGlite. Tests that count every event in the table run on a database of their own (a fresh
// PostgreSQL database; on PGlite the file's in-memory database is already its own); the rest run
// on the shared test database and tolerate other files writing and sealing at the same time.
import { randomUUID } from "node:crypto";
import { asc, eq, getTableColumns, inArray, isNotNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getDb, openDatabase, rowsOf, type Database, type DatabaseHandle } from "@/db/client";
const appDb = getDb;
import { insertAuditEvents } from "@/db/queries/audit";
import { auditEvents, type AuditEventRow } from "@/db/schema";
import { revokeAgent, rotateAgentKey } from "@/lib/agents/registry";
import { chainHash, GENESIS_HASH } from "@/lib/audit/chain";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { verifyAuditChain, type ChainVerification } from "@/lib/audit/verify";
import { cancelRequest, claimApproval, createRequest, reportResult } from "@/lib/requests/lifecycle";
import { getRequestForAgent } from "@/lib/requests/read";
import {
  createDedicatedDatabase,
  onPostgres,
  pointAppAt,
  waitForSealerIdle,
  type DedicatedDatabase,
} from "../support/dedicated-db";
import { decideAs, makeAgent, oncall, requestBody, security, TEST_ACTOR } from "../support/fixtures";

const later = (ms: number) => ({ now: new Date(Date.now() + ms) });

/** One of everything the lifecycle records; returns the request ids and agent ids it touched. */
async function burstOfActivity(tag: string): Promise<{ requestIds: string[]; agentIds: string[] }> {
  const { agent } = await makeAgent();
  const { agent: spare } = await makeAgent();
  const file = (over: Parameters<typeof requestBody>[0] = {}) =>
    createRequest(agent, requestBody({ resource: `svc/${tag}-${randomUUID().slice(0, 6)}`, ...over })).then((r) => r.request.id);

  const [executed, denied, cancelled, quorum, auto, refused, expiring] = await Promise.all([
    file(),
    file(),
    file(),
    file({ action: "iam.policy.update" }),
    file({ action: "logs.service.read" }),
    file({ action: "db.primary.drop" }),
    file(),
  ]);
  await Promise.all([
    decideAs(executed, oncall(), "approve", "ship it", "console")
      .then(() => claimApproval(agent, executed))
      .then(() => reportResult(agent, executed, { status: "succeeded", detail: { pods: 3 } })),
    decideAs(denied, oncall(), "deny", "not today", "slack"),
    cancelRequest(agent, cancelled, "superseded"),
    decideAs(quorum, security("s1"), "approve", undefined, "console").then(() =>
      decideAs(quorum, security("s2"), "approve", undefined, "api"),
    ),
    claimApproval(agent, auto),
    getRequestForAgent(agent, expiring),
  ]);
  await expect(decideAs(expiring, oncall(), "approve", undefined, "console", later(2 * 3600_000))).rejects.toMatchObject({
    code: "expired",
  });
  await rotateAgentKey(spare.id, TEST_ACTOR);
  await revokeAgent(spare.id, TEST_ACTOR);
  return { requestIds: [executed, denied, cancelled, quorum, auto, refused, expiring], agentIds: [agent.id, spare.id] };
}

async function tableCounts(db: Database) {
  const [row] = await db
    .select({
      total: sql<number>`count(*)`.mapWith(Number),
      sealed: sql<number>`count(${auditEvents.seq})`.mapWith(Number),
      distinctSeq: sql<number>`count(distinct ${auditEvents.seq})`.mapWith(Number),
      minSeq: sql<number | null>`min(${auditEvents.seq})`.mapWith(Number),
      maxSeq: sql<number | null>`max(${auditEvents.seq})`.mapWith(Number),
    })
    .from(auditEvents);
  return row!;
}

/** Re-walks the whole sealed chain independently of the verifier: 1..N, linked, hashes recomputed. */
async function expectIntactChain(db: Database): Promise<AuditEventRow[]> {
  const rows = await db.select().from(auditEvents).where(isNotNull(auditEvents.seq)).orderBy(asc(auditEvents.seq));
  let prev = GENESIS_HASH;
  rows.forEach((row, i) => {
    expect(row.seq).toBe(i + 1);
    expect(row.prevHash).toBe(prev);
    expect(row.hash).toBe(chainHash(prev, row, i + 1));
    expect(row.sealedAt).not.toBeNull();
    prev = row.hash!;
  });
  return rows;
}

/** The PostgreSQL error behind drizzle's wrapper. */
function pgError(err: unknown): { code?: string; message: string } {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return { code, message: (e as Error).message };
    e = (e as { cause?: unknown }).cause;
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

async function expectRefused(op: Promise<unknown>, verb: "UPDATE" | "DELETE" | "TRUNCATE") {
  const err = await op.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${verb} should have been refused`).not.toBeNull();
  expect(pgError(err)).toEqual({ code: "42501", message: `audit_events is append-only: ${verb} refused` });
}

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back, so nothing it does is ever committed. */
async function rolledBack(db: Database, fn: (tx: Database) => Promise<void>): Promise<void> {
  await expect(
    db.transaction(async (tx) => {
      await fn(tx);
      throw new Rollback();
    }),
  ).rejects.toBeInstanceOf(Rollback);
}

describe("audit chain on a database of its own (exact counts)", () => {
  let dedicated: DedicatedDatabase | undefined;
  let restore: (() => void) | undefined;

  beforeAll(async () => {
    if (onPostgres) {
      dedicated = await createDedicatedDatabase();
      restore = await pointAppAt(dedicated.handle);
    }
  });

  afterAll(async () => {
    await waitForSealerIdle();
    restore?.();
    await dedicated?.drop();
  });

  it("a burst of lifecycle activity seals into one chain that verifies, covering every event", async () => {
    const db = await getDb();
    const { requestIds, agentIds } = await burstOfActivity("burst");
    await sealPendingAuditEvents();

    const counts = await tableCounts(db);
    const result = await verifyAuditChain();
    expect(result.broken).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.unsealed).toBe(0);
    expect(result.sealed).toBe(counts.total);
    expect(result.head?.seq).toBe(counts.total);
    expect(counts).toMatchObject({ sealed: counts.total, distinctSeq: counts.total, minSeq: 1, maxSeq: counts.total });

    const chain = await expectIntactChain(db);
    expect(result.head?.hash).toBe(chain.at(-1)!.hash);
    // Everything the burst did is in the chain.
    const mine = chain.filter((e) => (e.requestId && requestIds.includes(e.requestId)) || (!e.requestId && agentIds.includes(e.agentId!)));
    expect(new Set(mine.map((e) => e.type))).toEqual(
      new Set([
        "agent.created",
        "agent.key_rotated",
        "agent.revoked",
        "request.created",
        "review.approved",
        "review.denied",
        "request.approved",
        "request.denied",
        "request.auto_approved",
        "request.refused",
        "request.cancelled",
        "request.executed",
        "request.result",
        "request.expired",
      ]),
    );
  });

  it("20 concurrent writers, with sealers and verifiers running alongside, produce one unbroken chain", async () => {
    const db = await getDb();
    const before = (await tableCounts(db)).total;
    const WRITERS = 20;
    const ROUNDS = 5;
    let writing = true;

    const writer = async (w: number) => {
      const { agent } = await makeAgent();
      const ids: string[] = [];
      let approved = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const { request } = await createRequest(agent, requestBody({ resource: `svc/writer-${w}-${i}` }));
        ids.push(request.id);
        if ((w + i) % 3 === 0) {
          await decideAs(request.id, oncall(`rev-${w}`), "deny", "no", "console");
        } else {
          await decideAs(request.id, oncall(`rev-${w}`), "approve", undefined, "console");
          await claimApproval(agent, request.id);
          approved += 1;
        }
      }
      return { ids, approved };
    };
    // Extra sealers race the ones the writers kick; verifiers check the chain while it grows.
    const sealerLoop = async () => {
      while (writing) await sealPendingAuditEvents();
    };
    const verifications: ChainVerification[] = [];
    const verifierLoop = async () => {
      while (writing) verifications.push(await verifyAuditChain());
    };

    const background = Promise.all([sealerLoop(), sealerLoop(), verifierLoop(), verifierLoop()]);
    const written = await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const ids = written.flatMap((x) => x.ids);
    const approvedRounds = written.reduce((n, x) => n + x.approved, 0);
    writing = false;
    await background;
    await sealPendingAuditEvents();

    expect(verifications.length).toBeGreaterThan(0);
    for (const v of verifications) {
      expect(v.broken).toBeNull();
      expect(v.ok).toBe(true);
      expect(v.sealed).toBe(v.head?.seq ?? 0);
    }

    const counts = await tableCounts(db);
    // One agent.created per writer; per round created + review + decision, + executed when approved.
    expect(counts.total - before).toBe(WRITERS + ids.length * 3 + approvedRounds);
    expect(counts).toMatchObject({ sealed: counts.total, distinctSeq: counts.total, minSeq: 1, maxSeq: counts.total });
    const final = await verifyAuditChain();
    expect(final).toMatchObject({ ok: true, broken: null, sealed: counts.total, unsealed: 0, head: { seq: counts.total } });
    await expectIntactChain(db);

    // Within each request the chain keeps causal order: later transitions get later positions.
    const events = await db.select().from(auditEvents).where(inArray(auditEvents.requestId, ids)).orderBy(asc(auditEvents.id));
    for (const id of ids) {
      const seqs = events.filter((e) => e.requestId === id).map((e) => e.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs[0]).toBeGreaterThan(0);
    }
  });
});

describe("audit chain on the shared database", () => {
  it("sealing then verifying is ok while other files write, and covers this file's events", async () => {
    const db = await getDb();
    const { requestIds } = await burstOfActivity("shared");
    await sealPendingAuditEvents();
    const result = await verifyAuditChain();
    expect(result.broken).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.sealed).toBe(result.head?.seq);

    const mine = await db.select().from(auditEvents).where(inArray(auditEvents.requestId, requestIds));
    expect(mine.length).toBeGreaterThanOrEqual(requestIds.length);
    for (const e of mine) {
      // Everything committed before the seal call is sealed by it, and lies within the verified chain.
      expect(e.seq).not.toBeNull();
      expect(e.seq!).toBeLessThanOrEqual(result.head!.seq);
      expect(e.hash).toBe(chainHash(e.prevHash!, e, e.seq!));
    }
  });
});

// The guard trigger, tested as the role that owns the table (on PostgreSQL the app's runtime role
// has no UPDATE, DELETE or TRUNCATE privilege at all: audit-runtime-role.postgres-only.test.ts).
describe("the database refuses to rewrite the audit log, even to its owner", () => {
  let sealed: AuditEventRow;
  let owner: DatabaseHandle | undefined;
  const getDb = async (): Promise<Database> => owner?.db ?? appDb();

  beforeAll(async () => {
    if (onPostgres) owner = await openDatabase({ databaseUrl: inject("ownerDatabaseUrl"), poolSize: 2 });
    const { agent } = await makeAgent();
    await sealPendingAuditEvents();
    const db = await getDb();
    const [row] = await db.select().from(auditEvents).where(eq(auditEvents.agentId, agent.id));
    expect(row?.seq).not.toBeNull();
    sealed = row!;
  });

  const reread = async (id: number) => {
    const [row] = await (await getDb()).select().from(auditEvents).where(eq(auditEvents.id, id));
    return row;
  };

  it("refuses UPDATE of a sealed event's content, field by field", async () => {
    const db = await getDb();
    const edits: Partial<typeof auditEvents.$inferInsert>[] = [
      { payload: { name: "someone-else" } },
      { type: "agent.revoked" },
      { actor: { kind: "user", id: "mallory@acme.test", display: "Mallory" } },
      { actorId: "mallory@acme.test" },
      { occurredAt: new Date(0) },
      { channel: "slack" },
      { agentId: randomUUID() },
      // What the timeline searches is not evidence, but it is written once too.
      { searchText: "something else entirely" },
      { searchIds: [randomUUID()] },
    ];
    for (const edit of edits) {
      await expectRefused(db.update(auditEvents).set(edit).where(eq(auditEvents.id, sealed.id)), "UPDATE");
    }
    expect(await reread(sealed.id)).toEqual(sealed);
  });

  it("refuses UPDATE of a sealed event's hash, position or seal", async () => {
    const db = await getDb();
    for (const edit of [
      { hash: "f".repeat(64) },
      { prevHash: GENESIS_HASH },
      { seq: 9_000_000_000_000 + sealed.id },
      { sealedAt: new Date() },
      { seq: null, hash: null, prevHash: null, sealedAt: null },
    ]) {
      await expectRefused(db.update(auditEvents).set(edit).where(eq(auditEvents.id, sealed.id)), "UPDATE");
    }
    expect(await reread(sealed.id)).toEqual(sealed);
  });

  it("guards every column: the content trigger names each one but the four the seal writes", async () => {
    const db = await getDb();
    const rows = rowsOf<{ name: string; guarded: boolean }>(
      await db.execute(sql`
        select a.attname as name, a.attnum = any (t.tgattr::int2[]) as guarded
          from pg_attribute a, pg_trigger t
         where a.attrelid = 'audit_events'::regclass and a.attnum > 0 and not a.attisdropped
           and t.tgrelid = a.attrelid and t.tgname = 'audit_events_no_update_delete'`),
    );
    // Every column the schema declares is in the table, and so in this check.
    expect(rows.map((r) => r.name).sort()).toEqual(Object.values(getTableColumns(auditEvents)).map((c) => c.name).sort());
    expect(rows.filter((r) => !r.guarded).map((r) => r.name).sort()).toEqual(["hash", "prev_hash", "sealed_at", "seq"]);
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["payload", "mac", "search_text", "search_ids"]));
    // The column triggers are equivalent to one row guard only while no other trigger rewrites a row
    // before them: the table's triggers are exactly these (adding one means revisiting 0019).
    const triggers = rowsOf<{ name: string }>(
      await db.execute(sql`select tgname as name from pg_trigger where tgrelid = 'audit_events'::regclass and not tgisinternal order by tgname`),
    );
    expect(triggers.map((t) => t.name)).toEqual([
      "audit_events_no_truncate",
      "audit_events_no_update_delete",
      "audit_events_seal_once",
      "audit_events_search_text_fallback",
    ]);
  });

  it("a row inserted without its searchable text (an older server, hand-written SQL) gets the text the column used to derive", async () => {
    await rolledBack(await getDb(), async (tx) => {
      const payload = { note: "Rolling UPGRADE", ref: "0b7e5c1a-3f7d-4c6e-9a55-1d2e3f4a5b6c" };
      const [row] = rowsOf<{ search_text: string | null; search_ids: string[] | null }>(
        await tx.execute(sql`
          insert into audit_events (event_id, occurred_at, type, actor_kind, actor_id, actor, channel, payload)
          values (${randomUUID()}, now(), 'policy.loaded', 'system', 'countersign', ${JSON.stringify(SYSTEM_ACTOR)}::jsonb, 'system', ${JSON.stringify(payload)}::jsonb)
          returning search_text, search_ids`),
      );
      expect(row!.search_ids).toBeNull();
      expect(row!.search_text).toContain("policy.loaded countersign");
      expect(row!.search_text).toContain("rolling upgrade");
      expect(row!.search_text).toContain(payload.ref);
    });
  });

  it("refuses DELETE and TRUNCATE", async () => {
    const db = await getDb();
    await expectRefused(db.delete(auditEvents).where(eq(auditEvents.id, sealed.id)), "DELETE");
    await expectRefused(db.execute(sql`truncate audit_events`), "TRUNCATE");
    expect(await reread(sealed.id)).toEqual(sealed);
    expect((await tableCounts(db)).total).toBeGreaterThan(0);
  });

  it("allows the one-time seal of an unsealed event, and nothing else on it", async () => {
    // Inside a transaction that is rolled back, so no hand-made seal ever reaches the shared chain.
    await rolledBack(await getDb(), async (tx) => {
      const event = auditEvent({ type: "policy.loaded", actor: SYSTEM_ACTOR, channel: "system", at: new Date(), payload: { test: true } });
      await insertAuditEvents(tx, [event]);
      const [row] = await tx.select().from(auditEvents).where(eq(auditEvents.eventId, event.eventId));
      expect(row!.seq).toBeNull();
      const attempt = (edit: Partial<typeof auditEvents.$inferInsert>) =>
        tx.transaction((sp) => sp.update(auditEvents).set(edit).where(eq(auditEvents.id, row!.id)));
      const seal = { seq: 9_000_000_000_000 + row!.id, prevHash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, row!, 1), sealedAt: new Date() };

      // Not yet sealed: its content is just as immutable, and so is a seal that changes content or
      // lacks a hash; a delete is refused too.
      await expectRefused(attempt({ payload: { test: false } }), "UPDATE");
      await expectRefused(attempt({ ...seal, payload: { test: false } }), "UPDATE");
      await expectRefused(attempt({ ...seal, searchText: "planted words" }), "UPDATE");
      await expectRefused(attempt({ ...seal, searchIds: [GENESIS_HASH] }), "UPDATE");
      await expectRefused(attempt({ seq: seal.seq }), "UPDATE");
      await expectRefused(
        tx.transaction((sp) => sp.delete(auditEvents).where(eq(auditEvents.id, row!.id))),
        "DELETE",
      );

      // The sealer's UPDATE: position and hash on a row that has none, content untouched.
      const sealedRows = await tx.update(auditEvents).set(seal).where(eq(auditEvents.id, row!.id)).returning({ seq: auditEvents.seq });
      expect(sealedRows).toEqual([{ seq: seal.seq }]);
      // …exactly once.
      await expectRefused(attempt({ seq: seal.seq + 1, hash: "e".repeat(64) }), "UPDATE");
    });
  });

  afterAll(async () => {
    await owner?.close();
  });
});

