// SIGINT, SIGTERM and SIGHUP for the gate's whole life: before the command runs, the first one
// aborts the wait (the caller then withdraws the request and exits 128 + n); once the command
// runs, every one is passed on to it (but a terminal's Ctrl-C, which reaches it by itself) and the
// gate waits for it to end.
import type { ChildProcess } from "node:child_process";
import { Interrupted } from "./exit-codes.js";

const TRAPPED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export type SignalTrap = {
  /** Aborts (with an Interrupted reason) on the first signal before a child is attached. */
  readonly signal: AbortSignal;
  /** Throws the Interrupted for the first signal received, if any. */
  throwIfInterrupted(): void;
  /** From now on, signals go to `child`. */
  forwardTo(child: ChildProcess): void;
  dispose(): void;
};

export function trapSignals(): SignalTrap {
  const controller = new AbortController();
  let child: ChildProcess | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (child) {
      // Ctrl-C on a terminal already reached the command (the terminal signals the whole
      // foreground process group): passing it on would deliver it twice.
      if (sig === "SIGINT" && process.stdin.isTTY) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      return;
    }
    if (!controller.signal.aborted) controller.abort(new Interrupted(sig));
  };
  for (const sig of TRAPPED) process.on(sig, handler);
  return {
    signal: controller.signal,
    throwIfInterrupted() {
      if (controller.signal.aborted) throw controller.signal.reason;
    },
    forwardTo(c) {
      child = c;
    },
    dispose() {
      for (const sig of TRAPPED) process.off(sig, handler);
    },
  };
}
