// The verifier over a chain longer than its pages (issue 15): it reads several 10,000-event pages
// ahead on separate connections while it hashes, and checks each MAC with the reused-buffer HMAC.
// Whatever is tampered with, in the middle of a page or across a page boundary (where the
// read-ahead was already in flight), it must still name the first broken event exactly.
//
// Every check runs twice: sequentially, and as `countersign audit verify` runs it on PostgreSQL —
// worker threads verifying chunks (here 1,500 events, read 500 at a time, so a 20,000-event chain is
// 14 chunks over 2 threads) that the main thread links — and both must give the same answer, to
// the field. The parallel walk may only vouch for linked, all-good chunks; at the first doubt the
// sequential walk takes over and names the failure.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf, type Database } from "@/db/client";
import { verifyAuditChain, verifyAuditEvidence, type ParallelVerify } from "@/lib/audit/verify";
import { parallelVerifier } from "@/lib/audit/verify-parallel";
import { seedAuditEvents } from "../../scripts/bench/audit-seed";
import { ADMIN_URL } from "../setup/postgres-global";
import { createDedicatedDatabase, pointAppAt, type DedicatedDatabase } from "../support/dedicated-db";

const EVENTS = 20_000;

let dedicated: DedicatedDatabase;
let restore: () => void;
let db: Database;
let workers: ParallelVerify;
/** What each parallel pass vouched for (the end of its linked, all-good prefix). */
let vouched: (number | null)[] = [];
const parallel: ParallelVerify = async (job) => {
  const result = await workers(job);
  vouched.push(result.through?.seq ?? null);
  expect(result.threads).toBe(2);
  return result;
};

/** verifyAuditChain sequentially and on worker threads: the same answer, to the field. */
async function verifyChain() {
  vouched = [];
  const sequential = await verifyAuditChain({ db });
  expect(await verifyAuditChain({ db, parallel })).toEqual(sequential);
  return sequential;
}

/** verifyAuditEvidence (chain, MACs, checkpoints, every request reconciled) both ways. */
async function verifyEvidence() {
  vouched = [];
  const sequential = await verifyAuditEvidence({ db, sinkFile: null });
  expect(await verifyAuditEvidence({ db, sinkFile: null, parallel })).toEqual(sequential);
  return sequential;
}

/** Runs `fn` as the superuser with the append-only trigger off, in one transaction. */
async function tamper(fn: (tx: Database) => Promise<unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger user`);
    await fn(tx);
    await tx.execute(sql`alter table audit_events enable trigger user`);
  });
}

async function eventIdAt(seq: number): Promise<string> {
  const rows = rowsOf<{ id: string }>(await db.execute(sql`select event_id::text as id from audit_events where seq = ${seq}`));
  return rows[0]!.id;
}

beforeAll(async () => {
  dedicated = await createDedicatedDatabase({ poolSize: 5 });
  db = dedicated.handle.db;
  restore = await pointAppAt(dedicated.handle);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dedicated.name}`;
  await seedAuditEvents({ databaseUrl: url.toString(), events: EVENTS, days: 30 });
  workers = parallelVerifier({ databaseUrl: url.toString(), threads: 2, chunk: 1_500, page: 500, minEvents: 0 });
}, 120_000);

afterAll(async () => {
  restore?.();
  await dedicated?.drop();
});

describe("verify over many pages", () => {
  it("an untouched chain of 20,000 events verifies, with every request reconciled", async () => {
    expect(await verifyChain()).toMatchObject({ ok: true, sealed: EVENTS, head: { seq: EVENTS }, broken: null });
    // The workers vouched for the whole chain: the sequential walk only confirmed nothing followed.
    expect(vouched).toEqual([EVENTS]);
    const evidence = await verifyEvidence();
    expect(vouched).toEqual([EVENTS]);
    expect(evidence).toMatchObject({ ok: true, broken: null });
    expect(evidence.checked.events).toBe(EVENTS);
    expect(evidence.checked.requests).toBeGreaterThan(1000);
  });

  it("names an event altered in the middle of the second page", async () => {
    const seq = 12_345;
    const eventId = await eventIdAt(seq);
    const [before] = rowsOf<{ payload: string }>(await db.execute(sql`select payload::text as payload from audit_events where seq = ${seq}`));
    await tamper((tx) => tx.execute(sql`update audit_events set payload = payload || '{"edited_by":"someone"}'::jsonb where seq = ${seq}`));
    try {
      expect((await verifyChain()).broken).toEqual({ seq, eventId, reason: "hash mismatch: the event's content was altered after it was sealed" });
      // Chunk 9 (#12,001–#13,500) holds it: only the eight before it were vouched for.
      expect(vouched).toEqual([12_000]);
    } finally {
      await tamper((tx) => tx.execute(sql`update audit_events set payload = ${before!.payload}::jsonb where seq = ${seq}`));
    }
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it("names a gap across a page boundary (events removed at #10,000 and #10,001)", async () => {
    await tamper((tx) => tx.execute(sql`update audit_events set seq = -seq where seq in (10000, 10001)`));
    try {
      expect((await verifyChain()).broken).toEqual({ seq: 10_000, reason: "gap: expected #10000 next, found #10002 (events missing or deleted)" });
    } finally {
      await tamper((tx) => tx.execute(sql`update audit_events set seq = -seq where seq in (-10000, -10001)`));
    }
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it("names a forged MAC near the end, and the first of two broken events", async () => {
    const forged = 19_999;
    const alsoAltered = 19_000;
    const eventIds = { forged: await eventIdAt(forged), altered: await eventIdAt(alsoAltered) };
    const [before] = rowsOf<{ mac: string; action: string | null }>(
      await db.execute(sql`select (select mac from audit_events where seq = ${forged}) as mac, (select action from audit_events where seq = ${alsoAltered}) as action`),
    );
    await tamper((tx) => tx.execute(sql`update audit_events set mac = 'forger:' || repeat('0', 64) where seq = ${forged}`));
    try {
      expect((await verifyChain()).broken).toEqual({ seq: forged, eventId: eventIds.forged, reason: 'MAC under an unknown key id "forger"' });
      await tamper((tx) => tx.execute(sql`update audit_events set action = 'edited.action' where seq = ${alsoAltered}`));
      const result = await verifyEvidence();
      expect(result.ok).toBe(false);
      expect(result.broken).toEqual({ seq: alsoAltered, eventId: eventIds.altered, reason: "hash mismatch: the event's content was altered after it was sealed" });
      expect(result.checked.events).toBe(alsoAltered - 1);
    } finally {
      await tamper(async (tx) => {
        await tx.execute(sql`update audit_events set mac = ${before!.mac} where seq = ${forged}`);
        await tx.execute(sql`update audit_events set action = ${before!.action} where seq = ${alsoAltered}`);
      });
    }
    expect((await verifyEvidence()).ok).toBe(true);
  });

  it("a chunk that does not link to the one before it (prev_hash of a chunk's first event) is named like any broken link", async () => {
    const seq = 4_501; // the first event of chunk 4: inside it, nothing looks wrong
    const eventId = await eventIdAt(seq);
    const [before] = rowsOf<{ prev: string }>(await db.execute(sql`select prev_hash as prev from audit_events where seq = ${seq}`));
    await tamper((tx) => tx.execute(sql`update audit_events set prev_hash = repeat('a', 64) where seq = ${seq}`));
    try {
      const result = await verifyChain();
      expect(result.broken).toEqual({ seq, eventId, reason: "prev_hash does not match the previous event's hash (reordered or altered chain)" });
      expect(vouched).toEqual([4_500]);
    } finally {
      await tamper((tx) => tx.execute(sql`update audit_events set prev_hash = ${before!.prev} where seq = ${seq}`));
    }
    expect((await verifyChain()).ok).toBe(true);
  });

  it("a request row edited after its events were sealed is named the same way when the ledger was replayed by workers", async () => {
    const [row] = rowsOf<{ id: string; status: string }>(
      await db.execute(sql`select id::text as id, status::text as status from requests where status = 'denied' order by id limit 1`),
    );
    await db.execute(sql`update requests set status = 'approved' where id = ${row!.id}::uuid`);
    try {
      const result = await verifyEvidence();
      expect(result.ok).toBe(false);
      expect(result.broken).toMatchObject({ requestId: row!.id, reason: expect.stringContaining('status in the row is "approved", its sealed events say "denied"') });
      expect(vouched).toEqual([EVENTS]);
    } finally {
      await db.execute(sql`update requests set status = ${row!.status}::request_status where id = ${row!.id}::uuid`);
    }
    expect((await verifyEvidence()).ok).toBe(true);
  });
});
