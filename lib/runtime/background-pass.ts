// A background job that runs in passes: asked for ("kicked") after a commit and on a timer, one
// pass at a time, with kicks during a pass coalescing into one more pass. The audit sealer and the
// notification outbox worker run this way. State is process-wide so a dev hot reload (or the route
// code loaded twice by server.ts) keeps one job per process.
import { isDatabaseUnavailable } from "@/db/errors";
import { log } from "@/lib/log";
import { processWide } from "./process-wide";

export type PassState = { running: boolean; again: boolean; timer?: NodeJS.Timeout; pass?: Promise<void> };

export type BackgroundPass = {
  /** Run a pass soon; a kick while one is pending or running asks for one more. */
  kick(): void;
  /** Waits for any pass in flight (processes call this before closing the database). */
  settle(): Promise<void>;
  /** Kicks now and every `intervalMs` (for work written by other processes); returns a stop function. */
  start(intervalMs: number): () => void;
};

export function backgroundPass(opts: { key: string; delayMs: number; failure: string; run: () => Promise<unknown> }): BackgroundPass {
  const state = processWide<PassState>(opts.key, () => ({ running: false, again: false }));

  const kick = (): void => {
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    state.pass = new Promise<void>((resolve) =>
      setTimeout(async () => {
        try {
          do {
            state.again = false;
            await opts.run();
          } while (state.again);
        } catch (err) {
          logPassFailure(err, opts.failure);
        } finally {
          state.running = false;
          resolve();
        }
      }, opts.delayMs),
    );
  };

  return {
    kick,
    async settle() {
      while (state.running && state.pass) await state.pass;
    },
    start(intervalMs) {
      if (state.timer) clearInterval(state.timer);
      state.timer = setInterval(kick, intervalMs);
      state.timer.unref();
      kick();
      return () => {
        if (state.timer) clearInterval(state.timer);
        state.timer = undefined;
      };
    },
  };
}

// While the database is down every pass of every job fails; one line per job every few seconds
// says so, where a stack per pass would bury the log.
const quietUntil = new Map<string, number>();

/** Logs a failed pass (or sweep): a database outage briefly, at most every 10 s per job; anything else in full. */
export function logPassFailure(err: unknown, failure: string): void {
  if (!isDatabaseUnavailable(err)) {
    log.error({ err }, failure);
    return;
  }
  const now = Date.now();
  if ((quietUntil.get(failure) ?? 0) > now) return;
  quietUntil.set(failure, now + 10_000);
  log.warn({ err: err instanceof Error ? err.message : String(err) }, `${failure} (database unavailable)`);
}
