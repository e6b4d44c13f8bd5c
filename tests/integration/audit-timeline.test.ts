// The audit timeline's query layer and export: filters, keyset pages, exact export of the filtered
// view with its trailer, and the export recorded as an audit event. Runs on its own database so
// row counts are exact.
import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { auditEvent } from "@/lib/audit/events";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { exportTimeline, listTimeline, timelineNeighbours, timelineQuery, type TimelineEvent } from "@/lib/audit/timeline";
import { createRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { auditorViewer, decideAs, makeAgent, oncall, requestBody, security } from "../support/fixtures";

const auditor: Viewer = auditorViewer();
const reviewerViewer: Viewer = { ...auditorViewer("riley"), groups: ["platform-oncall"], roles: ["reviewer"] };

let dedicated: DedicatedDatabase;
let restore: () => void;
/** Requests filed in beforeAll, in order: [0] approved, [1] denied, [2] left pending, … */
const filed: string[] = [];
let agentId = "";

beforeAll(async () => {
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  const { agent } = await makeAgent();
  agentId = agent.id;
  for (let i = 0; i < 12; i++) {
    const { request } = await createRequest(agent, requestBody({ resource: `svc/r${i}` }));
    filed.push(request.id);
    if (i % 3 === 0) await decideAs(request.id, oncall(), "approve", "ok", "console");
    if (i % 3 === 1) await decideAs(request.id, oncall(), "deny", `no ${i}`, "console");
  }
  for (let i = 0; i < 4; i++) {
    const { request } = await createRequest(agent, requestBody({ action: "iam.policy.update", resource: `role/r${i}` }));
    await decideAs(request.id, security(), "approve", undefined, "slack");
  }
  // An event whose text needs quoting and escaping in both formats (an IdP display name can hold
  // anything), plus an empty string where a null could also be.
  const db = await getDb();
  await db.transaction((tx) =>
    insertAuditEvents(tx, [
      {
        ...auditEvent({
          type: "auth.signed_in",
          actor: { kind: "user", id: "oddity@acme.test", display: TRICKY_DISPLAY, idp: "okta", groups: [] },
          channel: "console",
          at: new Date(),
          payload: { note: 'a,b"c\\d\nnext', empty: "", nested: { list: [1, null, "\u2028"] } },
        }),
        environment: "",
      },
    ]),
  );
  await sealPendingAuditEvents();
}, 60_000);

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

const TRICKY_DISPLAY = 'Ann "Q", O\'Brien\nline2 \\ back ✓ 😀';

const q = (params: Record<string, string>) => timelineQuery.parse(params);

/** A CSV record of the export as the timeline event it was written from. */
function fromCsv(header: string[], record: string[]) {
  const r = Object.fromEntries(header.map((h, i) => [h, record[i] ?? null]));
  return {
    seq: r.seq === null ? null : Number(r.seq),
    event_id: r.event_id,
    occurred_at: r.occurred_at,
    type: r.type,
    // The readable cells name the actor; the content cell holds it whole (idp, groups, issuer…), as hashed.
    actor: (JSON.parse(r.content!) as { actor: TimelineEvent["actor"] }).actor,
    actor_cells: { kind: r.actor_kind, id: r.actor_id, display: r.actor_display, idp: r.actor_idp, groups: r.actor_groups === null ? undefined : (JSON.parse(r.actor_groups!) as string[]) },
    channel: r.channel,
    request_id: r.request_id,
    agent_id: r.agent_id,
    action: r.action,
    environment: r.environment,
    risk_level: r.risk_level,
    outcome: r.outcome,
    payload: JSON.parse(r.payload!) as unknown,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

async function exportBoth(params: Record<string, string>) {
  const csvText = await readText((await exportTimeline(auditor, q(params), "csv")).stream);
  // An unquoted empty cell is NULL, a quoted one an empty string (as COPY writes them).
  const [header, ...records] = parse(csvText, {
    relax_column_count: true,
    cast: (value, context) => (value === "" && !context.quoting && context.lines > 1 ? null : value),
  }) as string[][];
  const csvTrailer = records.pop()!;
  const ndText = await readText((await exportTimeline(auditor, q(params), "ndjson")).stream);
  const lines = ndText.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const ndTrailer = lines.pop()! as { _export: { rows: number } };
  return { csvText, header: header!, records, csvSummary: JSON.parse(csvTrailer[1]!) as { rows: number }, lines, ndSummary: ndTrailer._export };
}

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
    expect(exports[0]!.actor.id).toBe(auditor.personId);
    expect(exports[0]!.payload).toMatchObject({ filter: { action: "deploy.service.release" } });
  });

  it("exports every field of every row of the view exactly, in both formats, however odd the text", async () => {
    const view = await all({});
    const { header, records, csvSummary, lines, ndSummary, csvText } = await exportBoth({});
    // The view may have grown by the exports' own audit.exported events (sealed meanwhile): compare
    // the rows present when the view was read.
    const ids = new Set(view.map((e) => e.event_id));
    const nd = lines.filter((l) => ids.has(l.event_id as string));
    expect(nd).toEqual(view);
    const csv = records.map((r) => fromCsv(header, r)).filter((e) => ids.has(e.event_id!));
    expect(csv.map(({ actor_cells: _cells, ...e }) => e)).toEqual(view.map(({ id: _id, ...e }) => e));
    for (const e of csv) {
      const { kind, id, display, idp, groups } = e.actor;
      // Formula-like text is neutralised in readable cells (the content keeps it raw).
      const shown = (t: string | undefined) => (t !== undefined && /^[=+\-@\t\r]/.test(t) ? `'${t}` : t ?? null);
      expect(e.actor_cells).toEqual({ kind, id: shown(id), display: shown(display), idp: idp ?? null, groups });
    }
    expect(csv.some((e) => e.actor.groups?.length)).toBe(true);
    expect(csvSummary.rows).toBe(records.length);
    expect(ndSummary.rows).toBe(lines.length);

    const odd = view.find((e) => e.actor.display === TRICKY_DISPLAY)!;
    expect(odd.environment).toBe("");
    expect(odd.payload).toEqual({ note: 'a,b"c\\d\nnext', empty: "", nested: { list: [1, null, "\u2028"] } });
    // An empty string and a NULL stay apart in CSV: "" versus nothing (as PostgreSQL's COPY writes them).
    expect(csvText).toContain(`,console,,,,"",,,`);
  });

  it("free text with quotes, backslashes and SQL in it is a search, nothing more, in the export too", async () => {
    for (const text of ["O'Brien", "\\ back", '"Q"', "'); drop table audit_events; --", "\\'", "😀"]) {
      // Exports record their filter (audit.exported), so they match the texts too: leave them out.
      const view = (await all({ q: text })).filter((e) => e.type !== "audit.exported");
      const { records, lines } = await exportBoth({ q: text });
      expect(records.filter((r) => r[3] !== "audit.exported").map((r) => r[1]), text).toEqual(view.map((e) => e.event_id));
      expect(lines.filter((l) => l.type !== "audit.exported").map((l) => l.event_id), text).toEqual(view.map((e) => e.event_id));
    }
    const found = (text: string) => all({ q: text, type: "auth.signed_in" });
    expect((await found("O'Brien")).map((e) => e.actor.display)).toEqual([TRICKY_DISPLAY]);
    expect((await found("\\ back")).length).toBe(1);
    expect((await found("😀")).length).toBe(1);
    expect((await found("'); drop table audit_events; --")).length).toBe(0);
    expect((await all({ type: "auth.signed_in" })).map((e) => e.actor.display)).toEqual([TRICKY_DISPLAY]); // the table is still there
  });

  it("shows the chain: an event appears once it is sealed (with its seq and hash), not before", async () => {
    const db = await getDb();
    // A seal pass an earlier test's commit asked for would seal this event too: let it finish first.
    await waitForSealerIdle();
    const event = auditEvent({ type: "policy.loaded", actor: { kind: "system", id: "countersign", display: "Countersign" }, channel: "system", at: new Date(), payload: { marker: "not-yet-sealed" } });
    await db.transaction((tx) => insertAuditEvents(tx, [event]));
    const view = { q: "not-yet-sealed", type: "policy.loaded" };
    expect(await all(view)).toEqual([]);
    const csv = await readText((await exportTimeline(auditor, q(view), "csv")).stream);
    expect(csv).not.toContain(event.eventId);
    await sealPendingAuditEvents();
    const [shown] = await all(view);
    expect(shown).toMatchObject({ event_id: event.eventId, seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("filters by request id: exactly that request's events, through the API's names, in the export too", async () => {
    const everything = await all({});
    for (const id of [filed[0]!, filed[1]!, filed[2]!]) {
      const expected = everything.filter((e) => e.request_id === id);
      expect(expected.length).toBeGreaterThan(0);
      const view = await all({ request: id });
      expect(view.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      // A uuid in capitals names the same request.
      expect((await all({ request: id.toUpperCase() })).map((e) => e.id)).toEqual(expected.map((e) => e.id));
    }
    // approved (i = 0): created, the vote and the approval; with a type, just the vote.
    expect(new Set((await all({ request: filed[0]! })).map((e) => e.type))).toEqual(new Set(["request.created", "review.approved", "request.approved"]));
    expect((await all({ request: filed[0]!, type: "review.approved" })).map((e) => e.type)).toEqual(["review.approved"]);
    expect(await all({ request: "00000000-0000-4000-8000-000000000000" })).toEqual([]);
    expect(timelineQuery.safeParse({ request: "not-a-uuid" }).success).toBe(false);

    const { records, lines, csvSummary } = await exportBoth({ request: filed[1]! });
    const ids = (await all({ request: filed[1]! })).map((e) => e.event_id);
    expect(records.map((r) => r[1])).toEqual(ids);
    expect(lines.map((l) => l.event_id)).toEqual(ids);
    expect(csvSummary).toMatchObject({ rows: ids.length, filter: { request: filed[1]! } });
  });

  it("free text finds a request's events by its whole id (and an event by its own), any case", async () => {
    const everything = await all({});
    const id = filed[1]!;
    const mine = everything.filter((e) => e.request_id === id).map((e) => e.id);
    for (const text of [id, id.toUpperCase(), ` ${id} `]) {
      const found = await all({ q: text });
      expect(found.map((e) => e.id).filter((x) => mine.includes(x)), text).toEqual(mine);
      // Nothing else, unless its text names the id (an export recording this very filter).
      for (const e of found.filter((e) => e.request_id !== id)) expect(JSON.stringify(e.payload)).toContain(id);
    }
    const one = everything.find((e) => e.request_id === filed[3])!;
    expect((await all({ q: one.event_id, type: one.type })).map((e) => e.id)).toEqual([one.id]);
    // The agent's id finds its events too (actor or not).
    const byAgent = await all({ q: agentId, action: "iam.policy.update" });
    expect(byAgent.length).toBe(8);
    // Part of an id is ordinary text: no request's events carry it in their text.
    expect((await all({ q: id.slice(0, 8) })).filter((e) => e.type !== "audit.exported")).toEqual([]);
  });

  it("free text finds an identifier in a payload whole (any case), words by any part, and not the payload's keys", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ resource: "svc/ledger-Quasar", intent: "Rotate the Quasar signing key" }));
    await sealPendingAuditEvents();
    const [created] = await all({ request: request.id, type: "request.created" });
    const found = async (text: string) => (await all({ q: text, type: "request.created" })).map((e) => e.id);
    // The params hash is in the event's payload (and in no other request's: it binds this resource).
    expect(created!.payload).toMatchObject({ params_hash: request.params_hash });
    expect(await found(request.params_hash)).toEqual([created!.id]);
    expect(await found(` ${request.params_hash.toUpperCase()} `)).toEqual([created!.id]);
    for (const words of ["quasar sign", "LEDGER-QUA", "svc/ledger-quasar"]) expect(await found(words), words).toContain(created!.id);
    // A digest is found whole, not by a part; the JSON's keys are not words of the event.
    expect(await found(request.params_hash.slice(0, 40))).not.toContain(created!.id);
    expect(await found("params_hash")).not.toContain(created!.id);
    // The agent's id is the actor's: found whole among the event's identifiers.
    expect(await found(agent.id)).toContain(created!.id);
  });

  it("free text: a term holding an identifier, odd case folding, and a hex run too long to be one (which must not stop the seal)", async () => {
    const { agent } = await makeAgent();
    const project = randomUUID();
    const longHex = "0123456789abcdef".repeat(200); // 3,200 digits: text, not an identifier
    const { request } = await createRequest(
      agent,
      requestBody({ resource: `projects/${project}/db`, intent: `Rotate İstanbul replica ${longHex}` }),
    );
    await sealPendingAuditEvents();
    const [created] = await all({ request: request.id, type: "request.created" });
    expect(created, "sealed, and so in the timeline").toBeDefined();
    const found = async (text: string) => (await all({ q: text, type: "request.created" })).map((e) => e.id);
    // The whole resource as pasted, the id in it in capitals, and the id alone.
    for (const term of [`projects/${project}/db`, `PROJECTS/${project.toUpperCase()}/DB`, project]) expect(await found(term), term).toEqual([created!.id]);
    // Around an identifier the pieces must all be there.
    expect(await found(`projects/${project}/cache`)).toEqual([]);
    // The database folds the case of the words and of the term with the same lower().
    for (const term of ["İstanbul", "İSTANBUL", "replica"]) expect(await found(term), term).toContain(created!.id);
    // A long hex run is ordinary text: any part of it is found.
    expect(await found(longHex.slice(100, 140))).toContain(created!.id);
  });

  it("filters by params_hash: the events of every request filed with exactly those parameters", async () => {
    const { agent } = await makeAgent();
    const twin = requestBody({ resource: "svc/twin", context: { image: "twin:v1" } });
    const { request: a } = await createRequest(agent, twin);
    const { request: b } = await createRequest(agent, twin);
    const { request: other } = await createRequest(agent, requestBody({ resource: "svc/twin", context: { image: "twin:v2" } }));
    expect(a.params_hash).toBe(b.params_hash);
    expect(other.params_hash).not.toBe(a.params_hash);
    await decideAs(b.id, oncall(), "deny", "twice is too many", "console");
    await sealPendingAuditEvents();

    const everything = await all({});
    const expected = everything.filter((e) => e.request_id === a.id || e.request_id === b.id);
    expect(new Set(expected.map((e) => e.request_id))).toEqual(new Set([a.id, b.id]));
    expect((await all({ params_hash: a.params_hash })).map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect((await all({ params_hash: a.params_hash.toUpperCase(), type: "review.denied" })).map((e) => e.request_id)).toEqual([b.id]);
    expect((await all({ params_hash: other.params_hash })).map((e) => e.request_id)).toEqual([other.id]);
    expect(await all({ params_hash: "0".repeat(64) })).toEqual([]);
    expect(timelineQuery.safeParse({ params_hash: "abc" }).success).toBe(false);
    const { lines } = await exportBoth({ params_hash: a.params_hash });
    expect(lines.map((l) => l.event_id)).toEqual(expected.map((e) => e.event_id));
  });

  it("previous and next follow the chain, inside the filters when there are some", async () => {
    const chain = (await all({})).filter((e) => e.seq !== null).sort((x, y) => x.seq! - y.seq!);
    const middle = chain[Math.floor(chain.length / 2)]!;
    const around = await timelineNeighbours(auditor, middle, q({}));
    // The chain is gapless: the neighbours are one position either side.
    expect(around.previous?.seq).toBe(middle.seq! - 1);
    expect(around.next?.seq).toBe(middle.seq! + 1);
    expect(around.previous?.id).toBe(chain.find((e) => e.seq === middle.seq! - 1)!.id);
    expect((await timelineNeighbours(auditor, chain[0]!, q({}))).previous).toBeNull();

    // Inside one request: its own events, in chain order, and nothing beyond the ends.
    const own = chain.filter((e) => e.request_id === filed[0]);
    expect(own.length).toBe(3);
    const view = q({ request: filed[0]! });
    expect(await timelineNeighbours(auditor, own[0]!, view)).toEqual({ previous: null, next: { id: own[1]!.id, seq: own[1]!.seq } });
    expect(await timelineNeighbours(auditor, own[1]!, view)).toEqual({
      previous: { id: own[0]!.id, seq: own[0]!.seq },
      next: { id: own[2]!.id, seq: own[2]!.seq },
    });
    expect((await timelineNeighbours(auditor, own[2]!, view)).next).toBeNull();
    const denials = chain.filter((e) => e.type === "review.denied");
    const step = await timelineNeighbours(auditor, denials[1]!, q({ type: "review.denied" }));
    expect([step.previous?.id, step.next?.id]).toEqual([denials[0]!.id, denials[2]!.id]);
    await expect(timelineNeighbours(null, middle, q({}))).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("only auditors and admins export; every role reads", async () => {
    await expect(exportTimeline(reviewerViewer, q({}), "csv")).rejects.toMatchObject({ code: "forbidden" });
    await expect(exportTimeline(null, q({}), "csv")).rejects.toMatchObject({ code: "unauthorized" });
    await expect(listTimeline(null, q({}))).rejects.toMatchObject({ code: "unauthorized" });
    expect((await listTimeline(reviewerViewer, q({ limit: "1" }))).events).toHaveLength(1);
  });
});
