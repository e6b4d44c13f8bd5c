// What the console shows about a request's notifications: each outbox row (one per event and
// target) with its status as a reviewer understands it, and every delivery attempt.
import { getDb } from "@/db/client";
import { selectDeliveries } from "@/db/queries/outbox";
import type { AttemptRow, OutboxRow } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";

/**
 * queued: written, no attempt yet · sending: a worker holds it now · retrying: failed (or its
 * worker died mid-send) and will be tried again · delivered · dead: gave up after MAX_ATTEMPTS.
 */
export type DeliveryStatus = "queued" | "sending" | "retrying" | "delivered" | "dead";

export type DeliveryAttempt = {
  attempt: number;
  at: Date;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
};

export type Delivery = {
  id: number;
  eventId: string;
  /** The event announced, e.g. `request.approved`. */
  eventType: string;
  kind: string;
  /** Where it goes, with any credentials and query string masked (they may carry tokens). */
  target: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (retrying and queued only). */
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  attemptLog: DeliveryAttempt[];
};

export async function listDeliveries(viewer: Viewer | null, requestId: string, clock: { now?: Date } = {}): Promise<Delivery[]> {
  assertCan(viewer, "read");
  const now = clock.now ?? new Date();
  const rows = await selectDeliveries(await getDb(), requestId);
  return rows.map(({ outbox, attempts }) => toDelivery(outbox, attempts, now));
}

function toDelivery(row: OutboxRow, attempts: AttemptRow[], now: Date): Delivery {
  const status = deliveryStatus(row, now);
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: typeof row.payload.type === "string" ? row.payload.type : row.kind,
    kind: row.kind,
    target: maskTarget(row.target),
    status,
    attempts: row.attempts,
    nextAttemptAt: status === "retrying" || status === "queued" ? (row.status === "sending" ? now : row.nextAttemptAt) : null,
    deliveredAt: row.deliveredAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      at: a.at,
      ok: a.ok,
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
    })),
  };
}

function deliveryStatus(row: OutboxRow, now: Date): DeliveryStatus {
  switch (row.status) {
    case "delivered":
      return "delivered";
    case "dead":
      return "dead";
    case "sending":
      // A lease that ran out means the worker holding it died; any worker picks it up again.
      return row.leaseUntil && row.leaseUntil < now ? "retrying" : "sending";
    case "pending":
      return row.attempts === 0 ? "queued" : "retrying";
  }
}

function maskTarget(target: string): string {
  try {
    const url = new URL(target);
    const credentials = url.username || url.password ? "***@" : "";
    return `${url.protocol}//${credentials}${url.host}${url.pathname}${url.search ? "?…" : ""}`;
  } catch {
    return target;
  }
}
