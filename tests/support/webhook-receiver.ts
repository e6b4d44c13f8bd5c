// A local HTTP server standing in for an agent's webhook endpoint (node:http on 127.0.0.1, a
// free port): records every delivery with its raw body and headers, and answers as the test says.
// Only node imports, so the Playwright specs use it too.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type ReceivedWebhook = {
  /** `countersign-event-id` header. */
  eventId: string;
  /** `countersign-signature` header. */
  signature: string;
  /** The raw body exactly as it arrived (what the signature covers). */
  body: string;
  headers: http.IncomingHttpHeaders;
  path: string;
  /** Date.now() when it arrived. */
  at: number;
  /** The status this receiver answered. */
  answered: number;
};

export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

/** Decides the answer to a delivery; `nth` counts deliveries of the same event id, from 1. */
export type Responder = (hit: Omit<ReceivedWebhook, "answered">, nth: number) => Answer;

export type WebhookReceiver = {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: ReceivedWebhook[];
  /** Deliveries of one event id, in arrival order. */
  deliveriesOf(eventId: string): ReceivedWebhook[];
  respond(fn: Responder): void;
  /** Forget what arrived and answer 200 again. */
  reset(): void;
  close(): Promise<void>;
};

export const accept: Responder = () => ({ status: 200 });

/** Fails the first `n` deliveries of every event with `status`, then accepts. */
export function failFirst(n: number, status = 500, headers?: Record<string, string>): Responder {
  return (_hit, nth) => (nth <= n ? { status, headers } : { status: 200 });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let responder: Responder = accept;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(",") : (v ?? "");
      };
      const hit = {
        eventId: header("countersign-event-id"),
        signature: header("countersign-signature"),
        body: Buffer.concat(chunks).toString("utf8"),
        headers: req.headers,
        path: req.url ?? "/",
        at: Date.now(),
      };
      const nth = received.filter((r) => r.eventId === hit.eventId).length + 1;
      const answer = responder(hit, nth);
      received.push({ ...hit, answered: answer.status });
      const send = () => {
        res.writeHead(answer.status, { "content-type": "text/plain", ...(answer.headers ?? {}) });
        res.end(answer.status < 300 ? "ok" : "nope");
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    deliveriesOf: (eventId) => received.filter((r) => r.eventId === eventId),
    respond(fn) {
      responder = fn;
    },
    reset() {
      received.length = 0;
      responder = accept;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
