// The agent API's Server-Sent Events framing for one request: the current state at once, then
// every change (votes included) until the request reaches a terminal state or the client leaves.
import type { Agent } from "@/db/schema";
import { openWaitSlot } from "@/lib/agents/open-waits";
import { CountersignError } from "@/lib/errors";
import { isTerminal } from "@/lib/requests/machine";
import { getRequestForAgent } from "@/lib/requests/read";
import { msUntilClockChange } from "@/lib/requests/wait";
import { ensureListening, onDrain, subscribe } from "@/lib/realtime/request-changes";

const HEARTBEAT_MS = 15_000;

export async function requestEventStream(req: Request, agent: Agent, id: string): Promise<Response> {
  await getRequestForAgent(agent, id); // 404/403 before the stream opens
  await ensureListening();
  const slot = openWaitSlot(agent, "stream", req.headers.get("authorization")); // 429 past the agent's cap

  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let sent = "";
      let expiryTimer: NodeJS.Timeout | undefined;
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
      const push = async () => {
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
        if (Number.isFinite(ms)) expiryTimer = setTimeout(() => void push().catch(close), ms + 5);
      };
      const unsubscribe = subscribe(id, () => void push().catch(close));
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
        undrain();
        clearInterval(heartbeat);
        clearTimeout(expiryTimer);
        req.signal.removeEventListener("abort", onAbort);
      };
      void push().catch(close);
    },
    cancel() {
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
