// SQL an operator's scrape and readiness probe read: one cheap query each, answered from indexes
// where the table can grow (the outbox by status, unsealed audit events by their partial index).
import { sql } from "drizzle-orm";
import { rowsOf, type Executor } from "../client";

export type RequestCount = { status: string; riskLevel: string; count: number };

/** Requests by status and risk level. A grouped scan of `requests`: the one query here that grows with the table. */
export async function countRequestsByStatusAndRisk(db: Executor): Promise<RequestCount[]> {
  const rows = rowsOf<{ status: string; risk_level: string; n: number }>(
    await db.execute(sql`select status::text as status, risk_level::text as risk_level, count(*)::int as n from requests group by 1, 2`),
  );
  return rows.map((r) => ({ status: r.status, riskLevel: r.risk_level, count: Number(r.n) }));
}

export type OutboxHealth = { dead: number; oldestDueAt: Date | null };

/** Deliveries given up on, and when the oldest delivery now due was due (null: none is waiting). */
export async function readOutboxHealth(db: Executor): Promise<OutboxHealth> {
  const [row] = rowsOf<{ dead: number; oldest_due: string | Date | null }>(
    await db.execute(sql`select
      (select count(*)::int from notification_outbox where status = 'dead') as dead,
      (select min(next_attempt_at) from notification_outbox where status = 'pending' and next_attempt_at <= now()) as oldest_due`),
  );
  return { dead: Number(row?.dead ?? 0), oldestDueAt: row?.oldest_due ? new Date(row.oldest_due) : null };
}

/** When the oldest audit event still waiting for the sealer occurred (null: every event is sealed). */
export async function oldestUnsealedAuditEventAt(db: Executor): Promise<Date | null> {
  const [row] = rowsOf<{ occurred_at: string | Date }>(
    await db.execute(sql`select occurred_at from audit_events where seq is null order by id limit 1`),
  );
  return row ? new Date(row.occurred_at) : null;
}

/** How many migrations the database records as applied (throws before the first run: no table yet). */
export async function countAppliedMigrations(db: Executor): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
  );
  return Number(row?.n ?? 0);
}
