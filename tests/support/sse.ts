// Reads an agent API event stream (Server-Sent Events) one event at a time, in tests.
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";

export type SseEvent = { event: string; data: string; id?: string };

/** Reads Server-Sent Events one at a time; `next()` is null once the server closes the stream. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(timeoutMs = 3000): Promise<SseEvent | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.split("\n").every((l) => l.startsWith(":"))) continue; // keep-alive comment
          const ev: SseEvent = { event: "message", data: "" };
          for (const line of block.split("\n")) {
            const i = line.indexOf(":");
            const field = line.slice(0, i);
            const value = line.slice(i + 1).replace(/^ /, "");
            if (field === "event") ev.event = value;
            else if (field === "data") ev.data += value;
            else if (field === "id") ev.id = value;
          }
          return ev;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
        const chunk = await Promise.race([reader.read(), sleep(remaining).then(() => "timeout" as const)]);
        if (chunk === "timeout") throw new Error(`no SSE event within ${timeoutMs} ms`);
        if (chunk.done) {
          expect(buffer.trim()).toBe("");
          return null;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
