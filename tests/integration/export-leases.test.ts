// Audit exports are bounded across every instance on the database (issue 12), on PostgreSQL and on
// the embedded database: COUNTERSIGN_EXPORT_CONCURRENCY leases in export_leases. Another instance's
// live lease counts; a crashed instance's lapsed lease does not; a refused export records nothing.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, rowsOf } from "@/db/client";
import { renewExportLease, takeExportLease } from "@/db/queries/export-leases";
import { exportTimeline, timelineQuery } from "@/lib/audit/timeline";
import { resetEnvCache } from "@/lib/config/env";
import { usePrivateDatabase } from "../support/dedicated-db";
import { auditorViewer } from "../support/fixtures";

const auditor = auditorViewer();
const saved = process.env.COUNTERSIGN_EXPORT_CONCURRENCY;
let restore: () => Promise<void> = async () => {};

beforeAll(async () => {
  process.env.COUNTERSIGN_EXPORT_CONCURRENCY = "1";
  resetEnvCache();
  // The leases are the database's: a database of its own, so other files' exports do not count here.
  restore = await usePrivateDatabase({ poolSize: 6 });
  // Enough sealed-looking events that an export streams for a while (the chain itself is not checked here).
  await (await getDb()).execute(sql`
    insert into audit_events (event_id, occurred_at, type, actor_kind, actor_id, actor, channel, payload, seq, prev_hash, hash, sealed_at)
    select gen_random_uuid(), now() - i * interval '1 second', 'auth.signed_in', 'user', 'u' || (i % 50) || '@acme.test',
           jsonb_build_object('kind', 'user', 'id', 'u' || (i % 50) || '@acme.test', 'display', 'User ' || i),
           'console', jsonb_build_object('note', repeat('x', 200)), i, lpad(to_hex(i - 1), 64, '0'), lpad(to_hex(i), 64, '0'), now()
      from generate_series(1, 20000) i`);
}, 60_000);
afterAll(async () => {
  if (saved === undefined) delete process.env.COUNTERSIGN_EXPORT_CONCURRENCY;
  else process.env.COUNTERSIGN_EXPORT_CONCURRENCY = saved;
  resetEnvCache();
  await restore();
});

const exportsRecorded = async () =>
  rowsOf<{ n: number }>(await (await getDb()).execute(sql`select count(*)::int as n from audit_events where type = 'audit.exported'`))[0]!.n;
const leases = async () => rowsOf<{ n: number }>(await (await getDb()).execute(sql`select count(*)::int as n from export_leases`))[0]!.n;
const start = () => exportTimeline(auditor, timelineQuery.parse({}), "ndjson");
const complete = async () => (await new Response((await start()).stream).text()).trimEnd().split("\n").at(-1);

describe("audit exports share COUNTERSIGN_EXPORT_CONCURRENCY leases", () => {
  it("a second export while one runs is refused 429 and not recorded; the place is free again when it ends", async () => {
    const first = await start();
    const reader = first.stream.getReader();
    await reader.read();
    expect(await leases()).toBe(1);
    const recorded = await exportsRecorded();
    const refused = await start().catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: "rate_limited", status: 429, retryAfterSeconds: 10 });
    expect((refused as Error).message).toContain("across all instances");
    expect(await exportsRecorded()).toBe(recorded);
    await reader.cancel();
    await expect.poll(leases).toBe(0);
    expect(await complete()).toContain('"_export"');
    await expect.poll(leases).toBe(0); // a finished export lets its lease go too
  });

  it("another instance's live lease counts; a crashed instance's lapsed lease does not", async () => {
    const db = await getDb();
    await db.execute(sql`insert into export_leases (slot, holder, expires_at) values (0, gen_random_uuid(), now() + interval '1 minute')`);
    expect(await start().catch((err: unknown) => (err as { code?: string }).code)).toBe("rate_limited");
    await db.execute(sql`update export_leases set expires_at = now() - interval '1 second'`);
    expect(await complete()).toContain('"_export"');
  });

  it("only the holder renews its lease, and renewing moves its expiry forward", async () => {
    const db = await getDb();
    await db.execute(sql`delete from export_leases`);
    const holder = "6f1c2d7e-0000-4000-8000-000000000001";
    expect(await takeExportLease(db, 1, holder, 1_000)).toBe(0);
    expect(await takeExportLease(db, 1, "6f1c2d7e-0000-4000-8000-000000000002", 1_000)).toBeNull();
    const expiry = async () => rowsOf<{ t: string }>(await db.execute(sql`select expires_at::text as t from export_leases`))[0]!.t;
    const before = await expiry();
    expect(await renewExportLease(db, 0, holder, 60_000)).toBe(true);
    expect(await expiry()).not.toBe(before);
    expect(await renewExportLease(db, 0, "6f1c2d7e-0000-4000-8000-000000000002", 60_000)).toBe(false);
    await db.execute(sql`delete from export_leases`);
  });
});
