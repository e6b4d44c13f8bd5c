// Where the gate talks: always stderr, so the gated command's stdout stays its own. Three forms:
// on a terminal one status line redrawn in place (the countdown ticks every second); otherwise
// plain `countersign: …` log lines, one per change; with --json one JSON object per line.
import type { RequestView } from "../types.js";
import { approvers, stateKey, statusLine } from "./status-line.js";

export type ProgressStream = Pick<NodeJS.WriteStream, "write"> & {
  isTTY?: boolean;
  columns?: number;
  cursorTo?: NodeJS.WriteStream["cursorTo"];
  clearLine?: NodeJS.WriteStream["clearLine"];
};

export type Progress = {
  /** One message: `countersign: <text>`, or `{"event": …, …fields}` with --json. */
  say(event: string, fields: Record<string, unknown>, text: string): void;
  /** The request's latest state: redrawn (terminal) or logged when it changed. */
  watch(view: RequestView): void;
  /** Stops the countdown and clears the status line. */
  stop(): void;
};

export function createProgress(opts: { stream: ProgressStream; json: boolean; now?: () => number }): Progress {
  const { stream } = opts;
  const now = opts.now ?? Date.now;
  if (opts.json) return jsonProgress(stream);
  const live = !!stream.isTTY && typeof stream.cursorTo === "function" && typeof stream.clearLine === "function";
  return live ? liveProgress(stream, now) : plainProgress(stream, now);
}

function jsonProgress(stream: ProgressStream): Progress {
  let last = "";
  return {
    say(event, fields) {
      stream.write(`${JSON.stringify({ event, ...fields })}\n`);
    },
    watch(view) {
      const key = stateKey(view);
      if (key === last) return;
      last = key;
      stream.write(
        `${JSON.stringify({
          event: "state",
          id: view.id,
          status: view.status,
          approvals: view.approvals,
          approved_by: approvers(view),
          decision_deadline: view.decision_deadline,
        })}\n`,
      );
    },
    stop() {},
  };
}

function plainProgress(stream: ProgressStream, now: () => number): Progress {
  let last = "";
  return {
    say(_event, _fields, text) {
      stream.write(`countersign: ${text}\n`);
    },
    watch(view) {
      const key = stateKey(view);
      if (key === last) return;
      last = key;
      stream.write(`countersign: ${statusLine(view, now())}\n`);
    },
    stop() {},
  };
}

function liveProgress(stream: ProgressStream, now: () => number): Progress {
  let current: RequestView | undefined;
  let shown = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const clear = () => {
    if (!shown) return;
    stream.cursorTo!(0);
    stream.clearLine!(0);
    shown = false;
  };
  const draw = () => {
    if (!current) return;
    clear();
    // Never wider than the terminal: a wrapped line cannot be redrawn in place.
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const line = `countersign: ${statusLine(current, now())}`;
    stream.write(line.length > width ? `${line.slice(0, width - 1)}…` : line);
    shown = true;
  };
  return {
    say(_event, _fields, text) {
      clear();
      stream.write(`countersign: ${text}\n`);
      draw();
    },
    watch(view) {
      current = view;
      draw();
      if (view.status === "pending" && !timer) {
        timer = setInterval(draw, 1000);
        timer.unref();
      } else if (view.status !== "pending" && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      clear();
      current = undefined;
    },
  };
}
