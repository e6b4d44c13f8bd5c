// Long-poll and stream support: wait for a request's state to change, woken by NOTIFY rather than
// polling, and bounded by the caller's wait, the request's own deadline and server shutdown.
import type { Agent } from "@/db/schema";
import { ensureListening, isDraining, nextChange } from "@/lib/realtime/request-changes";
import { msUntilDeadline } from "./machine";
import { getRequestForAgent } from "./read";
import type { RequestView } from "./schema";

/** Milliseconds until the view's status would change by the clock alone (expiry), if ever. */
export function msUntilClockChange(view: RequestView, now = Date.now()): number {
  const date = (iso: string | null) => (iso === null ? null : new Date(iso));
  return msUntilDeadline(
    { status: view.status, decisionDeadline: new Date(view.decision_deadline), grantExpiresAt: date(view.grant_expires_at) },
    new Date(now),
  );
}

export async function waitForStatusChange(
  agent: Agent,
  requestId: string,
  waitSeconds: number,
  signal?: AbortSignal,
): Promise<RequestView> {
  let view = await getRequestForAgent(agent, requestId);
  // Only a pending request waits on a human; an approval is for the agent to act on at once.
  if (waitSeconds <= 0 || view.status !== "pending") return view;
  await ensureListening();
  const initial = view.status;
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    if (isDraining()) return getRequestForAgent(agent, requestId);
    const remaining = until - Date.now();
    if (remaining <= 0 || signal?.aborted) return view;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener("abort", onAbort);
    try {
      // Subscribe before re-reading so a change committed in between is never missed.
      const woke = nextChange(requestId, Math.min(remaining, msUntilClockChange(view) + 5), stop.signal);
      view = await getRequestForAgent(agent, requestId);
      if (view.status !== initial) return view;
      await woke;
    } finally {
      stop.abort();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
