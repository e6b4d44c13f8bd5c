// Waiting for a decision: the request's Server-Sent Events stream (GET /requests/{id}/events),
// which sends the current state on connect and every change after; a dropped connection, a
// silent one (no heartbeat for 45 s) or a server restart is met by reconnecting, and since each
// connection starts with the current state nothing is missed. Where streaming cannot work (a
// runtime without response streams, a proxy that buffers or rewrites text/event-stream), the
// same wait falls back to long-polls (GET /requests/{id}?wait=N).
import { createParser } from "eventsource-parser";
import { ApiError, ConnectionError } from "./errors.js";
import { apiError, backoff, call, headers, sleep, type HttpOptions } from "./http.js";
import type { RequestView } from "./types.js";

export type Transport = "auto" | "sse" | "poll";

/** The stream cannot be used here: switch to long-polls. */
class StreamUnsupported extends Error {}

/** No byte (heartbeats come every 15 s) for this long: the connection is dead. */
const SILENCE_MS = 45_000;
/** The server's longest long-poll. */
const MAX_POLL_SECONDS = 60;

/** Statuses that end the wait: anything but pending. */
const decided = (v: RequestView) => v.status !== "pending";

/**
 * Resolves with the first state of request `id` that is not pending. Throws an ApiError that is
 * not worth retrying (401, 403, 404), or the signal's reason when it aborts. Everything else
 * (network, 5xx, 429, a stream that ends early) is retried for as long as the signal allows.
 */
export async function waitUntilDecided(
  http: HttpOptions,
  id: string,
  opts: { signal: AbortSignal; transport: Transport; onUpdate?: (v: RequestView) => void },
): Promise<RequestView> {
  let mode: "sse" | "poll" = opts.transport === "poll" ? "poll" : "sse";
  let failures = 0;
  const seen = (v: RequestView) => {
    failures = 0;
    opts.onUpdate?.(v);
    return decided(v);
  };
  for (;;) {
    if (opts.signal.aborted) throw opts.signal.reason;
    try {
      if (mode === "sse") {
        const view = await streamUntil(http, id, opts.signal, seen);
        if (view) return view;
        // The stream ended without a decision (the server restarted or drained): reconnect.
      } else {
        const remaining = remainingSeconds(opts.signal);
        const wait = Math.max(1, Math.min(MAX_POLL_SECONDS, remaining));
        const view = await call<RequestView>(http, "GET", `api/v1/requests/${encodeURIComponent(id)}?wait=${wait}`, { signal: opts.signal, retry: "none" });
        if (seen(view)) return view;
        continue;
      }
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (err instanceof StreamUnsupported) {
        if (opts.transport === "sse") throw new ConnectionError(`The event stream cannot be used here: ${err.message}`);
        mode = "poll";
        continue;
      }
      if (err instanceof ApiError && !retryable(err)) throw err;
      const delay = err instanceof ApiError && err.retryAfterSeconds !== undefined ? Math.min(err.retryAfterSeconds * 1000, 10_000) : backoff(failures);
      failures++;
      await sleep(delay, opts.signal);
      continue;
    }
    await sleep(backoff(failures++), opts.signal);
  }
}

const retryable = (err: ApiError) => err.status === 429 || err.status >= 500 || err.code === "http_error";

// The signal carries no deadline; the timeout's own is tracked by the caller through this hook.
const deadlines = new WeakMap<AbortSignal, number>();
/** Marks `signal` as one that aborts at `at` (ms since epoch), so long-polls can be sized to it. */
export function withDeadline(signal: AbortSignal, at: number): AbortSignal {
  deadlines.set(signal, at);
  return signal;
}
function remainingSeconds(signal: AbortSignal): number {
  const at = deadlines.get(signal);
  return at === undefined ? MAX_POLL_SECONDS : Math.ceil((at - Date.now()) / 1000);
}

/**
 * One connection to the event stream. Calls `seen` for each state; returns the first state it
 * accepts, or undefined when the stream ends (or falls silent) before one. Throws ApiError for a
 * refused stream or an `event: error`, StreamUnsupported when the answer is not a stream.
 */
async function streamUntil(http: HttpOptions, id: string, signal: AbortSignal, seen: (v: RequestView) => boolean): Promise<RequestView | undefined> {
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  let silence: ReturnType<typeof setTimeout> | undefined;
  const quiet = () => {
    clearTimeout(silence);
    silence = setTimeout(() => local.abort(new Error("silent")), SILENCE_MS);
  };
  try {
    quiet();
    const res = await http.fetch(new URL(`api/v1/requests/${encodeURIComponent(id)}/events`, http.baseUrl), {
      headers: await headers(http, { accept: "text/event-stream" }, local.signal),
      signal: local.signal,
    });
    if (!res.ok) throw await apiError(res);
    if (!res.body || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      await res.body?.cancel().catch(() => undefined);
      throw new StreamUnsupported(`the answer is ${res.headers.get("content-type") ?? "without a content type"}`);
    }
    let result: RequestView | undefined;
    let failure: unknown;
    const parser = createParser({
      onEvent(event) {
        if (result || failure) return;
        if (event.event === "state") {
          let view: RequestView;
          try {
            view = JSON.parse(event.data) as RequestView;
          } catch (err) {
            failure = new ConnectionError("The event stream sent a state that is not JSON.", { cause: err });
            return;
          }
          if (seen(view)) result = view;
        } else if (event.event === "error") {
          failure = parseErrorEvent(event.data);
        }
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        quiet();
        parser.feed(value);
        if (result || failure) break;
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      // A reset connection or the silence timer: end this connection without a decision.
      void err;
    } finally {
      reader.cancel().catch(() => undefined);
    }
    if (failure) throw failure;
    return result;
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if ((err as Error)?.message === "silent" || local.signal.aborted) return undefined;
    throw err;
  } finally {
    clearTimeout(silence);
    signal.removeEventListener("abort", onAbort);
  }
}

function parseErrorEvent(data: string): ApiError {
  try {
    const e = (JSON.parse(data) as { error?: { code?: string; message?: string } }).error;
    if (e?.code && e.message) return new ApiError(e.code === "agent_revoked" || e.code === "unauthorized" ? 401 : 400, e.code, e.message);
  } catch {
    /* fall through */
  }
  return new ApiError(500, "stream_error", `The event stream ended with an error: ${data.slice(0, 200)}`);
}
