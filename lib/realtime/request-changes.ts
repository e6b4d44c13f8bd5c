// Pushes request state changes to waiters in this process. One LISTEN per process on the
// `countersign_requests` channel (NOTIFY is sent inside each transition's transaction, so it is
// delivered on commit, to every app instance sharing the database). When the LISTEN connection drops
// (PostgreSQL restarted, a failover), the driver re-establishes it; notifications sent in between are
// lost, so every waiter is told to re-read ("resync") the moment LISTEN is active again.
import { EventEmitter } from "node:events";
import { getDatabase } from "@/db/client";
import { REQUEST_CHANGES_CHANNEL } from "@/db/queries/requests";
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";
import { observeWake } from "@/lib/observability/metrics";

export type RequestChange = { id: string; status: string; agentId: string; at?: number };

type Hub = {
  emitter: EventEmitter;
  ready?: Promise<void>;
  draining: boolean;
};

const hub = processWide<Hub>("request-changes-hub", () => ({ emitter: new EventEmitter().setMaxListeners(0), draining: false }));

export const ANY_REQUEST = "*";
const DRAIN = "drain";
const RESYNC = "resync";

/** Starts the process's LISTEN once; later calls share it. */
export function ensureListening(): Promise<void> {
  hub.ready ??= (async () => {
    const db = await getDatabase();
    let listening = false;
    await db.listen(
      REQUEST_CHANGES_CHANNEL,
      (payload) => {
        try {
          const change = JSON.parse(payload) as RequestChange;
          if (typeof change.at === "number" && hub.emitter.listenerCount(change.id) > 0) observeWake(change.at); // metrics: commit → waiters woken
          hub.emitter.emit(change.id, change);
          hub.emitter.emit(ANY_REQUEST, change);
        } catch (err) {
          log.warn({ err }, "ignored malformed request notification");
        }
      },
      () => {
        if (listening) {
          log.warn("LISTEN re-established after the database connection dropped: waiters re-read");
          hub.emitter.emit(RESYNC);
        }
        listening = true;
      },
    );
  })().catch((err: unknown) => {
    hub.ready = undefined;
    throw err;
  });
  return hub.ready;
}

export function subscribe(key: string, fn: (change: RequestChange) => void): () => void {
  hub.emitter.on(key, fn);
  return () => hub.emitter.off(key, fn);
}

/** Calls `fn` when changes may have been missed (LISTEN was re-established): re-read what you show. */
export function onResync(fn: () => void): () => void {
  hub.emitter.on(RESYNC, fn);
  return () => hub.emitter.off(RESYNC, fn);
}

/**
 * Resolves on the next change to `requestId` (null: one may have been missed while LISTEN was
 * down), after `timeoutMs`, when `signal` aborts, or when the server starts draining for shutdown,
 * whichever comes first.
 */
export function nextChange(requestId: string, timeoutMs: number, signal?: AbortSignal): Promise<RequestChange | null> {
  return new Promise((resolve) => {
    if (hub.draining || signal?.aborted) return resolve(null);
    const done = (value: RequestChange | null) => {
      clearTimeout(timer);
      hub.emitter.off(requestId, onChange);
      hub.emitter.off(DRAIN, onDrain);
      hub.emitter.off(RESYNC, onMissed);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onChange = (c: RequestChange) => done(c);
    const onDrain = () => done(null);
    const onMissed = () => done(null);
    const onAbort = () => done(null);
    const timer = setTimeout(() => done(null), Math.max(0, timeoutMs));
    hub.emitter.on(requestId, onChange);
    hub.emitter.on(DRAIN, onDrain);
    hub.emitter.on(RESYNC, onMissed);
    signal?.addEventListener("abort", onAbort);
  });
}

export function onDrain(fn: () => void): () => void {
  hub.emitter.on(DRAIN, fn);
  return () => hub.emitter.off(DRAIN, fn);
}

/** Graceful shutdown: every long-poll answers now with the current state, streams close. */
export function drainWaiters(): void {
  hub.draining = true;
  hub.emitter.emit(DRAIN);
}

export function isDraining(): boolean {
  return hub.draining;
}
