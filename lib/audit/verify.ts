// Recomputes the audit hash chain from the first sealed event and names the first broken link.
// Unsealed events (committed, awaiting the sealer) are counted separately, not judged.
//
// The verifier runs while writers append and the sealer seals, without holding one snapshot for
// the whole walk (that would block PGlite's single connection for the length of a long run). It
// stays exact because sealing only ever appends: a seal batch commits atomically with consecutive
// positions after the head, so a later page can only show more of the same chain. After the walk,
// one statement counts what lies at or below the verified head (anything there the walk did not
// visit is a broken chain) and what was sealed beyond it meanwhile (walked in a further round).
//
// Speed (1M events in seconds, not minutes): pages are read as one JSON text per row
// (selectChainPage), the next page is fetched while this one is hashed, and each event is hashed
// by chain.ts's own `chainHash` (whose canonical JSON is the fast one, see canonical.ts).
import { isNotNull, sql } from "drizzle-orm";
import { getDb, type Database } from "@/db/client";
import { selectChainPage, type ChainRow } from "@/db/queries/audit";
import { auditEvents, type AuditEventRow } from "@/db/schema";
import { chainHash, GENESIS_HASH } from "./chain";

export type ChainVerification = {
  ok: boolean;
  /** Sealed events checked: when ok, exactly the events at positions 1..head.seq. */
  sealed: number;
  /** Events not in the verified chain when the run ended: awaiting the sealer (or sealed since). */
  unsealed: number;
  head: { seq: number; hash: string } | null;
  broken: { seq: number; reason: string } | null;
};

const PAGE = 10_000;
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

async function countSealed(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(auditEvents)
    .where(isNotNull(auditEvents.seq));
  return row?.n ?? 0;
}

/** The row as chain.ts's `chainContent` expects it (only the fields it reads). */
function asEventRow(row: ChainRow): AuditEventRow {
  return {
    eventId: row.eventId,
    occurredAt: new Date(row.occurredAtMs),
    type: row.type,
    actor: row.actor,
    channel: row.channel,
    requestId: row.requestId,
    agentId: row.agentId,
    action: row.action,
    environment: row.environment,
    riskLevel: row.riskLevel,
    outcome: row.outcome,
    payload: row.payload,
  } as AuditEventRow;
}

/** Whether the row's hash is `chainHash` of its content after `prev`. */
function hashMatches(prev: string, row: ChainRow): boolean {
  return chainHash(prev, asEventRow(row), row.seq) === row.hash;
}

/** Why a sealed row's indexed columns disagree with the hashed content they are copied from. */
function denormalisedMismatch(row: { actorKind: string; actorId: string; actor: AuditEventRow["actor"] }): string | null {
  if (row.actorKind !== row.actor.kind) return "actor_kind column does not match the hashed actor";
  if (row.actorId !== row.actor.id) return "actor_id column does not match the hashed actor";
  return null;
}

export async function verifyAuditChain(
  opts: {
    db?: Database;
    onProgress?: (done: number, total: number) => void;
    /** Continue from a head an earlier run verified, instead of from #1. */
    from?: { seq: number; hash: string } | null;
  } = {},
): Promise<ChainVerification> {
  const db = opts.db ?? (await getDb());
  let expected = (opts.from?.seq ?? 0) + 1;
  let prev = opts.from?.hash ?? GENESIS_HASH;
  let head: ChainVerification["head"] = opts.from ?? null;
  let progressTotal = opts.onProgress ? await countSealed(db) : 0;

  const fail = async (seq: number, reason: string): Promise<ChainVerification> => {
    const counts = await countAround(db, expected - 1);
    return { ok: false, sealed: counts.sealed, unsealed: counts.total - counts.sealed, head, broken: { seq, reason } };
  };

  for (let round = 1; ; round++) {
    // Walk on from the verified head, reading the next page while this one is hashed.
    let pending: Promise<ChainRow[]> | null = selectChainPage(db, expected - 1, PAGE);
    while (pending) {
      const rows: ChainRow[] = await pending;
      const last = rows.at(-1);
      pending = rows.length === PAGE && last ? selectChainPage(db, last.seq, PAGE) : null;
      if (pending) {
        // A walk that stops early must not leave the read-ahead's failure unhandled.
        pending.catch(() => undefined);
        // Let the read-ahead reach the server before this page is hashed (which never yields):
        // postgres.js sends a small query from a setImmediate it queues in a later microtask, so
        // yield for two turns of the event loop, then the server works while we hash.
        await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
      }
      for (const row of rows) {
        const seq = row.seq;
        if (seq < expected) return fail(seq, `duplicate: #${seq} appears more than once`);
        if (seq !== expected) {
          return fail(expected, `gap: expected #${expected} next, found #${seq} (events missing or deleted)`);
        }
        if (row.prevHash !== prev) {
          return fail(seq, "prev_hash does not match the previous event's hash (reordered or altered chain)");
        }
        if (row.hash === null || !hashMatches(prev, row)) {
          return fail(seq, "hash mismatch: the event's content was altered after it was sealed");
        }
        const mismatch = denormalisedMismatch(row);
        if (mismatch) return fail(seq, `${mismatch} (altered after it was sealed)`);
        prev = row.hash;
        head = { seq, hash: row.hash };
        expected += 1;
      }
      progressTotal = Math.max(progressTotal, expected - 1);
      opts.onProgress?.(expected - 1, progressTotal);
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
