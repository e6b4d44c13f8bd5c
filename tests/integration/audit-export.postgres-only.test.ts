// The export on PostgreSQL is one `COPY … TO STDOUT` passed through as the client reads. A client
// that goes away mid-export must not strand the COPY or its connection: the pool here has two
// connections, an export reserves one for its length (so a leak would hang the exports after), and
// at most one export runs at a time on a pool that small.
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { auditorViewer } from "../support/fixtures";
import { exportTimeline, timelineQuery } from "@/lib/audit/timeline";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";

const auditor: Viewer = auditorViewer();
const ROWS = 40_000;

let dedicated: DedicatedDatabase;
let restore: () => void;
let raw: postgres.Sql;

beforeAll(async () => {
  dedicated = await createDedicatedDatabase({ poolSize: 2 });
  restore = await pointAppAt(dedicated.handle);
  raw = postgres(dedicated.handle.url!, { max: 1, onnotice: () => {} });
  // Sealed-looking events (the timeline shows sealed ones; the chain itself is not checked here).
  await raw.unsafe(`
    insert into audit_events (event_id, occurred_at, type, actor_kind, actor_id, actor, channel, payload, seq, prev_hash, hash, sealed_at)
    select gen_random_uuid(), now() - i * interval '1 second', 'auth.signed_in', 'user', 'u' || (i % 50) || '@acme.test',
           jsonb_build_object('kind', 'user', 'id', 'u' || (i % 50) || '@acme.test', 'display', 'User ' || i),
           'console', jsonb_build_object('note', repeat('x', 200)), i, lpad(to_hex(i - 1), 64, '0'), lpad(to_hex(i), 64, '0'), now()
      from generate_series(1, ${ROWS}) i`);
}, 60_000);

afterAll(async () => {
  await raw?.end({ timeout: 5 });
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

const activeCopies = async () =>
  (await raw<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'copy (%' and state <> 'idle'`)[0]!.n;

it("a reader that stops mid-export cancels the COPY and frees its connection", async () => {
  for (const format of ["csv", "ndjson"] as const) {
    const { stream } = await exportTimeline(auditor, timelineQuery.parse({}), format);
    const reader = stream.getReader();
    let received = 0;
    while (received < 100_000) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the export ended after ${received} bytes`);
      received += value.length;
    }
    // Most of the view is still on the server: the COPY is running (paused on a full socket).
    expect(await activeCopies()).toBe(1);
    await reader.cancel();
    // A bound, not a timing: on a loaded 2-core machine the cancel reaches the server in seconds.
    await expect.poll(activeCopies, { timeout: 20_000 }).toBe(0);
  }
  // Both connections are back: exports and queries run to the end, each one complete.
  for (let i = 0; i < 3; i++) {
    // (Every event would include the audit.exported events of the exports before, once sealed.)
    const text = await new Response((await exportTimeline(auditor, timelineQuery.parse({ type: "auth.signed_in" }), "ndjson")).stream).text();
    const lines = text.trimEnd().split("\n");
    expect((JSON.parse(lines.at(-1)!) as { _export: { rows: number } })._export.rows).toBe(lines.length - 1);
    expect(lines.length - 1).toBe(ROWS);
  }
}, 60_000);

it("a COPY that fails mid-stream ends the export without its trailer, and the connection is reused", async () => {
  const { stream } = await exportTimeline(auditor, timelineQuery.parse({}), "csv");
  const reader = stream.getReader();
  await reader.read();
  // Another session ends the export's backend, as a restart or an administrator would.
  await raw`select pg_cancel_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'copy (%'`;
  let text = "";
  const decoder = new TextDecoder();
  await expect(
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })(),
  ).rejects.toThrow(/cancel/i);
  expect(text).not.toContain("#export");
  const again = await new Response((await exportTimeline(auditor, timelineQuery.parse({ type: "auth.signed_in" }), "csv")).stream).text();
  expect(again.trimEnd().split("\n").at(-1)).toMatch(/^#export,/);
}, 60_000);

it("at most a third of the pool (here: one connection of two) goes to exports; the next is refused until one ends", async () => {
  const exportsRecorded = async () =>
    (await raw<{ n: number }[]>`select count(*)::int as n from audit_events where type = 'audit.exported'`)[0]!.n;
  const first = await exportTimeline(auditor, timelineQuery.parse({}), "csv");
  const reader = first.stream.getReader();
  await reader.read();
  const recorded = await exportsRecorded();
  const refused = await exportTimeline(auditor, timelineQuery.parse({}), "ndjson").catch((err: unknown) => err);
  expect(refused).toMatchObject({ code: "rate_limited", status: 429, retryAfterSeconds: 10 });
  expect((refused as Error).message).toContain("at most 1 at a time");
  expect(await exportsRecorded()).toBe(recorded); // a refused export is not recorded as one
  // The console and the API still have their connection meanwhile.
  expect(await raw`select 1`).toHaveLength(1);
  await reader.cancel();
  const text = await new Response((await exportTimeline(auditor, timelineQuery.parse({ type: "audit.exported" }), "ndjson")).stream).text();
  expect(text.trimEnd().split("\n").at(-1)).toContain('"_export"');
}, 60_000);
