// Seals committed audit events into the hash chain, after their transactions commit, so writers
// never queue on a chain-head lock (SPEC §7). One sealer at a time across all processes
// (advisory lock); each gives the next gapless seq to the oldest unsealed events, then signs the
// new head when a checkpoint is due (lib/audit/checkpoints.ts).
import { getDb, type Database } from "@/db/client";
import { lockSealer, selectChainHead, selectUnsealedEvents, writeSeals } from "@/db/queries/audit";
import { log } from "@/lib/log";
import { backgroundPass } from "@/lib/runtime/background-pass";
import { chainHash, GENESIS_HASH } from "./chain";
import { checkpointIfDue } from "./checkpoints";

const BATCH = 1000;

export async function sealPendingAuditEvents(db?: Database): Promise<number> {
  const database = db ?? (await getDb());
  let total = 0;
  for (;;) {
    const sealed = await database.transaction(async (tx) => {
      await lockSealer(tx);
      const rows = await selectUnsealedEvents(tx, BATCH);
      if (rows.length === 0) return 0;
      const head = await selectChainHead(tx);
      let seq = head?.seq ?? 0;
      let prev = head?.hash ?? GENESIS_HASH;
      const seals = rows.map((row) => {
        seq += 1;
        const hash = chainHash(prev, row, seq);
        const seal = { id: row.id, seq, prevHash: prev, hash };
        prev = hash;
        return seal;
      });
      await writeSeals(tx, seals, new Date());
      return seals.length;
    });
    total += sealed;
    if (sealed < BATCH) break;
  }
  // A checkpoint that fails (a key or sink problem) never undoes or blocks the seal.
  await checkpointIfDue(database).catch((err: unknown) => log.error({ err }, "signing the audit checkpoint failed; will retry"));
  return total;
}

/**
 * Under load, commits arrive faster than a seal pass; waiting a few milliseconds lets one pass
 * (six round trips) seal a batch instead of an event or two, while staying "within milliseconds".
 */
const SEAL_DELAY_MS = 15;

const sealer = backgroundPass({
  key: "audit-sealer",
  delayMs: SEAL_DELAY_MS,
  failure: "audit sealer failed; will retry",
  run: () => sealPendingAuditEvents(),
});

/** Ask for a seal soon; calls made while one is pending or running coalesce into one more pass. */
export const kickSealer = sealer.kick;
/** Waits for any pass in flight (processes call this before closing the database). */
export const settleSealer = sealer.settle;
/** Background pass that also seals events written by other processes. */
export const startSealer = (intervalMs = 500) => sealer.start(intervalMs);
