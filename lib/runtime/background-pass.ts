// A background job that runs in passes: asked for ("kicked") after a commit and on a timer, one
// pass at a time, with kicks during a pass coalescing into one more pass. The audit sealer and the
// notification outbox worker run this way. State is process-wide so a dev hot reload (or the route
// code loaded twice by server.ts) keeps one job per process.
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
          log.error({ err }, opts.failure);
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
