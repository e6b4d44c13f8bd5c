// SQL for signed grants: the row written with the execute that issued it, and the one-time redemption.
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Executor } from "../client";
import { grants, type GrantRow } from "../schema";

export type NewGrant = typeof grants.$inferInsert;

export async function findGrant(tx: Executor, id: string): Promise<GrantRow | undefined> {
  const [row] = await tx.select().from(grants).where(eq(grants.id, id));
  return row;
}

/**
 * Marks the grant redeemed if nobody has and it is still inside its window: first redeem wins (a
 * concurrent second one waits on the row lock, then finds `redeemed_at` set and updates nothing).
 * Returns the row when this call redeemed it.
 */
export async function markGrantRedeemed(tx: Executor, id: string, now: Date, redeemedBy: Record<string, unknown>): Promise<GrantRow | undefined> {
  const [row] = await tx
    .update(grants)
    .set({ redeemedAt: now, redeemedBy })
    .where(and(eq(grants.id, id), isNull(grants.redeemedAt), gt(grants.expiresAt, now)))
    .returning();
  return row;
}
