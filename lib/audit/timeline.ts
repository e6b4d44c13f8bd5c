// The audit timeline as auditors use it: a filter parsed from the URL (so a view can be shared),
// keyset pages, and exports of exactly the filtered view, streamed in constant memory and closed
// by a trailer with the filter, the row count, the time and the chain head. An export is itself
// an audit event.
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { getDb } from "@/db/client";
import { insertAuditEvents, selectChainHead } from "@/db/queries/audit";
import {
  cursorOf,
  selectAuditEvent,
  selectTimelineFacets,
  selectTimelinePage,
  type TimelineCursor,
  type TimelineFilter,
  type TimelineSort,
} from "@/db/queries/timeline";
import type { AuditEventRow } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { auditEvent, userActor } from "./events";
import { kickSealer } from "./sealer";

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((s) => s || undefined);

/** URL search params of the timeline page and the export API (the same names in both). */
export const timelineQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().or(z.literal("").transform(() => undefined)),
  to: z.iso.datetime({ offset: true }).optional().or(z.literal("").transform(() => undefined)),
  type: optionalText(400),
  actor: optionalText(320),
  agent: z.uuid().optional().or(z.literal("").transform(() => undefined)),
  action: optionalText(200),
  environment: optionalText(64),
  risk: z.enum(["low", "medium", "high", "critical"]).optional().or(z.literal("").transform(() => undefined)),
  outcome: optionalText(32),
  channel: z.enum(["console", "slack", "api", "system", "cli"]).optional().or(z.literal("").transform(() => undefined)),
  q: optionalText(200),
  sort: z.enum(["time", "type", "actor", "channel"]).default("time"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  after: optionalText(400),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type TimelineQuery = z.infer<typeof timelineQuery>;

export const FILTER_KEYS = ["from", "to", "type", "actor", "agent", "action", "environment", "risk", "outcome", "channel", "q"] as const;

export function toFilter(q: TimelineQuery): TimelineFilter {
  return {
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    types: q.type?.split(",").map((t) => t.trim()).filter(Boolean),
    actor: q.actor,
    agentId: q.agent,
    action: q.action,
    environment: q.environment,
    riskLevel: q.risk,
    outcome: q.outcome,
    channel: q.channel,
    text: q.q,
  };
}

/** The filter as the user gave it, without paging: recorded on exports and in their trailers. */
export function describedFilter(q: TimelineQuery): Record<string, string> {
  return Object.fromEntries(FILTER_KEYS.flatMap((k) => (q[k] ? [[k, String(q[k])]] : [])));
}

const encodeCursor = (c: TimelineCursor) => Buffer.from(JSON.stringify([c.value, c.at, c.id])).toString("base64url");
function decodeCursor(raw: string | undefined): TimelineCursor | undefined {
  if (!raw) return undefined;
  try {
    const [value, at, id] = JSON.parse(Buffer.from(raw, "base64url").toString()) as [string, string, number];
    if (typeof value !== "string" || Number.isNaN(Date.parse(at)) || !Number.isSafeInteger(id)) return undefined;
    return { value, at, id };
  } catch {
    return undefined;
  }
}

export type TimelineEvent = {
  id: number;
  seq: number | null;
  event_id: string;
  occurred_at: string;
  type: string;
  actor: AuditEventRow["actor"];
  channel: string;
  request_id: string | null;
  agent_id: string | null;
  action: string | null;
  environment: string | null;
  risk_level: string | null;
  outcome: string | null;
  payload: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
};

export function toTimelineEvent(e: AuditEventRow): TimelineEvent {
  return {
    id: e.id,
    seq: e.seq,
    event_id: e.eventId,
    occurred_at: e.occurredAt.toISOString(),
    type: e.type,
    actor: e.actor,
    channel: e.channel,
    request_id: e.requestId,
    agent_id: e.agentId,
    action: e.action,
    environment: e.environment,
    risk_level: e.riskLevel,
    outcome: e.outcome,
    payload: e.payload,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

const sortOf = (q: TimelineQuery): TimelineSort => ({ by: q.sort, dir: q.dir });

export async function listTimeline(
  viewer: Viewer | null,
  q: TimelineQuery,
): Promise<{ events: TimelineEvent[]; nextCursor: string | null }> {
  assertCan(viewer, "read");
  const db = await getDb();
  const rows = await selectTimelinePage(db, toFilter(q), sortOf(q), q.limit + 1, decodeCursor(q.after));
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    events: page.map(toTimelineEvent),
    nextCursor: rows.length > q.limit && last ? encodeCursor(cursorOf(sortOf(q), last)) : null,
  };
}

export async function getTimelineEvent(viewer: Viewer | null, id: number): Promise<TimelineEvent | null> {
  assertCan(viewer, "read");
  const row = await selectAuditEvent(await getDb(), id);
  return row ? toTimelineEvent(row) : null;
}

export async function timelineFacets(viewer: Viewer | null) {
  assertCan(viewer, "read");
  return selectTimelineFacets(await getDb());
}

// ── export ────────────────────────────────────────────────────────────────────────────────────

export type ExportFormat = "csv" | "ndjson";

const CSV_COLUMNS = [
  "seq",
  "event_id",
  "occurred_at",
  "type",
  "actor_kind",
  "actor_id",
  "actor_display",
  "channel",
  "request_id",
  "agent_id",
  "action",
  "environment",
  "risk_level",
  "outcome",
  "payload",
  "prev_hash",
  "hash",
] as const;

function csvRow(e: AuditEventRow): unknown[] {
  return [
    e.seq ?? "",
    e.eventId,
    e.occurredAt.toISOString(),
    e.type,
    e.actor.kind,
    e.actor.id,
    e.actor.display,
    e.channel,
    e.requestId ?? "",
    e.agentId ?? "",
    e.action ?? "",
    e.environment ?? "",
    e.riskLevel ?? "",
    e.outcome ?? "",
    JSON.stringify(e.payload),
    e.prevHash ?? "",
    e.hash ?? "",
  ];
}

const BATCH = 2_000;

/**
 * Streams exactly the filtered view (ignoring paging) in constant memory: keyset batches pulled
 * as the client reads. Records `audit.exported` first, so even an abandoned export is on record.
 */
export async function exportTimeline(
  viewer: Viewer | null,
  q: TimelineQuery,
  format: ExportFormat,
): Promise<{ stream: ReadableStream<Uint8Array>; filename: string; contentType: string }> {
  const who = assertCan(viewer, "export_audit");
  const db = await getDb();
  const filter = toFilter(q);
  const sort = sortOf(q);
  const described = describedFilter(q);
  const exportedAt = new Date();
  const head = await selectChainHead(db);
  await db.transaction((tx) =>
    insertAuditEvents(tx, [
      auditEvent({
        type: "audit.exported",
        actor: userActor(who),
        channel: "console",
        at: exportedAt,
        payload: { format, filter: described, chain_head: head },
      }),
    ]),
  );
  kickSealer();

  const encoder = new TextEncoder();
  let cursor: TimelineCursor | undefined;
  let rows = 0;
  let done = false;
  const trailer = {
    filter: described,
    sort: `${sort.by} ${sort.dir}`,
    exported_at: exportedAt.toISOString(),
    exported_by: who.id,
    chain_head: head,
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "csv") controller.enqueue(encoder.encode(stringify([CSV_COLUMNS as unknown as string[]])));
    },
    async pull(controller) {
      if (done) return;
      const batch = await selectTimelinePage(db, filter, sort, BATCH, cursor);
      if (batch.length > 0) {
        rows += batch.length;
        cursor = cursorOf(sort, batch.at(-1)!);
        const text =
          format === "csv" ? stringify(batch.map(csvRow)) : batch.map((e) => JSON.stringify(toTimelineEvent(e))).join("\n") + "\n";
        controller.enqueue(encoder.encode(text));
      }
      if (batch.length < BATCH) {
        done = true;
        const summary = { ...trailer, rows };
        controller.enqueue(
          encoder.encode(
            format === "csv" ? stringify([["#export", JSON.stringify(summary)]]) : JSON.stringify({ _export: summary }) + "\n",
          ),
        );
        controller.close();
      }
    },
  });
  const stamp = exportedAt.toISOString().replace(/[:.]/g, "-");
  return {
    stream,
    filename: `countersign-audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}`,
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
  };
}
