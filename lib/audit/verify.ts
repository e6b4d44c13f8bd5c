// Recomputes the audit hash chain from the first sealed event and names the first broken link.
// Unsealed events (committed, awaiting the sealer) are counted separately, not judged.
import { getDb, type Database } from "@/db/client";
import { countAuditEvents, selectSealedAfter } from "@/db/queries/audit";
import { chainHash, GENESIS_HASH } from "./chain";

export type ChainVerification = {
  ok: boolean;
  sealed: number;
  unsealed: number;
  head: { seq: number; hash: string } | null;
  broken: { seq: number; reason: string } | null;
};

const PAGE = 5_000;

export async function verifyAuditChain(
  opts: { db?: Database; onProgress?: (done: number, total: number) => void } = {},
): Promise<ChainVerification> {
  const db = opts.db ?? (await getDb());
  const counts = await countAuditEvents(db);
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let head: ChainVerification["head"] = null;
  const fail = (seq: number, reason: string): ChainVerification => ({ ok: false, ...counts, head, broken: { seq, reason } });

  for (;;) {
    const rows = await selectSealedAfter(db, expectedSeq - 1, PAGE);
    for (const row of rows) {
      const seq = row.seq!;
      if (seq !== expectedSeq) {
        return fail(expectedSeq, `gap: expected #${expectedSeq} next, found #${seq} (events missing or deleted)`);
      }
      if (row.prevHash !== prev) {
        return fail(seq, "prev_hash does not match the previous event's hash (reordered or altered chain)");
      }
      if (chainHash(prev, row, seq) !== row.hash) {
        return fail(seq, "hash mismatch: the event's content was altered after it was sealed");
      }
      prev = row.hash;
      head = { seq, hash: row.hash };
      expectedSeq += 1;
    }
    opts.onProgress?.(expectedSeq - 1, counts.sealed);
    if (rows.length < PAGE) break;
  }
  if (expectedSeq - 1 !== counts.sealed) {
    return fail(expectedSeq, `gap: ${counts.sealed} sealed events but the chain ends at #${expectedSeq - 1}`);
  }
  return { ok: true, ...counts, head, broken: null };
}
