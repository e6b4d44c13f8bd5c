// The audit timeline as auditors use it: a filter parsed from the URL (so a view can be shared),
// keyset pages, and exports of exactly the filtered view, streamed in constant memory and closed
// by a trailer with the filter, the row count, the time and the chain head. An export is itself
// an audit event.
import { getDatabase, getDb, rowsOf, type CopyOut, type Database, type DatabaseHandle } from "@/db/client";
import { insertAuditEvents, selectChainHead } from "@/db/queries/audit";
import {
  cursorOf,
  EXPORT_CSV_COLUMNS,
  exportCursorOf,
  selectAuditEvent,
  selectTimelineFacets,
  selectTimelinePage,
  timelineExportCopy,
  timelineExportStatement,
  type ExportCursorColumns,
  type ExportFormat,
  type TimelineCursor,
  type TimelineFilter,
  type TimelineSort,
} from "@/db/queries/timeline";
import type { AuditEventRow } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { CountersignError } from "@/lib/errors";
import { viewerActor } from "@/lib/auth/people";
import { auditEvent } from "./events";
import { kickSealer } from "./sealer";
import { describedFilter, type TimelineQuery } from "./timeline-filter";

// The URL schema is defined with the filter names in ./timeline-filter (client-safe); the API routes
// and scripts take it from here, with the reads that use it.
export { describedFilter, timelineQuery, type TimelineQuery } from "./timeline-filter";

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

export type { ExportFormat };

/** A CSV cell exactly as PostgreSQL's COPY … (FORMAT csv) writes it: NULL empty, an empty string quoted. */
function csvCell(value: string | null): string {
  if (value === null) return "";
  return value === "" || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const CSV_HEADER = EXPORT_CSV_COLUMNS.map(([name]) => name).join(",") + "\n";
const BATCH = 2_000;

/** Counts CSV records in a stream of chunks: newlines outside quoted fields (a quoted field may hold one). */
function csvRecordCounter() {
  let quoted = false;
  return (chunk: Uint8Array): number => {
    // Hop between the next quote and the next newline (native searches), each found once.
    let n = 0;
    let q = chunk.indexOf(34);
    let nl = chunk.indexOf(10);
    for (;;) {
      if (!quoted && nl !== -1 && (q === -1 || nl < q)) {
        n++;
        nl = chunk.indexOf(10, nl + 1);
        continue;
      }
      if (q === -1) return n;
      quoted = !quoted;
      const i = q + 1;
      q = chunk.indexOf(34, i);
      if (nl !== -1 && nl < i) nl = chunk.indexOf(10, i);
    }
  };
}

/** Counts NDJSON lines (JSON text never holds a raw newline). */
function lineCounter() {
  return (chunk: Uint8Array): number => {
    let n = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    return n;
  };
}

/** The rows of the view as encoded chunks: one COPY on PostgreSQL, keyset batches elsewhere. */
type RowSource = { next(): Promise<Uint8Array | null>; cancel(): void };

function copySource(copy: CopyOut): RowSource {
  const { stream } = copy;
  let failed: unknown;
  stream.on("error", (err) => (failed ??= err));
  const wait = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off("readable", done).off("end", done).off("error", done).off("close", done);
        resolve();
      };
      stream.once("readable", done).once("end", done).once("error", done).once("close", done);
    });
  return {
    async next() {
      for (;;) {
        if (failed) throw failed;
        // read() hands over everything buffered at once: chunks of many rows, not one per row.
        const chunk = stream.read() as Buffer | null;
        if (chunk !== null) return chunk;
        if (stream.readableEnded) return null;
        if (stream.destroyed) throw failed ?? new Error("the export's COPY stopped before its end");
        await wait();
      }
    },
    cancel: () => copy.abandon(),
  };
}

function batchSource(db: Database, filter: TimelineFilter, sort: TimelineSort, format: ExportFormat): RowSource {
  const encoder = new TextEncoder();
  let after: TimelineCursor | undefined;
  let done = false;
  return {
    async next() {
      if (done) return null;
      const rows = rowsOf<Record<string, string | null> & ExportCursorColumns>(
        await db.execute(timelineExportStatement(filter, sort, format, { limit: BATCH, after })),
      );
      if (rows.length < BATCH) done = true;
      if (rows.length === 0) return null;
      after = exportCursorOf(rows.at(-1)!);
      let text = "";
      for (const row of rows) {
        text += format === "csv" ? EXPORT_CSV_COLUMNS.map(([name]) => csvCell(row[name] ?? null)).join(",") + "\n" : `${row.line}\n`;
      }
      return encoder.encode(text);
    },
    cancel() {
      done = true;
    },
  };
}

// Each running export on PostgreSQL holds a pooled connection for as long as its reader takes: at
// most a third of the pool (at least one) goes to exports, so the agent API and the console always
// have connections left. Counted per database handle, in this process.
const runningExports = new WeakMap<DatabaseHandle, number>();

function takeExportSlot(handle: DatabaseHandle): () => void {
  const limit = Math.max(1, Math.floor((handle.poolSize ?? 3) / 3));
  const running = runningExports.get(handle) ?? 0;
  if (running >= limit) {
    throw new CountersignError(
      "rate_limited",
      `${running} audit export${running === 1 ? " is" : "s are"} already running on this server (at most ${limit} at a time); try again when one has finished.`,
      { retryAfterSeconds: 10 },
    );
  }
  runningExports.set(handle, running + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    runningExports.set(handle, (runningExports.get(handle) ?? 1) - 1);
  };
}

/**
 * Streams exactly the filtered view (ignoring paging) in constant memory, closed by a trailer with
 * the filter, row count, time and chain head. The database writes the rows (see
 * timelineExportStatement); on PostgreSQL they are one COPY passed through as the client reads,
 * the socket paused while it falls behind. Records `audit.exported` first, so even an abandoned
 * export is on record.
 */
export async function exportTimeline(
  viewer: Viewer | null,
  q: TimelineQuery,
  format: ExportFormat,
): Promise<{ stream: ReadableStream<Uint8Array>; filename: string; contentType: string }> {
  const who = assertCan(viewer, "export_audit");
  const handle = await getDatabase();
  // Refused before anything is recorded: a refused export is not an export.
  const release = handle.copyOut ? takeExportSlot(handle) : () => undefined;
  try {
    return await startExport(handle, who, q, format, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function startExport(
  handle: DatabaseHandle,
  who: Viewer,
  q: TimelineQuery,
  format: ExportFormat,
  release: () => void,
): Promise<{ stream: ReadableStream<Uint8Array>; filename: string; contentType: string }> {
  const db = handle.db;
  const filter = toFilter(q);
  const sort = sortOf(q);
  const described = describedFilter(q);
  const exportedAt = new Date();
  const head = await selectChainHead(db);
  await db.transaction((tx) =>
    insertAuditEvents(tx, [
      auditEvent({
        type: "audit.exported",
        actor: viewerActor(who),
        channel: "console",
        at: exportedAt,
        payload: { format, filter: described, chain_head: head },
      }),
    ]),
  );
  kickSealer();

  const trailer = {
    filter: described,
    sort: `${sort.by} ${sort.dir}`,
    exported_at: exportedAt.toISOString(),
    exported_by: { person: who.personId, name: who.name, email: who.email },
    chain_head: head,
  };
  const source = handle.copyOut
    ? copySource(await handle.copyOut(timelineExportCopy(filter, sort, format)))
    : batchSource(db, filter, sort, format);
  const count = format === "csv" ? csvRecordCounter() : lineCounter();
  const encoder = new TextEncoder();
  let rows = 0;
  let finished = false;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "csv") controller.enqueue(encoder.encode(CSV_HEADER));
    },
    async pull(controller) {
      if (finished) return;
      let chunk: Uint8Array | null;
      try {
        chunk = await source.next();
      } catch (err) {
        finished = true;
        release();
        // No trailer: a reader can tell an incomplete export from a complete one.
        controller.error(err);
        return;
      }
      if (finished) return; // cancelled meanwhile
      if (chunk) {
        rows += count(chunk);
        controller.enqueue(chunk);
        return;
      }
      finished = true;
      release();
      const summary = { ...trailer, rows };
      controller.enqueue(
        encoder.encode(format === "csv" ? `#export,${csvCell(JSON.stringify(summary))}\n` : JSON.stringify({ _export: summary }) + "\n"),
      );
      controller.close();
    },
    cancel() {
      finished = true;
      source.cancel();
      release();
    },
  });
  const stamp = exportedAt.toISOString().replace(/[:.]/g, "-");
  return {
    stream,
    filename: `countersign-audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}`,
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
  };
}
