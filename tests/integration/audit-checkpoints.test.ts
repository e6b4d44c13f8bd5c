// Signed checkpoints end to end (issue 11), on PostgreSQL and PGlite: the seal pass signs the head
// when one is due (at most 10 s apart while events arrive), stores it, appends it to the sink file
// and POSTs it to COUNTERSIGN_CHECKPOINT_URL; `verifyAuditEvidence` holds the chain to all of them
// and names a sink line that was edited.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectCheckpoints } from "@/db/queries/audit";
import { checkpointIfDue, CHECKPOINT_INTERVAL_MS, forgetCheckpointsForTests, readSinkFile, verifyCheckpoint } from "@/lib/audit/checkpoints";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { verifyAuditEvidence } from "@/lib/audit/verify";
import { resetEnvCache } from "@/lib/config/env";
import { keyRing } from "@/lib/evidence/keys";
import { createRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { makeAgent, requestBody } from "../support/fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";

let dedicated: DedicatedDatabase;
let restore: () => void;
let sinkDir: string;
let receiver: WebhookReceiver;
const sinkFile = () => path.join(sinkDir, "checkpoints.jsonl");

beforeAll(async () => {
  sinkDir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-sink-"));
  receiver = await startWebhookReceiver();
  process.env.COUNTERSIGN_CHECKPOINT_DIR = sinkDir;
  process.env.COUNTERSIGN_CHECKPOINT_URL = `${receiver.url}/checkpoints`;
  resetEnvCache();
  forgetCheckpointsForTests();
  dedicated = await createDedicatedDatabase({ poolSize: 5 });
  restore = await pointAppAt(dedicated.handle);
});

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
  await receiver?.close();
  delete process.env.COUNTERSIGN_CHECKPOINT_DIR;
  delete process.env.COUNTERSIGN_CHECKPOINT_URL;
  resetEnvCache();
  fs.rmSync(sinkDir, { recursive: true, force: true });
});

describe("signed checkpoints", () => {
  it("are signed when due, stored, appended to the sink and posted, and verify", async () => {
    const db = dedicated.handle.db;
    const { agent } = await makeAgent();
    await createRequest(agent, requestBody({ resource: "svc/cp-1" }));
    await sealPendingAuditEvents(db);
    await waitForSealerIdle();
    const t0 = Date.now();

    const stored = await selectCheckpoints(db);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    const sink = readSinkFile(sinkFile()).lines;
    expect(sink.map((l) => l.jws)).toEqual(stored.map((c) => c.jws));
    await expect.poll(() => receiver.received.length).toBe(stored.length);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ seq: stored[0]!.seq, hash: stored[0]!.hash, jws: stored[0]!.jws });
    const checked = await verifyCheckpoint(stored[0]!.jws, (await keyRing()).jwks);
    expect(checked).toMatchObject({ ok: true, claims: { seq: stored[0]!.seq, hash: stored[0]!.hash } });

    // More events: not due again until the interval has (nearly) passed; nothing new, nothing signed.
    await createRequest(agent, requestBody({ resource: "svc/cp-2" }));
    await sealPendingAuditEvents(db);
    await waitForSealerIdle();
    expect(await checkpointIfDue(db, new Date(t0 + 2_000))).toBeNull();
    const next = await checkpointIfDue(db, new Date(t0 + CHECKPOINT_INTERVAL_MS));
    expect(next).not.toBeNull();
    expect(next!.seq).toBeGreaterThan(stored.at(-1)!.seq);
    expect(await checkpointIfDue(db, new Date(t0 + 3 * CHECKPOINT_INTERVAL_MS))).toBeNull();

    const result = await verifyAuditEvidence({ db });
    expect(result.broken).toBeNull();
    expect(result.checked.checkpoints).toMatchObject({ stored: stored.length + 1, sink: stored.length + 1, latest: { seq: next!.seq } });
    expect(result.checked.requests).toBe(2);
  });

  it("an edited sink line is named (its signature no longer covers it)", async () => {
    const original = fs.readFileSync(sinkFile(), "utf8");
    const lines = original.trim().split("\n");
    const first = JSON.parse(lines[0]!) as { hash: string };
    lines[0] = JSON.stringify({ ...first, hash: "0".repeat(64) });
    fs.writeFileSync(sinkFile(), `${lines.join("\n")}\n`);
    try {
      const result = await verifyAuditEvidence({ db: dedicated.handle.db });
      expect(result.ok).toBe(false);
      expect(result.broken?.reason).toMatch(/line 1\): its seq or hash differs from what it signs/);
    } finally {
      fs.writeFileSync(sinkFile(), original);
    }
    expect((await verifyAuditEvidence({ db: dedicated.handle.db })).ok).toBe(true);
  });
});
