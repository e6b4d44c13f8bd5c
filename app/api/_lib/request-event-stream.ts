// The agent API's Server-Sent Events framing for one request: the current state at once, then
// every change (votes included) until the request reaches a terminal state or the client leaves.
// A database outage does not end it: a read that fails for that reason is retried, heartbeats keep
// flowing, and once LISTEN is back (resync) the current state is sent if it changed meanwhile.
import { isDatabaseUnavailable } from "@/db/errors";
import type { Agent } from "@/db/schema";
import { openWaitSlot } from "@/lib/agents/open-waits";
import { CountersignError } from "@/lib/errors";
import { isTerminal } from "@/lib/requests/machine";
import { getRequestForAgent } from "@/lib/requests/read";
import { msUntilClockChange } from "@/lib/requests/wait";
import { ensureListening, onDrain, onResync, subscribe } from "@/lib/realtime/request-changes";
import { toResponse } from "./http";

const HEARTBEAT_MS = 15_000;
/** How soon a read that failed because the database is unreachable is tried again. */
const UNAVAILABLE_RETRY_MS = 1_000;

export async function requestEventStream(req: Request, agent: Agent, id: string): Promise<Response> {
  await getRequestForAgent(agent, id); // 404/403 before the stream opens
  await ensureListening();
  const slot = openWaitSlot(agent, "stream", req.headers.get("authorization")); // 429 past the agent's cap

  const encoder = new TextEncoder();
  let cleanup = () => {};
  let cancelled = false; // the client went away: nothing more can be sent
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let sent = "";
      let expiryTimer: NodeJS.Timeout | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      // One read at a time: a notice that arrives while a read is in flight asks for one more read
      // after it. Two reads in flight could finish out of order (separate pooled connections), and
      // the older one — still "pending" — would be sent last, leaving the agent waiting on a
      // request already decided (the bench's SDK wake saw 1 such wait in 200).
      let reading = false;
      let readAgain = false;
      const push = async () => {
        if (reading) {
          readAgain = true;
          return;
        }
        reading = true;
        try {
          do {
            readAgain = false;
            await pushOnce();
          } while (readAgain && !closed);
        } finally {
          reading = false;
        }
      };
      const pushOnce = async () => {
        if (closed) return;
        const view = await getRequestForAgent(agent, id);
        const body = JSON.stringify(view);
        if (body !== sent && !closed) {
          sent = body;
          controller.enqueue(encoder.encode(`id: ${Date.now()}\nevent: state\ndata: ${body}\n\n`));
        }
        clearTimeout(expiryTimer);
        if (isTerminal(view.status)) return close();
        const ms = msUntilClockChange(view);
        if (Number.isFinite(ms)) expiryTimer = setTimeout(refresh, ms + 5);
      };
      // A failed read: while the database is unreachable, try again soon (the stream stays open);
      // anything else ends the stream with the error envelope as its last event.
      const failed = (err: unknown) => {
        if (closed) return;
        if (cancelled) return close();
        if (isDatabaseUnavailable(err)) {
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => void push().catch(failed), UNAVAILABLE_RETRY_MS);
          return;
        }
        void toResponse(err)
          .text()
          .then((body) => {
            if (closed || cancelled) return;
            try {
              controller.enqueue(encoder.encode(`event: error\ndata: ${body}\n\n`));
            } finally {
              close();
            }
          })
          .catch(close);
      };
      const refresh = () => void push().catch(failed);
      const unsubscribe = subscribe(id, refresh);
      const unresync = onResync(refresh);
      const undrain = onDrain(close);
      const heartbeat = setInterval(() => controller.enqueue(encoder.encode(`: keep-alive\n\n`)), HEARTBEAT_MS);
      const onAbort = () => close();
      req.signal.addEventListener("abort", onAbort);
      // Revoked (agent or key, in any process): the 401 envelope as a last event, then the end.
      const onRevoked = () => {
        if (closed) return;
        const reason: unknown = slot.signal.reason;
        const body = reason instanceof CountersignError ? reason.toJSON() : new CountersignError("agent_revoked", "This agent key has been revoked.").toJSON();
        controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`));
        close();
      };
      slot.signal.addEventListener("abort", onRevoked);
      cleanup = () => {
        slot.release();
        slot.signal.removeEventListener("abort", onRevoked);
        unsubscribe();
        unresync();
        undrain();
        clearInterval(heartbeat);
        clearTimeout(expiryTimer);
        clearTimeout(retryTimer);
        req.signal.removeEventListener("abort", onAbort);
      };
      refresh();
    },
    cancel() {
      cancelled = true;
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
