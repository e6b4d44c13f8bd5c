// GET /api/console/stream[?request=id] — Server-Sent Events for the signed-in console: a `change`
// event whenever a request changes (or only the given one). Session-checked like every console door.
import { getViewer } from "@/lib/auth/session";
import { sessionStillAlive } from "@/lib/auth/sessions";
import { assertCan } from "@/lib/auth/viewer";
import { ANY_REQUEST, ensureListening, onDrain, onResync, subscribe } from "@/lib/realtime/request-changes";
import { apiRoute, refuseOtherMethods } from "../../_lib/http";

const HEARTBEAT_MS = 15_000;

export const GET = apiRoute(async (req: Request) => {
  const viewer = assertCan(await getViewer(), "read");
  await ensureListening();
  const only = new URL(req.url).searchParams.get("request");
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      send(`retry: 2000\n: connected\n\n`);
      const unsubscribe = subscribe(only ?? ANY_REQUEST, (change) =>
        send(`event: change\ndata: ${JSON.stringify({ id: change.id, status: change.status })}\n\n`),
      );
      // LISTEN came back after a dropped connection: changes may have been missed, so refresh.
      const unresync = onResync(() => send(`event: change\ndata: ${JSON.stringify({ id: only, resync: true })}\n\n`));
      // Each heartbeat also asks whether the session still lives: signed out, idle, or ended by an
      // admin or SCIM, the stream says so and closes (the page then finds itself signed out).
      const heartbeat = setInterval(() => {
        void sessionStillAlive(viewer.sessionId).then(
          (alive) => {
            if (alive) return send(`: keep-alive\n\n`);
            send(`event: session-ended\ndata: {}\n\n`);
            close();
          },
          () => send(`: keep-alive\n\n`),
        );
      }, HEARTBEAT_MS);
      const close = () => {
        cleanup();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      };
      const undrain = onDrain(close);
      req.signal.addEventListener("abort", close);
      cleanup = () => {
        unsubscribe();
        unresync();
        undrain();
        clearInterval(heartbeat);
        req.signal.removeEventListener("abort", close);
      };
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store, no-transform", "x-accel-buffering": "no" },
  });
});

export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");
