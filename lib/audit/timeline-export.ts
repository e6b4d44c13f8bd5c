// Exports of exactly the filtered timeline view, as a file an outsider verifies with no database
// (lib/evidence/export-verify.ts): every hashed field in every row, each row's Merkle inclusion
// proof against the chain's tree head at export time, and a signed trailer stating the filter,
// the sequence range, the row count and a digest of the rows. Streamed: the rows are read from the
// database as the client reads the file; the tree is built once, before the first row. An export
// is itself an audit event.
import { hash, randomUUID } from "node:crypto";
import { getDatabase, rowsOf, type CopyOut, type Database, type DatabaseHandle } from "@/db/client";
import { insertAuditEvents, selectChainHashesHex, selectChainHead } from "@/db/queries/audit";
import { releaseExportLease, renewExportLease, takeExportLease } from "@/db/queries/export-leases";
import {
  exportCursorOf,
  timelineExportCopy,
  timelineExportStatement,
  type ExportCursorColumns,
  type ExportRowColumns,
  type TimelineCursor,
  type TimelineFilter,
  type TimelineSort,
} from "@/db/queries/timeline";
import { viewerActor } from "@/lib/auth/people";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { CSV_COLUMNS, signExportClaims, trailerLine, type ExportClaims, type ExportFormat } from "@/lib/evidence/export-format";
import { exportWriter, type ExportSourceRow } from "@/lib/evidence/export-writer";
import { grantIssuer } from "@/lib/evidence/grants";
import { keyRing } from "@/lib/evidence/keys";
import { log } from "@/lib/log";
import { HASH_BYTES, MerkleRootBuilder, MerkleTree } from "@/lib/evidence/merkle";
import { auditEvent } from "./events";
import { kickSealer } from "./sealer";
import { describedFilter, type TimelineQuery } from "./timeline-filter";
import { sortOf, toFilter } from "./timeline";

const BATCH = 2_000;
const TREE_BATCH = 100_000;

/** One row of the view as the database writes it: seq, hash and the event as one JSON line. */
type SourceRow = ExportSourceRow;
type RowSource = { next(): Promise<SourceRow[] | null>; cancel(): void };

function sourceRow(seq: string, hash: string, line: string): SourceRow {
  return { seq: Number(seq), hash, line };
}

/** PostgreSQL: one COPY, its lines `seq \x02 hash \x02 json` split as they arrive. */
function copySource(copy: CopyOut): RowSource {
  const { stream } = copy;
  const decoder = new TextDecoder();
  let rest = "";
  let failed: unknown;
  stream.on("error", (err) => (failed ??= err));
  const wait = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off("readable", done).off("end", done).off("error", done).off("close", done);
        resolve();
      };
      stream.once("readable", done).once("end", done).once("error", done).once("close", done);
    });
  return {
    async next() {
      for (;;) {
        if (failed) throw failed;
        // read() hands over everything buffered at once: chunks of many rows, not one per row.
        const chunk = stream.read() as Buffer | null;
        if (chunk !== null) {
          const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
          rest = lines.pop()!;
          if (lines.length === 0) continue;
          return lines.map((l) => {
            const a = l.indexOf("\x02");
            const b = l.indexOf("\x02", a + 1);
            return sourceRow(l.slice(0, a), l.slice(a + 1, b), l.slice(b + 1));
          });
        }
        if (stream.readableEnded) {
          if (rest !== "") throw new Error("the export's COPY ended inside a row");
          return null;
        }
        if (stream.destroyed) throw failed ?? new Error("the export's COPY stopped before its end");
        await wait();
      }
    },
    cancel: () => copy.abandon(),
  };
}

/** PGlite: the same statement in keyset batches. */
function batchSource(db: Database, filter: TimelineFilter, sort: TimelineSort, throughSeq: number): RowSource {
  let after: TimelineCursor | undefined;
  let done = false;
  return {
    async next() {
      if (done) return null;
      const rows = rowsOf<ExportRowColumns & ExportCursorColumns>(await db.execute(timelineExportStatement(filter, sort, throughSeq, { limit: BATCH, after })));
      if (rows.length < BATCH) done = true;
      if (rows.length === 0) return null;
      after = exportCursorOf(rows.at(-1)!);
      return rows.map((r) => sourceRow(String(r.seq), r.hash, r.line));
    },
    cancel() {
      done = true;
    },
  };
}

/**
 * The leaves of the sealed events 1..size, in order, read as hex in large slices and hashed once,
 * given to `add`: into a tree whose audit paths the rows carry (filtered exports), or into a
 * root builder that keeps only O(log n) hashes (a whole-log export needs the root alone).
 */
async function addChainLeaves(db: Database, size: number, add: (leaf: Buffer, index: number) => void): Promise<void> {
  const input = Buffer.allocUnsafe(1 + HASH_BYTES);
  input[0] = 0;
  for (let from = 1; from <= size; from += TREE_BATCH) {
    const to = Math.min(size, from + TREE_BATCH - 1);
    const hex = await selectChainHashesHex(db, from, to);
    if (hex.length !== (to - from + 1) * 64) throw new Error(`the sealed chain between #${from} and #${to} has gaps or malformed hashes`);
    const bytes = Buffer.from(hex, "hex");
    for (let i = 0; i < to - from + 1; i++) {
      bytes.copy(input, 1, i * HASH_BYTES, (i + 1) * HASH_BYTES);
      add(hash("sha256", input, "buffer"), from - 1 + i);
    }
  }
}

async function chainTree(db: Database, size: number): Promise<MerkleTree> {
  const leaves = Buffer.allocUnsafe(size * HASH_BYTES);
  await addChainLeaves(db, size, (leaf, i) => leaf.copy(leaves, i * HASH_BYTES));
  return MerkleTree.fromLeafHashes(leaves);
}

async function chainRoot(db: Database, size: number): Promise<MerkleRootBuilder> {
  const builder = new MerkleRootBuilder();
  await addChainLeaves(db, size, (leaf) => builder.add(leaf));
  return builder;
}

// Each running export on PostgreSQL holds a pooled connection for as long as its reader takes: at
// most a third of the pool (at least one) goes to exports, so the agent API and the console always
// have connections left. Counted per database handle, in this process.
const runningExports = new WeakMap<DatabaseHandle, number>();

const refused = (message: string) => new CountersignError("rate_limited", `${message}; try again when one has finished.`, { retryAfterSeconds: 10 });

function takeExportSlot(handle: DatabaseHandle): () => void {
  const limit = Math.max(1, Math.floor((handle.poolSize ?? 3) / 3));
  const running = runningExports.get(handle) ?? 0;
  if (running >= limit) {
    throw refused(`${running} audit export${running === 1 ? " is" : "s are"} already running on this server (at most ${limit} at a time)`);
  }
  runningExports.set(handle, running + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    runningExports.set(handle, (runningExports.get(handle) ?? 1) - 1);
  };
}

// And across every instance on the database (the embedded one too): COUNTERSIGN_EXPORT_CONCURRENCY
// leases in export_leases, renewed while the export streams; a crashed instance's lapse.
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

async function takeSharedExportSlot(db: Database): Promise<() => void> {
  const slots = env().COUNTERSIGN_EXPORT_CONCURRENCY;
  const holder = randomUUID();
  const slot = await takeExportLease(db, slots, holder, LEASE_MS);
  if (slot === null) throw refused(`${slots} audit export${slots === 1 ? " is" : "s are"} already running (at most ${slots} at a time across all instances)`);
  const renew = setInterval(() => {
    renewExportLease(db, slot, holder, LEASE_MS).catch((err: unknown) => log.warn({ err }, "could not renew an audit export's lease"));
  }, RENEW_MS);
  renew.unref();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    clearInterval(renew);
    releaseExportLease(db, slot, holder).catch((err: unknown) => log.warn({ err }, "could not release an audit export's lease; it lapses"));
  };
}

export type TimelineExport = { stream: ReadableStream<Uint8Array>; filename: string; contentType: string };

/**
 * Streams exactly the filtered view (ignoring paging) of the events sealed when it starts, closed
 * by the signed trailer. The database writes each row's JSON (see timelineExportStatement); on
 * PostgreSQL they are one COPY read as the client reads, the socket paused while it falls behind.
 * Records `audit.exported` first, so even an abandoned export is on record.
 */
export async function exportTimeline(viewer: Viewer | null, q: TimelineQuery, format: ExportFormat): Promise<TimelineExport> {
  const who = assertCan(viewer, "export_audit");
  const handle = await getDatabase();
  // Refused before anything is recorded: a refused export is not an export.
  const releaseHere = handle.copyOut ? takeExportSlot(handle) : () => undefined;
  let releaseShared: () => void;
  try {
    releaseShared = await takeSharedExportSlot(handle.db);
  } catch (err) {
    releaseHere();
    throw err;
  }
  const release = () => {
    releaseHere();
    releaseShared();
  };
  try {
    return await startExport(handle, who, q, format, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function startExport(handle: DatabaseHandle, who: Viewer, q: TimelineQuery, format: ExportFormat, release: () => void): Promise<TimelineExport> {
  const db = handle.db;
  const filter = toFilter(q);
  const sort = sortOf(q);
  const described = describedFilter(q);
  const exportedAt = new Date();
  const { signing } = await keyRing();
  // The tree head: every event sealed so far. The rows are the view's events up to it, each proven in it.
  const head = await selectChainHead(db);
  const treeSize = head?.seq ?? 0;
  const exported = auditEvent({
    type: "audit.exported",
    actor: viewerActor(who),
    channel: "console",
    at: exportedAt,
    payload: { format, filter: described, chain_head: head },
  });
  await db.transaction((tx) => insertAuditEvents(tx, [exported]));
  kickSealer();

  // With no filter the rows are the whole tree: a verifier rebuilds its root from them, no per-row proof needed.
  const proofs = Object.keys(described).length > 0;
  const tree = proofs ? await chainTree(db, treeSize) : await chainRoot(db, treeSize);
  const source = handle.copyOut ? copySource(await handle.copyOut(timelineExportCopy(filter, sort, treeSize))) : batchSource(db, filter, sort, treeSize);
  const writer = exportWriter(format, tree, proofs);
  const encoder = new TextEncoder();
  let finished = false;

  const claimsAtEnd = (): ExportClaims => ({
    iss: grantIssuer(),
    jti: exported.eventId,
    iat: Math.floor(exportedAt.getTime() / 1000),
    exported_at: exportedAt.toISOString(),
    exported_by: { person: who.personId, name: who.name, email: who.email },
    format,
    filter: described,
    sort: `${sort.by} ${sort.dir}`,
    range: { from_seq: 1, to_seq: treeSize },
    ...writer.claims(),
    chain_head: head,
    ...(format === "csv" ? { columns: [...CSV_COLUMNS] } : {}),
  });

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "csv") controller.enqueue(encoder.encode(writer.header()));
    },
    async pull(controller) {
      if (finished) return;
      let batch: SourceRow[] | null;
      try {
        batch = await source.next();
      } catch (err) {
        finished = true;
        release();
        // No trailer: a reader can tell an incomplete export from a complete one.
        controller.error(err);
        return;
      }
      if (finished) return; // cancelled meanwhile
      if (batch) {
        let text = "";
        for (const r of batch) text += writer.row(r);
        controller.enqueue(encoder.encode(text));
        return;
      }
      finished = true;
      release();
      const claims = claimsAtEnd();
      try {
        controller.enqueue(encoder.encode(trailerLine(format, claims, await signExportClaims(claims, signing))));
        controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
    cancel() {
      finished = true;
      source.cancel();
      release();
    },
  });
  const stamp = exportedAt.toISOString().replace(/[:.]/g, "-");
  return {
    stream,
    filename: `countersign-audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}`,
    contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
  };
}
