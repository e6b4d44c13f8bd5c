// A verify worker thread (lib/audit/verify-parallel.ts starts them): its own PostgreSQL connection,
// chunks of the chain in, one ChunkWalker verdict (and the chunk's request ledger) out per chunk.
import { parentPort, workerData } from "node:worker_threads";
import postgres from "postgres";
import { selectChainRange, type ChainRow } from "@/db/queries/audit";
import { macChecker } from "./mac";
import { RequestLedger } from "./reconcile";
import { ChunkWalker } from "./verify-chunk";
import type { ChunkReply, ChunkTask, WorkerInit } from "./verify-parallel";

const init = workerData as WorkerInit;
const port = parentPort!;
const secret = (b64: string) => Buffer.from(b64, "base64");
const checkMac = macChecker({
  mac: { kid: init.mac.kid, secret: secret(init.mac.secret) },
  previousMacs: new Map(init.previousMacs.map(([kid, s]) => [kid, secret(s)])),
});
const checkpoints = new Map(init.checkpoints);
const sql = postgres(init.databaseUrl, { max: 2, onnotice: () => undefined });

async function verifyChunk(task: ChunkTask): Promise<ChunkReply> {
  const ledger = init.ledger ? new RequestLedger() : null;
  const walker = new ChunkWalker(task.after, task.through, checkMac, checkpoints, ledger);
  const read = (after: number) => {
    const page = selectChainRange(sql, after, Math.min(after + init.page, task.through));
    page.catch(() => undefined);
    return page;
  };
  // One page ahead: the server builds the next page while this one is hashed.
  let at = task.after;
  let pending: Promise<ChainRow[]> | null = read(at);
  while (pending) {
    const rows: ChainRow[] = await pending;
    at += init.page;
    pending = rows.length === init.page && at < task.through ? read(at) : null;
    if (pending) await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    if (!walker.feed(rows)) break;
  }
  return { id: task.id, outcome: walker.outcome(), ledger: ledger?.entries() ?? [] };
}

// Chunks are answered in the order they arrive (the main thread keeps two in flight per worker).
let queue: Promise<void> = Promise.resolve();
port.on("message", (task: ChunkTask | { stop: true }) => {
  if ("stop" in task) {
    queue = queue.then(() => sql.end({ timeout: 1 })).then(() => port.close());
    return;
  }
  queue = queue.then(async () => {
    try {
      port.postMessage(await verifyChunk(task));
    } catch (err) {
      port.postMessage({ id: task.id, error: err instanceof Error ? err.message : String(err) } satisfies ChunkReply);
    }
  });
});
port.postMessage({ ready: true });
