// The verifier over a chain longer than its pages (issue 15): it reads several 10,000-event pages
// ahead on separate connections while it hashes, and checks each MAC with the reused-buffer HMAC.
// Whatever is tampered with, in the middle of a page or across a page boundary (where the
// read-ahead was already in flight), it must still name the first broken event exactly.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf, type Database } from "@/db/client";
import { verifyAuditChain, verifyAuditEvidence } from "@/lib/audit/verify";
import { seedAuditEvents } from "../../scripts/bench/audit-seed";
import { ADMIN_URL } from "../setup/postgres-global";
import { createDedicatedDatabase, pointAppAt, type DedicatedDatabase } from "../support/dedicated-db";

const EVENTS = 20_000;

let dedicated: DedicatedDatabase;
let restore: () => void;
let db: Database;

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
}, 120_000);

afterAll(async () => {
  restore?.();
  await dedicated?.drop();
});

describe("verify over many pages", () => {
  it("an untouched chain of 20,000 events verifies, with every request reconciled", async () => {
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true, sealed: EVENTS, head: { seq: EVENTS }, broken: null });
    const evidence = await verifyAuditEvidence({ db, sinkFile: null });
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
      expect((await verifyAuditChain({ db })).broken).toEqual({ seq, eventId, reason: "hash mismatch: the event's content was altered after it was sealed" });
    } finally {
      await tamper((tx) => tx.execute(sql`update audit_events set payload = ${before!.payload}::jsonb where seq = ${seq}`));
    }
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it("names a gap across a page boundary (events removed at #10,000 and #10,001)", async () => {
    await tamper((tx) => tx.execute(sql`update audit_events set seq = -seq where seq in (10000, 10001)`));
    try {
      expect((await verifyAuditChain({ db })).broken).toEqual({ seq: 10_000, reason: "gap: expected #10000 next, found #10002 (events missing or deleted)" });
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
      expect((await verifyAuditChain({ db })).broken).toEqual({ seq: forged, eventId: eventIds.forged, reason: 'MAC under an unknown key id "forger"' });
      await tamper((tx) => tx.execute(sql`update audit_events set action = 'edited.action' where seq = ${alsoAltered}`));
      const result = await verifyAuditEvidence({ db, sinkFile: null });
      expect(result.ok).toBe(false);
      expect(result.broken).toEqual({ seq: alsoAltered, eventId: eventIds.altered, reason: "hash mismatch: the event's content was altered after it was sealed" });
      expect(result.checked.events).toBe(alsoAltered - 1);
    } finally {
      await tamper(async (tx) => {
        await tx.execute(sql`update audit_events set mac = ${before!.mac} where seq = ${forged}`);
        await tx.execute(sql`update audit_events set action = ${before!.action} where seq = ${alsoAltered}`);
      });
    }
    expect((await verifyAuditEvidence({ db, sinkFile: null })).ok).toBe(true);
  });
});
