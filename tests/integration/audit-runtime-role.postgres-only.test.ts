// Issue 11, "what it must show": tampering as the server's runtime role, which is all an attacker
// holding the app's DATABASE_URL has. Each case gets a fresh PostgreSQL database owned by an owner
// role, with the app (and the attacker) connecting as the runtime role, and a checkpoint sink file
// outside it. The database refuses what it can; `verifyAuditEvidence` (`countersign audit verify`)
// names the rest: a forged event by its MAC, a rewritten request row by reconciliation, and a
// superuser's wholesale rewrite (chain re-hashed, checkpoints table emptied) through the sink.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { auditCheckpoints, auditEvents } from "@/db/schema";
import { chainHash } from "@/lib/audit/chain";
import { checkpointIfDue, forgetCheckpointsForTests, readSinkFile } from "@/lib/audit/checkpoints";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { verifyAuditEvidence } from "@/lib/audit/verify";
import { resetEnvCache } from "@/lib/config/env";
import { rotateAgentKey } from "@/lib/agents/registry";
import { claimApproval, createRequest, reportResult } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { decideAs, makeAgent, oncall, requestBody, security, TEST_ACTOR } from "../support/fixtures";

let dedicated: DedicatedDatabase;
let restore: () => void;
let sinkDir: string;
/** The attacker: the runtime role's credentials, nothing else. */
let runtime: postgres.Sql;
let pendingId: string;
let deniedId: string;

const sinkFile = () => path.join(sinkDir, "checkpoints.jsonl");
const verify = () => verifyAuditEvidence({ db: dedicated.handle.db });
const seal = () => sealPendingAuditEvents(dedicated.handle.db);

/** The PostgreSQL error code and message of a refused statement. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as { code?: string; message?: string } | null;
  expect(err, "the statement should have been refused").not.toBeNull();
  return { code: String(err!.code), message: String(err!.message) };
}

beforeAll(() => {
  sinkDir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-sink-"));
  process.env.COUNTERSIGN_CHECKPOINT_DIR = sinkDir;
  resetEnvCache();
});

afterAll(() => {
  delete process.env.COUNTERSIGN_CHECKPOINT_DIR;
  resetEnvCache();
  fs.rmSync(sinkDir, { recursive: true, force: true });
});

beforeEach(async () => {
  fs.rmSync(sinkFile(), { force: true });
  forgetCheckpointsForTests();
  dedicated = await createDedicatedDatabase({ poolSize: 5, roles: true });
  restore = await pointAppAt(dedicated.handle);
  runtime = postgres(dedicated.roles!.runtimeUrl, { max: 1, onnotice: () => {} });

  const { agent } = await makeAgent();
  for (let i = 0; i < 2; i++) {
    const { request } = await createRequest(agent, requestBody({ resource: `svc/runtime-${i}` }));
    await decideAs(request.id, oncall(), "approve", "ok", "console");
    await claimApproval(agent, request.id);
    await reportResult(agent, request.id, { status: "succeeded" });
  }
  const { request: denied } = await createRequest(agent, requestBody({ action: "iam.role.update" }));
  await decideAs(denied.id, security(), "deny", "too broad", "slack");
  deniedId = denied.id;
  const { request: pending } = await createRequest(agent, requestBody({ resource: "svc/waiting" }));
  pendingId = pending.id;
  await seal();
  await waitForSealerIdle();
});

afterEach(async () => {
  await waitForSealerIdle();
  await runtime?.end({ timeout: 5 });
  restore?.();
  await dedicated?.drop();
});

describe("the runtime role cannot rewrite history", () => {
  it("the untouched history verifies: chain, MACs, a signed checkpoint in the database and the sink, every request", async () => {
    const result = await verify();
    expect(result.broken).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.checked.events).toBe(result.head!.seq);
    expect(result.checked.checkpoints).toMatchObject({ stored: 1, sink: 1, sinkFile: sinkFile() });
    expect(result.checked.requests).toBe(4);
    // The first seal pass signed the head it reached (the next is due 10 s later); the walk held the chain to it.
    const [line] = readSinkFile(sinkFile()).lines;
    expect(line!.seq).toBeGreaterThan(0);
    expect(line!.seq).toBeLessThanOrEqual(result.head!.seq);
  });

  it("does not own the audit log: disabling its trigger, re-owning, dropping it are refused", async () => {
    for (const statement of [
      "alter table audit_events disable trigger user",
      "alter table audit_events disable trigger audit_events_no_update_delete",
      "alter table audit_checkpoints disable trigger user",
      `alter table audit_events owner to ${dedicated.roles!.runtimeRole}`,
      "drop table audit_events",
      "create or replace function audit_events_guard() returns trigger language plpgsql as $$ begin return new; end $$",
    ]) {
      const { code, message } = await refusal(runtime.unsafe(statement));
      expect(code, statement).toBe("42501");
      expect(message).toMatch(/must be owner|permission denied/);
    }
  });

  it("UPDATE, DELETE and TRUNCATE of audit events and checkpoints are refused", async () => {
    for (const statement of [
      "update audit_events set payload = '{}'::jsonb",
      "update audit_events set seq = null, hash = null where seq is not null",
      "delete from audit_events",
      "truncate audit_events",
      "update audit_checkpoints set hash = repeat('0', 64)",
      "delete from audit_checkpoints",
      "truncate audit_checkpoints",
    ]) {
      expect((await refusal(runtime.unsafe(statement))).code, statement).toBe("42501");
    }
    expect((await verify()).ok).toBe(true);
  });

  it("the seal function only continues the chain: it cannot re-seal or re-position sealed events", async () => {
    const [first] = await runtime<{ id: number; hash: string }[]>`select id, hash from audit_events where seq = 1`;
    const reseal = runtime.json([{ id: first!.id, seq: 1, prev_hash: "0".repeat(64), hash: "a".repeat(64) }]);
    expect((await refusal(runtime`select seal_audit_events(${reseal}, now())`)).code).toBe("23514");
    const [head] = await runtime<{ seq: number; hash: string }[]>`select seq::int, hash from audit_events order by seq desc nulls last limit 1`;
    const again = runtime.json([{ id: first!.id, seq: head!.seq + 1, prev_hash: head!.hash, hash: "b".repeat(64) }]);
    expect((await refusal(runtime`select seal_audit_events(${again}, now())`)).code).toBe("23514");
    expect((await verify()).ok).toBe(true);
  });

  it("a server holding only the runtime role's credentials checks the migrations instead of running them", async () => {
    const handle: DatabaseHandle = await openDatabase({ databaseUrl: dedicated.roles!.runtimeUrl, poolSize: 1 });
    try {
      await expect(migrateDatabase(handle)).resolves.toBeUndefined();
    } finally {
      await handle.close();
    }
  });
});

describe("what the runtime role can insert, or change outside the audit log, verify names", () => {
  const forge = async (mac: string | null) => {
    // A backdated approval of the pending request, by someone who never voted.
    const eventId = randomUUID();
    const actor = { kind: "user", id: randomUUID(), display: "Mallory", idp: "okta", groups: ["platform-oncall"] };
    await runtime`
      insert into audit_events (event_id, occurred_at, type, actor_kind, actor_id, actor, channel, request_id, action, environment, outcome, payload, mac)
      values (${eventId}, now() - interval '1 hour', 'review.approved', 'user', ${actor.id}, ${runtime.json(actor)}, 'console', ${pendingId},
              'deploy.service', 'staging', 'approved', ${runtime.json({ note: "lgtm", params_hash: "0".repeat(64) })}, ${mac})`;
    await seal();
    const [row] = await runtime<{ seq: number }[]>`select seq::int from audit_events where event_id = ${eventId}`;
    expect(row!.seq).toBeGreaterThan(0);
    return { eventId, seq: row!.seq };
  };

  it("a forged event without a MAC, once sealed, is named by its seq and event id", async () => {
    const { eventId, seq } = await forge(null);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toEqual({ seq, eventId, reason: expect.stringMatching(/^missing MAC/) });
    expect(result.head!.seq).toBe(seq - 1);
  });

  it("a forged event carrying another event's MAC (or a made-up one) is named too", async () => {
    const [donor] = await runtime<{ mac: string }[]>`select mac from audit_events where type = 'review.approved' limit 1`;
    const { eventId, seq } = await forge(donor!.mac);
    expect((await verify()).broken).toEqual({ seq, eventId, reason: expect.stringMatching(/^bad MAC/) });
  });

  it("a MAC under an unknown key id is named", async () => {
    const { eventId, seq } = await forge(`mallory:${"0".repeat(64)}`);
    expect((await verify()).broken).toEqual({ seq, eventId, reason: expect.stringMatching(/unknown key id "mallory"/) });
  });

  it("UPDATE requests SET status='approved' is named by the request's id", async () => {
    await runtime`update requests set status = 'approved', decided_at = now(), grant_expires_at = now() + interval '1 hour' where id = ${pendingId}`;
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ requestId: pendingId, reason: expect.stringMatching(/status in the row is "approved", its sealed events say "pending"/) });
    expect(result.checked.events).toBe(result.head!.seq);
  });

  it("a vote inserted without its event, a changed params_hash, a deleted request row: each named", async () => {
    const [review] = await runtime<{ reviewer_id: string }[]>`select reviewer_id from reviews where request_id = ${deniedId}`;
    await runtime`
      insert into reviews (id, request_id, reviewer_id, reviewer_name, idp, groups, decision, channel, created_at)
      values (${randomUUID()}, ${pendingId}, ${review!.reviewer_id}, 'Sam', 'okta', '[]'::jsonb, 'approve', 'console', now())`;
    expect((await verify()).broken).toMatchObject({ requestId: pendingId, reason: expect.stringMatching(/votes in the reviews table/) });
    await runtime`delete from reviews where request_id = ${pendingId}`;

    await runtime`update requests set params_hash = ${"f".repeat(64)} where id = ${deniedId}`;
    expect((await verify()).broken).toMatchObject({ requestId: deniedId, reason: expect.stringMatching(/params_hash in the row/) });
    const [created] = await runtime<{ payload: { params_hash: string } }[]>`select payload from audit_events where request_id = ${deniedId} and type = 'request.created'`;
    await runtime`update requests set params_hash = ${created!.payload.params_hash} where id = ${deniedId}`;
    expect((await verify()).ok).toBe(true);

    await runtime`delete from notification_outbox where request_id = ${pendingId}`;
    await runtime`delete from requests where id = ${pendingId}`;
    expect((await verify()).broken).toMatchObject({ requestId: pendingId, reason: expect.stringMatching(/its row is gone/) });
  });
});

describe("a superuser who rewrites and re-hashes the whole chain", () => {
  it("is named through the checkpoint sink outside the database", async () => {
    // A second checkpoint after more history (the next one is due 10 s later: pretend they passed).
    const { agent } = await makeAgent("second@acme.test");
    await rotateAgentKey(agent.id, TEST_ACTOR);
    await createRequest(agent, requestBody({ resource: "svc/after" }));
    await seal();
    await waitForSealerIdle();
    expect(await checkpointIfDue(dedicated.handle.db, new Date(Date.now() + 11_000))).not.toBeNull();
    const sink = readSinkFile(sinkFile()).lines;
    expect(sink).toHaveLength(2);
    // …and history goes on after that signed head.
    await createRequest(agent, requestBody({ resource: "svc/later" }));
    await seal();
    await waitForSealerIdle();

    // The superuser removes the key rotation, renumbers and re-hashes everything after it with the
    // published rule, and empties the checkpoints table (re-signing is impossible without the key).
    const superuser = await openDatabase({ databaseUrl: dedicated.roles!.superuserUrl, poolSize: 1 });
    try {
      await superuser.db.transaction(async (tx) => {
        await tx.execute(sql`alter table audit_events disable trigger user`);
        await tx.execute(sql`alter table audit_checkpoints disable trigger user`);
        const [victim] = await tx.select().from(auditEvents).where(eq(auditEvents.type, "agent.key_rotated"));
        await tx.delete(auditEvents).where(eq(auditEvents.id, victim!.id));
        const after = await tx.select().from(auditEvents).where(gt(auditEvents.seq, victim!.seq!)).orderBy(asc(auditEvents.seq));
        for (const row of after) await tx.update(auditEvents).set({ seq: -row.id }).where(eq(auditEvents.id, row.id));
        let prev = victim!.prevHash!;
        let seq = victim!.seq!;
        for (const row of after) {
          const hash = chainHash(prev, row, seq);
          await tx.update(auditEvents).set({ seq, prevHash: prev, hash }).where(eq(auditEvents.id, row.id));
          prev = hash;
          seq += 1;
        }
        await tx.delete(auditCheckpoints);
        await tx.execute(sql`alter table audit_checkpoints enable trigger user`);
        await tx.execute(sql`alter table audit_events enable trigger user`);
      });
    } finally {
      await superuser.close();
    }

    // Inside the database alone the rewrite is consistent (MACs exclude seq, hashes recomputed)…
    const inside = await verifyAuditEvidence({ db: dedicated.handle.db, sinkFile: null });
    expect(inside.broken).toBeNull();
    // …but the sink still holds the signed heads: the first one the rewritten chain disagrees with is named.
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({
      seq: sink[1]!.seq,
      reason: expect.stringContaining(`not the one signed in the checkpoint sink (${sinkFile()}, line 2)`),
    });
    const chain = await dedicated.handle.db.select().from(auditEvents).where(isNotNull(auditEvents.seq)).orderBy(asc(auditEvents.seq));
    expect(chain.at(-1)!.seq).toBeGreaterThanOrEqual(sink[1]!.seq);
  });

  it("a truncated chain (events deleted from the end) is named by a signed head beyond it", async () => {
    expect(await checkpointIfDue(dedicated.handle.db, new Date(Date.now() + 11_000))).not.toBeNull();
    const superuser = postgres(dedicated.roles!.superuserUrl, { max: 1, onnotice: () => {} });
    try {
      await superuser.begin(async (tx) => {
        await tx`alter table audit_events disable trigger user`;
        await tx`alter table audit_checkpoints disable trigger user`;
        await tx`delete from audit_events where seq = (select max(seq) from audit_events)`;
        await tx`delete from audit_checkpoints`;
        await tx`alter table audit_checkpoints enable trigger user`;
        await tx`alter table audit_events enable trigger user`;
      });
    } finally {
      await superuser.end({ timeout: 5 });
    }
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken?.reason).toMatch(/signed #\d+, but the chain ends at #\d+ \(events deleted\)/);
  });
});
