// The audit timeline's query layer and export: filters, keyset pages, exact export of the filtered
// view with its trailer, and the export recorded as an audit event. Runs on its own database so
// row counts are exact.
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { exportTimeline, listTimeline, timelineQuery, type TimelineEvent } from "@/lib/audit/timeline";
import { createRequest, decideRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { makeAgent, oncall, requestBody, security } from "../support/fixtures";

const auditor: Viewer = { id: "audrey@acme.test", email: "audrey@acme.test", name: "Audrey", idp: "okta", groups: ["compliance"], roles: ["auditor"] };
const reviewerViewer: Viewer = { ...oncall(), roles: ["reviewer"] };

let dedicated: DedicatedDatabase;
let restore: () => void;

beforeAll(async () => {
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  const { agent } = await makeAgent();
  for (let i = 0; i < 12; i++) {
    const { request } = await createRequest(agent, requestBody({ resource: `svc/r${i}` }));
    if (i % 3 === 0) await decideRequest(request.id, oncall(), "approve", "ok", "console");
    if (i % 3 === 1) await decideRequest(request.id, oncall(), "deny", `no ${i}`, "console");
  }
  for (let i = 0; i < 4; i++) {
    const { request } = await createRequest(agent, requestBody({ action: "iam.policy.update", resource: `role/r${i}` }));
    await decideRequest(request.id, security(), "approve", undefined, "slack");
  }
  await sealPendingAuditEvents();
}, 60_000);

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

const q = (params: Record<string, string>) => timelineQuery.parse(params);

async function all(params: Record<string, string>): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listTimeline(auditor, q({ ...params, limit: "5", ...(after ? { after } : {}) }));
    out.push(...page.events);
    if (!page.nextCursor) return out;
    after = page.nextCursor;
  }
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("audit timeline", () => {
  it("filters by action and risk, and keyset pages cover the view exactly once, newest first", async () => {
    const everything = await all({});
    const iam = await all({ action: "iam.policy.update" });
    expect(iam.length).toBe(4 * 2); // per request: request.created + review.approved (1 of 2 needed)
    expect(new Set(iam.map((e) => e.id)).size).toBe(iam.length);
    expect(iam.every((e) => e.action === "iam.policy.update")).toBe(true);
    const times = everything.map((e) => `${e.occurred_at}|${String(e.id).padStart(10, "0")}`);
    expect(times).toEqual([...times].sort().reverse());
    const high = await all({ risk: "high" });
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((e) => e.risk_level === "high")).toBe(true);
    const combined = await all({ action: "deploy.service.release", outcome: "denied" });
    expect(combined.length).toBe(8); // 4 review.denied + 4 request.denied
  });

  it("sorts by type ascending with stable keyset pages", async () => {
    const byType = await all({ sort: "type", dir: "asc" });
    const keys = byType.map((e) => e.type);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(byType.map((e) => e.id)).size).toBe(byType.length);
  });

  it("free text finds notes and actors, case-insensitively, with LIKE wildcards taken literally", async () => {
    const notes = await all({ q: "No 4" });
    expect(notes.map((e) => e.type).sort()).toEqual(["request.denied", "review.denied"]);
    expect((await all({ q: "%" })).length).toBe(0);
  });

  it("exports exactly the filtered rows as CSV and NDJSON, with a trailer, and records the export", async () => {
    const view = await all({ action: "deploy.service.release", type: "review.approved,review.denied" });
    const csv = await exportTimeline(auditor, q({ action: "deploy.service.release", type: "review.approved,review.denied" }), "csv");
    const records = parse(await readText(csv.stream), { relax_column_count: true }) as string[][];
    const [header, ...rest] = records;
    expect(header?.slice(0, 4)).toEqual(["seq", "event_id", "occurred_at", "type"]);
    const trailer = rest.at(-1)!;
    expect(trailer[0]).toBe("#export");
    const summary = JSON.parse(trailer[1]!);
    expect(summary).toMatchObject({ rows: view.length, filter: { action: "deploy.service.release", type: "review.approved,review.denied" } });
    expect(summary.chain_head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rest.slice(0, -1).map((r) => r[1])).toEqual(view.map((e) => e.event_id));

    const nd = await exportTimeline(auditor, q({ action: "deploy.service.release", type: "review.approved,review.denied" }), "ndjson");
    const lines = (await readText(nd.stream)).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)._export.rows).toBe(view.length);
    expect(lines.slice(0, -1).map((e: TimelineEvent) => e.event_id)).toEqual(view.map((e) => e.event_id));

    await sealPendingAuditEvents();
    const exports = await all({ type: "audit.exported" });
    expect(exports.length).toBeGreaterThanOrEqual(2);
    expect(exports[0]!.actor.id).toBe(auditor.id);
    expect(exports[0]!.payload).toMatchObject({ filter: { action: "deploy.service.release" } });
  });

  it("only auditors and admins export; every role reads", async () => {
    await expect(exportTimeline(reviewerViewer, q({}), "csv")).rejects.toMatchObject({ code: "forbidden" });
    await expect(exportTimeline(null, q({}), "csv")).rejects.toMatchObject({ code: "unauthorized" });
    await expect(listTimeline(null, q({}))).rejects.toMatchObject({ code: "unauthorized" });
    expect((await listTimeline(reviewerViewer, q({ limit: "1" }))).events).toHaveLength(1);
  });
});
