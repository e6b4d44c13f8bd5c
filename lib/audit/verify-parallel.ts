// `countersign audit verify` on several cores: the chain is cut into chunks of consecutive
// positions, worker threads (lib/audit/verify-worker.ts, each with its own PostgreSQL connection)
// check each chunk on its own (lib/audit/verify-chunk.ts), and this thread links the chunks in chain
// order: chunk k must start from the hash chunk k−1 ends with. Request ledgers are absorbed in the
// same order, so reconciliation sees exactly what one sequential walk would have fed it.
//
// It only ever vouches for a prefix of all-good chunks: at the first chunk that is not (or does not
// link), it stops the workers and hands back where the good prefix ends; verify.ts's sequential
// walk goes on from there and names the failure exactly as a walk from #1 would.
//
// Only the command line and the bench import this (never the Next server: verify.ts receives it as
// an option, so no bundler follows it to a worker file).
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { Replayed } from "./reconcile";
import type { ChunkOutcome, SignedHead } from "./verify-chunk";
import type { ParallelVerify } from "./verify";

export type WorkerInit = {
  databaseUrl: string;
  mac: { kid: string; secret: string };
  previousMacs: [string, string][];
  checkpoints: [number, SignedHead][];
  ledger: boolean;
  page: number;
};
export type ChunkTask = { id: number; after: number; through: number };
export type ChunkReply = { id: number; outcome: ChunkOutcome; ledger: [string, Replayed][] } | { id: number; error: string };

export type ParallelOptions = {
  databaseUrl: string;
  /** Worker threads (default: the cores this process may use, at most 8). */
  threads?: number;
  /** Positions per chunk (default 50,000). */
  chunk?: number;
  /** Rows per read inside a chunk (default 5,000). */
  page?: number;
  /** Fewer events than this are walked sequentially: starting workers costs more (default 100,000). */
  minEvents?: number;
};

/** A plain module that registers the TypeScript loader in the thread, then loads verify-worker.ts. */
const WORKER_FILE = new URL("./verify-worker.mjs", import.meta.url);

export function parallelVerifier(opts: ParallelOptions): ParallelVerify {
  const threads = Math.max(1, Math.min(opts.threads ?? os.availableParallelism(), 8));
  const chunk = opts.chunk ?? 50_000;
  const page = opts.page ?? 5_000;
  const minEvents = opts.minEvents ?? 100_000;

  return async ({ after, through, keys, checkpoints, ledger, onProgress }) => {
    if (through - after.seq < minEvents) return { through: null, threads: 0 };
    const init: WorkerInit = {
      databaseUrl: opts.databaseUrl,
      mac: { kid: keys.mac.kid, secret: keys.mac.secret.toString("base64") },
      previousMacs: [...keys.previousMacs].map(([kid, s]) => [kid, s.toString("base64")]),
      checkpoints: [...checkpoints].map(([seq, c]) => [seq, { hash: c.hash, source: c.source }]),
      ledger: ledger !== undefined,
      page,
    };
    const tasks: ChunkTask[] = [];
    for (let a = after.seq, id = 0; a < through; a += chunk, id++) tasks.push({ id, after: a, through: Math.min(a + chunk, through) });

    const workers: Worker[] = [];
    const replies = new Map<number, ChunkReply>();
    let nextTask = 0;
    let linked = 0;
    let good: { seq: number; hash: string } = after;
    let settle!: (v: { through: { seq: number; hash: string } | null; threads: number }) => void;
    let fail!: (e: Error) => void;
    const done = new Promise<{ through: { seq: number; hash: string } | null; threads: number }>((res, rej) => {
      settle = res;
      fail = rej;
    });
    let finished = false;
    /** Ends the pass: what it vouches for is the linked prefix (none if not even the first chunk). */
    const finish = () => {
      if (finished) return;
      finished = true;
      settle({ through: linked > 0 ? good : null, threads });
    };

    const send = (w: Worker) => {
      if (finished || nextTask >= tasks.length) return;
      w.postMessage(tasks[nextTask++]);
    };
    // Link every reply that is next in chain order.
    const link = () => {
      for (;;) {
        const reply = replies.get(linked);
        if (!reply) return;
        replies.delete(linked);
        if ("error" in reply) return fail(new Error(`verify worker: ${reply.error}`));
        const task = tasks[linked]!;
        if (!reply.outcome.ok || reply.outcome.firstPrev !== good.hash) return finish();
        ledger?.absorb(reply.ledger);
        good = { seq: task.through, hash: reply.outcome.lastHash };
        linked += 1;
        onProgress?.(good.seq);
        if (linked === tasks.length) return finish();
      }
    };

    try {
      for (let i = 0; i < Math.min(threads, tasks.length); i++) {
        const w = new Worker(WORKER_FILE, { workerData: init, execArgv: [] });
        workers.push(w);
        w.on("message", (m: ChunkReply | { ready: true }) => {
          if ("ready" in m) {
            send(w);
            send(w);
            return;
          }
          replies.set(m.id, m);
          send(w);
          link();
        });
        w.on("error", (err) => fail(err));
        w.on("exit", (code) => {
          if (!finished && code !== 0) fail(new Error(`verify worker exited with code ${code}`));
        });
      }
      return await done;
    } finally {
      finished = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2_000);
              w.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              w.postMessage({ stop: true });
            }),
        ),
      );
    }
  };
}

