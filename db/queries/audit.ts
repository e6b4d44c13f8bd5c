// SQL for the audit log: unsealed inserts, the sealer's batch, and chain reads for the verifier.
import { and, asc, desc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { auditEvents, type AuditEventRow } from "../schema";

export type NewAuditEvent = typeof auditEvents.$inferInsert;

export async function insertAuditEvents(tx: Executor, rows: NewAuditEvent[]): Promise<void> {
  if (rows.length > 0) await tx.insert(auditEvents).values(rows);
}

/** Serialises sealers across processes for the length of the caller's transaction. */
export async function lockSealer(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(7214002)`);
}

export async function selectChainHead(tx: Executor): Promise<{ seq: number; hash: string } | null> {
  const [row] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .where(isNotNull(auditEvents.seq))
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  return row && row.seq !== null && row.hash !== null ? { seq: row.seq, hash: row.hash } : null;
}

export async function selectUnsealedEvents(tx: Executor, limit: number): Promise<AuditEventRow[]> {
  return tx.select().from(auditEvents).where(isNull(auditEvents.seq)).orderBy(asc(auditEvents.id)).limit(limit);
}

export async function writeSeals(
  tx: Executor,
  seals: { id: number; seq: number; prevHash: string; hash: string }[],
  sealedAt: Date,
): Promise<void> {
  if (seals.length === 0) return;
  await tx.execute(sql`
    update audit_events a
       set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, sealed_at = ${sealedAt.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(seals.map((s) => ({ id: s.id, seq: s.seq, prev_hash: s.prevHash, hash: s.hash })))}::jsonb)
           as v(id bigint, seq bigint, prev_hash text, hash text)
     where a.id = v.id and a.seq is null`);
}

export async function selectSealedAfter(tx: Executor, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return tx
    .select()
    .from(auditEvents)
    .where(and(isNotNull(auditEvents.seq), gt(auditEvents.seq, afterSeq)))
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
}

export async function countAuditEvents(tx: Executor): Promise<{ sealed: number; unsealed: number }> {
  const [row] = await tx
    .select({
      sealed: sql<number>`count(*) filter (where ${auditEvents.seq} is not null)`.mapWith(Number),
      unsealed: sql<number>`count(*) filter (where ${auditEvents.seq} is null)`.mapWith(Number),
    })
    .from(auditEvents);
  return row ?? { sealed: 0, unsealed: 0 };
}

export async function selectEventsForRequest(tx: Executor, requestId: string): Promise<AuditEventRow[]> {
  return tx.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).orderBy(asc(auditEvents.id));
}
