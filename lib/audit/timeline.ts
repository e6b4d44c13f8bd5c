// The audit timeline as auditors use it: a filter parsed from the URL (so a view can be shared),
// keyset pages, and (./timeline-export) signed exports of exactly the filtered view.
import { getDb } from "@/db/client";
import {
  cursorOf,
  selectAuditEvent,
  selectChainNeighbours,
  selectTimelineFacets,
  selectTimelinePage,
  type TimelineCursor,
  type TimelineFilter,
  type TimelineSort,
} from "@/db/queries/timeline";
import type { AuditEventRow } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import type { TimelineQuery } from "./timeline-filter";

// The URL schema is defined with the filter names in ./timeline-filter (client-safe); the API routes
// and scripts take it from here, with the reads that use it.
export { describedFilter, parseTimelineParams, timelineQuery, type TimelineQuery } from "./timeline-filter";

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
    requestId: q.request,
    paramsHash: q.params_hash,
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

export const sortOf = (q: TimelineQuery): TimelineSort => ({ by: q.sort, dir: q.dir });

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

/**
 * The previous and next sealed events in chain order among those the timeline's filters admit
 * (none for an event not sealed yet: it has no place in the chain).
 */
export async function timelineNeighbours(
  viewer: Viewer | null,
  event: Pick<TimelineEvent, "seq">,
  q: TimelineQuery,
): Promise<{ previous: { id: number; seq: number } | null; next: { id: number; seq: number } | null }> {
  assertCan(viewer, "read");
  if (event.seq === null) return { previous: null, next: null };
  return selectChainNeighbours(await getDb(), toFilter(q), event.seq);
}

export async function timelineFacets(viewer: Viewer | null) {
  assertCan(viewer, "read");
  return selectTimelineFacets(await getDb());
}

// ── export ────────────────────────────────────────────────────────────────────────────────────

export { exportTimeline } from "./timeline-export";
export type { ExportFormat } from "@/lib/evidence/export-format";
