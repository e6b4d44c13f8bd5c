// One stretch of the audit chain checked on its own (a verify worker's chunk, lib/audit/verify-parallel.ts).
// A chunk cannot know the hash before it, so it checks everything else — positions exactly
// after+1..through in order, each event's prev_hash against the hash before it inside the chunk,
// each hash, MAC, indexed actor columns and signed checkpoint — and reports the prev_hash it starts
// from and the hash it ends with; the caller links the chunks. It does not explain an anomaly: the
// caller re-walks from the last good chunk with verify.ts's sequential walk, which names the first
// failure exactly as a walk from #1 would. So a chunk answers only "all good" or "look here".
import type { ChainRow } from "@/db/queries/audit";
import { chainHashOf, eventContentCanonical } from "./chain";
import type { MacCheck } from "./mac";
import type { RequestLedger } from "./reconcile";

export type ChunkOutcome = { ok: true; firstPrev: string; lastHash: string } | { ok: false };

/** A signed chain head at this position: its hash, and where it was signed (for the report). */
export type SignedHead = { hash: string; source: string };

/**
 * What is wrong with one sealed event whose link (`prev_hash` against the hash before it) has been
 * checked: its hash, the indexed actor columns copied from the hashed actor, its MAC, the signed
 * head at its position. Null when nothing is. The sequential walk (verify.ts) reports the reason;
 * a chunk only needs to know there is one.
 */
export function sealedEventProblem(
  row: ChainRow,
  checkMac: (stored: string | null, contentCanonical: string) => MacCheck,
  signed: SignedHead | undefined,
): string | null {
  // One canonicalisation serves the hash and the MAC.
  const content = eventContentCanonical(row);
  if (row.hash === null || row.prevHash === null || chainHashOf(row.prevHash, content, row.type, row.seq) !== row.hash) {
    return "hash mismatch: the event's content was altered after it was sealed";
  }
  if (row.actorKind !== row.actor?.kind) return "actor_kind column does not match the hashed actor (altered after it was sealed)";
  if (row.actorId !== row.actor?.id) return "actor_id column does not match the hashed actor (altered after it was sealed)";
  const mac = checkMac(row.mac, content);
  if (!mac.ok) return mac.reason;
  if (signed && signed.hash !== row.hash) {
    return `the chain's hash at #${row.seq} is not the one signed in ${signed.source} (history rewritten and re-hashed)`;
  }
  return null;
}

export class ChunkWalker {
  private next: number;
  private prev: string | null = null;
  private firstPrev: string | null = null;
  private bad = false;

  constructor(
    after: number,
    private readonly through: number,
    private readonly checkMac: (stored: string | null, contentCanonical: string) => MacCheck,
    /** Signed heads inside the chunk, by seq. */
    private readonly checkpoints: ReadonlyMap<number, SignedHead>,
    private readonly ledger: RequestLedger | null,
  ) {
    this.next = after + 1;
  }

  /** Feeds the next rows in chain order; false once anything is off (stop reading). */
  feed(rows: readonly ChainRow[]): boolean {
    if (this.bad) return false;
    for (const row of rows) {
      if (row.seq !== this.next || this.next > this.through || row.prevHash === null || row.hash === null) return this.fail();
      if (this.prev === null) this.firstPrev = row.prevHash;
      else if (row.prevHash !== this.prev) return this.fail();
      if (sealedEventProblem(row, this.checkMac, this.checkpoints.get(row.seq)) !== null) return this.fail();
      this.ledger?.observe(row);
      this.prev = row.hash;
      this.next += 1;
    }
    return true;
  }

  outcome(): ChunkOutcome {
    if (this.bad || this.next !== this.through + 1 || this.firstPrev === null || this.prev === null) return { ok: false };
    return { ok: true, firstPrev: this.firstPrev, lastHash: this.prev };
  }

  private fail(): false {
    this.bad = true;
    return false;
  }
}
