// SQL for the notification outbox: enqueue (inside the caller's transaction), claim with a lease
// (FOR UPDATE SKIP LOCKED, so workers on many instances never take the same row), and outcomes.
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { notificationAttempts, notificationOutbox, type AttemptRow, type NewOutboxRow, type OutboxRow } from "../schema";

export async function insertOutbox(tx: Executor, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length > 0) await tx.insert(notificationOutbox).values(rows).onConflictDoNothing();
}

/**
 * Claims up to `limit` due rows: pending ones whose time has come, and rows whose lease expired
 * (a worker died between claim and outcome). Claiming counts the attempt and sets the lease.
 */
export async function claimDueOutbox(tx: Executor, now: Date, leaseMs: number, limit: number): Promise<OutboxRow[]> {
  const due = tx
    .select({ id: notificationOutbox.id })
    .from(notificationOutbox)
    .where(
      sql`(${notificationOutbox.status} = 'pending' and ${notificationOutbox.nextAttemptAt} <= ${now.toISOString()}::timestamptz)
       or (${notificationOutbox.status} = 'sending' and ${notificationOutbox.leaseUntil} < ${now.toISOString()}::timestamptz)`,
    )
    .orderBy(asc(notificationOutbox.id))
    .limit(limit)
    .for("update", { skipLocked: true });
  return tx
    .update(notificationOutbox)
    .set({
      status: "sending",
      attempts: sql`${notificationOutbox.attempts} + 1`,
      leaseUntil: new Date(now.getTime() + leaseMs),
    })
    .where(inArray(notificationOutbox.id, due))
    .returning();
}

export async function recordAttempt(tx: Executor, row: typeof notificationAttempts.$inferInsert): Promise<void> {
  await tx.insert(notificationAttempts).values(row);
}

export async function finishOutbox(
  tx: Executor,
  id: number,
  outcome: { status: "delivered" | "pending" | "dead"; at: Date; nextAttemptAt?: Date; error?: string | null },
): Promise<void> {
  await tx
    .update(notificationOutbox)
    .set({
      status: outcome.status,
      leaseUntil: null,
      lastError: outcome.error ?? null,
      deliveredAt: outcome.status === "delivered" ? outcome.at : null,
      ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
    })
    .where(and(eq(notificationOutbox.id, id), eq(notificationOutbox.status, "sending")));
}

export async function selectDeliveries(
  tx: Executor,
  requestId: string,
): Promise<{ outbox: OutboxRow; attempts: AttemptRow[] }[]> {
  const rows = await tx.select().from(notificationOutbox).where(eq(notificationOutbox.requestId, requestId)).orderBy(asc(notificationOutbox.id));
  if (rows.length === 0) return [];
  const attempts = await tx
    .select()
    .from(notificationAttempts)
    .where(inArray(notificationAttempts.outboxId, rows.map((r) => r.id)))
    .orderBy(asc(notificationAttempts.id));
  return rows.map((outbox) => ({ outbox, attempts: attempts.filter((a) => a.outboxId === outbox.id) }));
}
