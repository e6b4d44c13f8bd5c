// SQL for the export leases every instance shares (table export_leases): a running export holds one
// of a fixed number of slots, renews it while it streams and lets it go at the end; a lease its
// holder stopped renewing (a crashed instance) lapses. Times are the database's, so instances'
// clocks need not agree.
import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { exportLeases } from "../schema";

const until = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;

/** Takes the first free or lapsed slot below `slots` for `holder`; null when all are held. */
export async function takeExportLease(tx: Executor, slots: number, holder: string, ttlMs: number): Promise<number | null> {
  for (let slot = 0; slot < slots; slot++) {
    const taken = await tx
      .insert(exportLeases)
      .values({ slot, holder, expiresAt: until(ttlMs) })
      .onConflictDoUpdate({ target: exportLeases.slot, set: { holder, expiresAt: until(ttlMs) }, where: sql`${exportLeases.expiresAt} < now()` })
      .returning({ slot: exportLeases.slot });
    if (taken.length > 0) return slot;
  }
  return null;
}

/** Extends the holder's lease; false when it lapsed and another export took the slot. */
export async function renewExportLease(tx: Executor, slot: number, holder: string, ttlMs: number): Promise<boolean> {
  const renewed = await tx
    .update(exportLeases)
    .set({ expiresAt: until(ttlMs) })
    .where(and(eq(exportLeases.slot, slot), eq(exportLeases.holder, holder)))
    .returning({ slot: exportLeases.slot });
  return renewed.length > 0;
}

export async function releaseExportLease(tx: Executor, slot: number, holder: string): Promise<void> {
  await tx.delete(exportLeases).where(and(eq(exportLeases.slot, slot), eq(exportLeases.holder, holder)));
}
