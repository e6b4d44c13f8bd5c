// Recomputes the audit hash chain from the first sealed event and names the first broken link.
// Unsealed events (committed, awaiting the sealer) are counted separately, not judged. Each sealed
// event's MAC is checked on the way (a row written without the MAC key is named), and, for
// `verifyAuditEvidence` (what `countersign audit verify` runs), the chain is also held against every
// signed checkpoint (stored, and in the external sink) and every request's row is reconciled with
// its sealed events.
//
// The verifier runs while writers append and the sealer seals, without holding one snapshot for
// the whole walk (that would block PGlite's single connection for the length of a long run). It
// stays exact because sealing only ever appends: a seal batch commits atomically with consecutive
// positions after the head, so a later page can only show more of the same chain. After the walk,
// one statement counts what lies at or below the verified head (anything there the walk did not
// visit is a broken chain) and what was sealed beyond it meanwhile (walked in a further round).
//
// Speed: pages are read as one JSON text per row (selectChainPage), the next page is fetched while
// this one is hashed, and each event's canonical content is written by chain.ts's
// `eventContentCanonical` (byte for byte what the sealer hashed). On PostgreSQL the command line
// passes `parallel` (verify-parallel.ts): chunks of the chain verified on worker threads, linked
// here; this walk then only confirms the rest, or takes over at the first doubt.
import { isNotNull, sql } from "drizzle-orm";
import { getDb, type Database } from "@/db/client";
import { selectChainPage, selectCheckpoints, selectRequestsBeyond, type ChainRow } from "@/db/queries/audit";
import { auditEvents } from "@/db/schema";
import { keyRing, type KeyRing } from "@/lib/evidence/keys";
import { GENESIS_HASH } from "./chain";
import { checkpointSinkFile, readSinkFile, verifyCheckpoint } from "./checkpoints";
import { macChecker } from "./mac";
import { RequestLedger } from "./reconcile";
import { sealedEventProblem } from "./verify-chunk";

export type ChainBreak = {
  /** The chain position where verification failed (for a request, its last sealed event; 0 if none). */
  seq: number;
  reason: string;
  /** The event at that position, when there is one. */
  eventId?: string;
  /** The request whose stored row disagrees with its sealed events. */
  requestId?: string;
};

export type ChainVerification = {
  ok: boolean;
  /** Sealed events checked: when ok, exactly the events at positions 1..head.seq. */
  sealed: number;
  /** Events not in the verified chain when the run ended: awaiting the sealer (or sealed since). */
  unsealed: number;
  head: { seq: number; hash: string } | null;
  broken: ChainBreak | null;
};

/** A signed chain head the walk must agree with: where it came from, for the report. */
export type ExpectedHead = { seq: number; hash: string; source: string };

/**
 * Verifies positions after..through off this thread (lib/audit/verify-parallel.ts) and answers the
 * end of the all-good prefix it could link from `after` (null: none, or too few events to bother);
 * the sequential walk goes on from there. Absorbs that prefix's request ledgers into `ledger`.
 */
export type ParallelVerify = (job: {
  after: { seq: number; hash: string };
  through: number;
  keys: Pick<KeyRing, "mac" | "previousMacs">;
  checkpoints: ReadonlyMap<number, ExpectedHead>;
  ledger?: RequestLedger;
  onProgress?: (verifiedThrough: number) => void;
}) => Promise<{ through: { seq: number; hash: string } | null; threads: number }>;

const PAGE = 10_000;
/** Pages requested ahead of the one being hashed (each on its own pooled connection, if there are enough). */
const READ_AHEAD = 3;
/** Rounds spent catching up with events sealed during the walk before reporting what was verified. */
const MAX_ROUNDS = 20;

async function countAround(db: Database, headSeq: number) {
  const [row] = await db
    .select({
      total: sql<number>`count(*)`.mapWith(Number),
      sealed: sql<number>`count(${auditEvents.seq})`.mapWith(Number),
      throughHead: sql<number>`count(*) filter (where ${auditEvents.seq} <= ${headSeq})`.mapWith(Number),
    })
    .from(auditEvents);
  return row ?? { total: 0, sealed: 0, throughHead: 0 };
}

async function maxSealedSeq(db: Database): Promise<number> {
  const [row] = await db.select({ top: sql<number | null>`max(${auditEvents.seq})`.mapWith(Number) }).from(auditEvents);
  return row?.top ?? 0;
}

async function countSealed(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(auditEvents)
    .where(isNotNull(auditEvents.seq));
  return row?.n ?? 0;
}

export async function verifyAuditChain(
  opts: {
    db?: Database;
    onProgress?: (done: number, total: number) => void;
    /** Continue from a head an earlier run verified, instead of from #1. */
    from?: { seq: number; hash: string } | null;
    /** Keys for the MAC check (default: this process's keyRing). */
    keys?: Pick<KeyRing, "mac" | "previousMacs">;
    /** Signed heads the chain must pass through (checked checkpoints), by seq. */
    checkpoints?: ReadonlyMap<number, ExpectedHead>;
    /** Sees every verified event in chain order (request reconciliation). */
    ledger?: RequestLedger;
    /** Verify the bulk of the chain on worker threads first (PostgreSQL; the command line passes it). */
    parallel?: ParallelVerify;
  } = {},
): Promise<ChainVerification> {
  const db = opts.db ?? (await getDb());
  const keys = opts.keys ?? (await keyRing());
  const checkMac = macChecker(keys);
  const checkpoints = opts.checkpoints;
  let expected = (opts.from?.seq ?? 0) + 1;
  let prev = opts.from?.hash ?? GENESIS_HASH;
  let head: ChainVerification["head"] = opts.from ?? null;
  let progressTotal = opts.onProgress ? await countSealed(db) : 0;

  const fail = async (seq: number, reason: string, eventId?: string): Promise<ChainVerification> => {
    const counts = await countAround(db, expected - 1);
    return { ok: false, sealed: counts.sealed, unsealed: counts.total - counts.sealed, head, broken: { seq, reason, ...(eventId ? { eventId } : {}) } };
  };

  if (opts.parallel) {
    const top = await maxSealedSeq(db);
    const jumped = await opts.parallel({
      after: { seq: expected - 1, hash: prev },
      through: top,
      keys,
      checkpoints: checkpoints ?? new Map(),
      ledger: opts.ledger,
      onProgress: (through) => opts.onProgress?.(through, Math.max(progressTotal, top)),
    });
    if (jumped.through) {
      expected = jumped.through.seq + 1;
      prev = jumped.through.hash;
      head = jumped.through;
    }
  }

  for (let round = 1; ; round++) {
    // Walk on from the verified head, with READ_AHEAD pages being built by the server (on as many
    // connections) while this one is hashed. Page k is asked for as "after #start + k·PAGE": that is
    // where it starts exactly when every earlier page held exactly its PAGE consecutive positions,
    // and when one did not (a gap, a duplicate), the walk stops at that anomaly before it reads on.
    const start = expected - 1;
    const ahead: Promise<ChainRow[]>[] = [];
    let asked = 0;
    const askNext = () => {
      const page = selectChainPage(db, start + asked * PAGE, PAGE);
      // A walk that stops early must not leave a read-ahead's failure unhandled.
      page.catch(() => undefined);
      ahead.push(page);
      asked += 1;
    };
    for (let i = 0; i < READ_AHEAD; i++) askNext();
    for (;;) {
      const rows: ChainRow[] = await ahead.shift()!;
      const full = rows.length === PAGE;
      if (full) {
        askNext();
        // Let the read-ahead reach the server before this page is hashed (which never yields):
        // postgres.js sends a small query from a setImmediate it queues in a later microtask, so
        // yield for two turns of the event loop, then the server works while we hash.
        await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
      }
      for (const row of rows) {
        const seq = row.seq;
        const id = row.eventId;
        if (seq < expected) return fail(seq, `duplicate: #${seq} appears more than once`, id);
        if (seq !== expected) {
          return fail(expected, `gap: expected #${expected} next, found #${seq} (events missing or deleted)`);
        }
        if (row.prevHash !== prev) {
          return fail(seq, "prev_hash does not match the previous event's hash (reordered or altered chain)", id);
        }
        const problem = sealedEventProblem(row, checkMac, checkpoints?.get(seq));
        if (problem || row.hash === null) return fail(seq, problem ?? "hash mismatch: the event's content was altered after it was sealed", id);
        opts.ledger?.observe(row);
        prev = row.hash;
        head = { seq, hash: row.hash };
        expected += 1;
      }
      progressTotal = Math.max(progressTotal, expected - 1);
      opts.onProgress?.(expected - 1, progressTotal);
      if (!full) break;
    }

    const verified = expected - 1;
    const counts = await countAround(db, verified);
    if (counts.throughHead !== verified) {
      // Rows at positions the walk never reaches (zero or negative, or duplicates if the unique
      // index was removed) are not part of one clean chain.
      return fail(expected, `gap: ${counts.throughHead} sealed events at or below #${verified}, but the chain has ${verified}`);
    }
    if (counts.sealed === verified || round === MAX_ROUNDS) {
      return { ok: true, sealed: verified, unsealed: counts.total - verified, head, broken: null };
    }
    // More events were sealed while we walked: verify those too.
    progressTotal = Math.max(progressTotal, counts.sealed);
  }
}

export type EvidenceVerification = ChainVerification & {
  /** What was checked, for the report (the counts are of what passed before any failure). */
  checked: {
    /** Sealed events whose hash link and MAC were both checked. */
    events: number;
    /** Signed checkpoints whose signature verified, in the database and in the sink file. */
    checkpoints: { stored: number; sink: number; sinkFile: string | null; latest: { seq: number; signedAt: string } | null };
    /** Requests whose row was reconciled with their sealed events (null: not run, the chain failed first). */
    requests: number | null;
  };
};

/**
 * Everything `countersign audit verify` checks: each signed checkpoint (the database's and the
 * external sink's) against the JWKS; the chain, each event's MAC, and that the chain passes through
 * every signed head; then every request's row against its sealed events. Names the first failure.
 */
export async function verifyAuditEvidence(
  opts: {
    db?: Database;
    onProgress?: (done: number, total: number) => void;
    /** The sink file to check (default: the configured one; null: none). */
    sinkFile?: string | null;
    /** Verify the bulk of the chain on worker threads (see verifyAuditChain). */
    parallel?: ParallelVerify;
  } = {},
): Promise<EvidenceVerification> {
  const db = opts.db ?? (await getDb());
  const ring = await keyRing();
  const sinkFile = opts.sinkFile === undefined ? checkpointSinkFile() : opts.sinkFile;
  const checked: EvidenceVerification["checked"] = { events: 0, checkpoints: { stored: 0, sink: 0, sinkFile, latest: null }, requests: null };
  const early = (broken: ChainBreak): EvidenceVerification => ({ ok: false, sealed: 0, unsealed: 0, head: null, broken, checked });

  // Signed heads: the database's, then the sink's (which a database superuser cannot rewrite).
  const expected = new Map<number, ExpectedHead>();
  // The same JWS in the table and the sink is verified once; its claims are compared every time.
  const signed = new Map<string, { seq: number; hash: string }>();
  const check = async (jws: string, seq: number, hash: string, source: string): Promise<ChainBreak | null> => {
    let claims = signed.get(jws);
    if (!claims) {
      const v = await verifyCheckpoint(jws, ring.jwks);
      if (!v.ok) return { seq, reason: `checkpoint #${seq} in ${source}: ${v.reason}` };
      claims = v.claims;
      signed.set(jws, claims);
    }
    if (claims.seq !== seq || claims.hash !== hash) return { seq, reason: `checkpoint #${seq} in ${source}: its seq or hash differs from what it signs` };
    const other = expected.get(seq);
    if (other && other.hash !== hash) return { seq, reason: `checkpoint #${seq} in ${source} and in ${other.source} sign different hashes` };
    expected.set(seq, { seq, hash, source });
    return null;
  };
  for (const c of await selectCheckpoints(db)) {
    const bad = await check(c.jws, c.seq, c.hash, "audit_checkpoints");
    if (bad) return early(bad);
    checked.checkpoints.stored += 1;
    checked.checkpoints.latest = { seq: c.seq, signedAt: c.signedAt.toISOString() };
  }
  if (sinkFile) {
    const sink = readSinkFile(sinkFile);
    if (sink.bad) return early({ seq: 0, reason: `checkpoint sink ${sinkFile}: ${sink.bad.reason}` });
    for (const line of sink.lines) {
      const bad = await check(line.jws, line.seq, line.hash, `the checkpoint sink (${sinkFile}, line ${line.line})`);
      if (bad) return early(bad);
      checked.checkpoints.sink += 1;
    }
  }

  const ledger = new RequestLedger();
  const chain = await verifyAuditChain({ db, onProgress: opts.onProgress, keys: ring, checkpoints: expected, ledger, parallel: opts.parallel });
  checked.events = chain.head?.seq ?? 0;
  if (!chain.ok) return { ...chain, checked };

  // A signed head beyond the chain's end: sealed events were removed since it was signed.
  const headSeq = chain.head?.seq ?? 0;
  const beyond = [...expected.values()].filter((c) => c.seq > headSeq).sort((a, b) => a.seq - b.seq)[0];
  if (beyond) {
    return { ...chain, ok: false, broken: { seq: beyond.seq, reason: `${beyond.source} signed #${beyond.seq}, but the chain ends at #${headSeq} (events deleted)` }, checked };
  }

  // Read when a request disagrees, and again if it is not there yet (it may have been written since).
  let outside = new Set<string>();
  const isBeyond = async (requestId: string) => {
    if (!outside.has(requestId)) outside = new Set(await selectRequestsBeyond(db, headSeq));
    return outside.has(requestId);
  };
  const reconciled = await ledger.compare(db, isBeyond);
  checked.requests = reconciled.checked;
  if (reconciled.mismatch) {
    const m = reconciled.mismatch;
    return {
      ...chain,
      ok: false,
      broken: { seq: m.seq, reason: `the request's row disagrees with its sealed events: ${m.reason}`, ...(m.eventId ? { eventId: m.eventId } : {}), requestId: m.requestId },
      checked,
    };
  }
  return { ...chain, checked };
}
