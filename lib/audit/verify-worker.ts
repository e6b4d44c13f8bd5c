// A verify worker thread (lib/audit/verify-parallel.ts starts them): its own PostgreSQL connection,
// chunks of the chain in, one ChunkWalker verdict (and the chunk's request ledger) out per chunk.
import { parentPort, workerData } from "node:worker_threads";
import postgres from "postgres";
import type { ChainRow } from "@/db/queries/audit";
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

// Plain text columns, as arrays (not objects, not one JSON page): the cheapest read measured for
// this thread — the JSON page selectChainPage builds costs the server more than the hashing it
// feeds, and one COPY per page measured slower still.
const PAGE_SQL = `
  select seq::float8, event_id::text, floor(extract(epoch from occurred_at) * 1000)::float8, type, actor_kind::text, actor_id,
         actor::text, channel::text, request_id::text, agent_id::text, action, environment, risk_level::text, outcome,
         payload::text, prev_hash, hash, mac
    from audit_events
   where seq > $1 and seq <= $2
   order by seq`;

type PageTuple = [number, string, number, string, string, string, string, string, string | null, string | null, string | null, string | null, string | null, string | null, string, string | null, string | null, string | null];

async function readPage(after: number, through: number): Promise<ChainRow[]> {
  const tuples = (await sql.unsafe(PAGE_SQL, [after, through], { prepare: true }).values()) as unknown as PageTuple[];
  return tuples.map((t) => ({
    seq: t[0],
    eventId: t[1],
    occurredAtMs: t[2],
    type: t[3],
    actorKind: t[4],
    actorId: t[5],
    actor: JSON.parse(t[6]) as ChainRow["actor"],
    channel: t[7] as ChainRow["channel"],
    requestId: t[8],
    agentId: t[9],
    action: t[10],
    environment: t[11],
    riskLevel: t[12] as ChainRow["riskLevel"],
    outcome: t[13],
    payload: JSON.parse(t[14]) as Record<string, unknown>,
    prevHash: t[15],
    hash: t[16],
    mac: t[17],
  }));
}

async function verifyChunk(task: ChunkTask): Promise<ChunkReply> {
  const ledger = init.ledger ? new RequestLedger() : null;
  const walker = new ChunkWalker(task.after, task.through, checkMac, checkpoints, ledger);
  const read = (after: number) => {
    const page = readPage(after, Math.min(after + init.page, task.through));
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
