// SQL for the audit log: unsealed inserts, the sealer's batch, and chain reads for the verifier.
import { asc, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Sql } from "postgres";
import { rowsOf, type Executor } from "../client";
import { auditCheckpoints, auditEvents, type AuditCheckpointRow, type AuditEventRow } from "../schema";
import { withMacs } from "@/lib/audit/mac";
import { searchFieldsOf } from "@/lib/audit/search-text";

export type NewAuditEvent = typeof auditEvents.$inferInsert;

/**
 * The rows as written: each with its MAC (lib/audit/mac.ts) and what the timeline searches
 * (lib/audit/search-text.ts). Every audit row goes through here, by insertAuditEvents or
 * insertRequestWithEvents, and both store searchText through SQL lower() (the function the
 * timeline lower-cases terms with; JavaScript's folds some letters differently).
 */
export async function writableAuditRows(rows: NewAuditEvent[]): Promise<NewAuditEvent[]> {
  return (await withMacs(rows)).map((row) => ({ ...row, ...searchFieldsOf(row) }));
}

export async function insertAuditEvents(tx: Executor, rows: NewAuditEvent[]): Promise<void> {
  if (rows.length === 0) return;
  // The words lower-cased by the database: the same lower() the timeline's search applies to terms.
  const written = (await writableAuditRows(rows)).map((row) => ({ ...row, searchText: sql`lower(${row.searchText})` }));
  await tx.insert(auditEvents).values(written);
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

/**
 * Seals through seal_audit_events (migration 0012): a SECURITY DEFINER function owned by the owner
 * role, so the server's runtime role needs no UPDATE on the audit log; it only fills the chain
 * columns of unsealed rows, continuing the head without a gap.
 */
export async function writeSeals(
  tx: Executor,
  seals: { id: number; seq: number; prevHash: string; hash: string }[],
  sealedAt: Date,
): Promise<void> {
  if (seals.length === 0) return;
  await tx.execute(sql`
    select seal_audit_events(${JSON.stringify(seals.map((s) => ({ id: s.id, seq: s.seq, prev_hash: s.prevHash, hash: s.hash })))}::jsonb,
                             ${sealedAt.toISOString()}::timestamptz)`);
}

/** A sealed event as the verifier reads it: the hashed content plus the chain columns. */
export type ChainRow = {
  seq: number;
  eventId: string;
  /** occurred_at in milliseconds since the epoch (the column keeps milliseconds). */
  occurredAtMs: number;
  type: string;
  actorKind: string;
  actorId: string;
  actor: AuditEventRow["actor"];
  channel: AuditEventRow["channel"];
  requestId: string | null;
  agentId: string | null;
  action: string | null;
  environment: string | null;
  riskLevel: AuditEventRow["riskLevel"];
  outcome: string | null;
  payload: Record<string, unknown>;
  prevHash: string | null;
  hash: string | null;
  /** The MAC written with the row (lib/audit/mac.ts). */
  mac: string | null;
};

type ChainTuple = [
  number, string, number, string, string, string, ChainRow["actor"], ChainRow["channel"], string | null, string | null,
  string | null, string | null, ChainRow["riskLevel"], string | null, Record<string, unknown>, string | null, string | null, string | null,
];

/**
 * The verifier's read: sealed events after `afterSeq`, in chain order, only the columns it hashes
 * and checks. The page travels as one JSON text (an array of one array per event) parsed by one
 * JSON.parse: several times cheaper for the client than 17 typed columns per row, on postgres.js
 * and PGlite alike, and jsonb values arrive as the same JSON values a typed read would give.
 */
export async function selectChainPage(tx: Executor, afterSeq: number, limit: number): Promise<ChainRow[]> {
  if (!Number.isSafeInteger(afterSeq) || !Number.isSafeInteger(limit) || limit < 1) throw new RangeError("afterSeq and limit must be integers");
  // Both inlined (checked integers): a statement without parameters goes out in one message, so a
  // read-ahead runs on the server while the caller hashes, instead of waiting for the client to
  // answer a Describe round trip first (postgres.js does that for unprepared parameterised queries).
  const result = await tx.execute<{ page: string | null }>(sql`
    select json_agg(e.r order by e.seq)::text as page
      from (select seq, json_build_array(seq, event_id, floor(extract(epoch from occurred_at) * 1000), type, actor_kind, actor_id,
                                         actor, channel, request_id, agent_id, action, environment, risk_level, outcome, payload,
                                         prev_hash, hash, mac) as r
              from audit_events
             where seq is not null and seq > ${sql.raw(String(afterSeq))}
             order by seq
             limit ${sql.raw(String(limit))}) e`);
  const [row] = rowsOf<{ page: string | null }>(result);
  return row?.page ? (JSON.parse(row.page) as ChainTuple[]).map(chainRowOf) : [];
}

function chainRowOf(t: ChainTuple): ChainRow {
  return {
    seq: t[0],
    eventId: t[1],
    occurredAtMs: t[2],
    type: t[3],
    actorKind: t[4],
    actorId: t[5],
    actor: t[6],
    channel: t[7],
    requestId: t[8],
    agentId: t[9],
    action: t[10],
    environment: t[11],
    riskLevel: t[12],
    outcome: t[13],
    payload: t[14],
    prevHash: t[15],
    hash: t[16],
    mac: t[17],
  };
}

/**
 * Sealed events at positions after+1..through, in chain order, for a verify worker on its own
 * postgres.js connection (lib/audit/verify-worker.ts): plain columns as arrays, the two jsonb ones
 * as text parsed here. For a thread that only hashes, cheaper than selectChainPage's JSON page
 * (which costs the server more than the hashing it feeds) and than one COPY per page (measured).
 */
export async function selectChainRange(sql: Sql, after: number, through: number): Promise<ChainRow[]> {
  const rows = (await sql
    .unsafe(
      `select seq::float8, event_id::text, floor(extract(epoch from occurred_at) * 1000)::float8, type, actor_kind::text, actor_id,
              actor::text, channel::text, request_id::text, agent_id::text, action, environment, risk_level::text, outcome,
              payload::text, prev_hash, hash, mac
         from audit_events
        where seq > $1 and seq <= $2
        order by seq`,
      [after, through],
      { prepare: true },
    )
    .values()) as unknown as ChainTuple[];
  return rows.map((t) => {
    t[6] = JSON.parse(t[6] as unknown as string) as ChainRow["actor"];
    t[14] = JSON.parse(t[14] as unknown as string) as Record<string, unknown>;
    return chainRowOf(t);
  });
}

export async function selectEventsForRequest(tx: Executor, requestId: string): Promise<AuditEventRow[]> {
  return tx.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).orderBy(asc(auditEvents.id));
}

/**
 * The hashes of the sealed events fromSeq..toSeq, in seq order, as one text of 64 hex characters
 * per event (what an export's Merkle tree is built from): one value per call, however many rows.
 */
export async function selectChainHashesHex(tx: Executor, fromSeq: number, toSeq: number): Promise<string> {
  if (!Number.isSafeInteger(fromSeq) || !Number.isSafeInteger(toSeq)) throw new RangeError("fromSeq and toSeq must be integers");
  const result = await tx.execute<{ hashes: string | null }>(sql`
    select string_agg(hash, '' order by seq) as hashes
      from audit_events
     where seq between ${sql.raw(String(fromSeq))} and ${sql.raw(String(toSeq))}`);
  return rowsOf<{ hashes: string | null }>(result)[0]?.hashes ?? "";
}

/** Stores a signed checkpoint; false when another sealer already signed that position. */
export async function insertCheckpoint(tx: Executor, row: AuditCheckpointRow): Promise<boolean> {
  const inserted = await tx.insert(auditCheckpoints).values(row).onConflictDoNothing().returning({ seq: auditCheckpoints.seq });
  return inserted.length > 0;
}

export async function selectLatestCheckpoint(tx: Executor): Promise<AuditCheckpointRow | null> {
  const [row] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.seq)).limit(1);
  return row ?? null;
}

/** Every stored checkpoint, oldest first (one per ≥ 10 s of activity: a small table). */
export async function selectCheckpoints(tx: Executor): Promise<AuditCheckpointRow[]> {
  return tx.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq));
}

/** Requests with events not (yet) in the chain verified up to `headSeq`: their rows may be ahead of it. */
export async function selectRequestsBeyond(tx: Executor, headSeq: number): Promise<string[]> {
  const rows = await tx
    .selectDistinct({ id: auditEvents.requestId })
    .from(auditEvents)
    .where(sql`(${auditEvents.seq} is null or ${auditEvents.seq} > ${headSeq}) and ${auditEvents.requestId} is not null`);
  return rows.map((r) => r.id!);
}

/** What `audit verify` compares with a request's sealed events: its row's state and its votes. */
export type RequestStateRow = {
  id: string;
  status: string;
  paramsHash: string;
  resultStatus: string | null;
  /** [reviewer_id, decision, channel, created_at in ms] per vote. */
  votes: [string, string, string, number][];
};

/** Requests after `afterId` in id order with their votes, read as one JSON text (like selectChainPage). */
export async function selectRequestStatePage(tx: Executor, afterId: string | null, limit: number): Promise<RequestStateRow[]> {
  const result = await tx.execute<{ page: string | null }>(sql`
    select json_agg(json_build_array(r.id, r.status, r.params_hash, r.result_status,
             (select coalesce(json_agg(json_build_array(v.reviewer_id, v.decision, v.channel, floor(extract(epoch from v.created_at) * 1000))), '[]'::json)
                from reviews v where v.request_id = r.id)) order by r.id)::text as page
      from (select id, status, params_hash, result_status from requests
             where ${afterId === null ? sql`true` : sql`id > ${afterId}::uuid`}
             order by id limit ${limit}) r`);
  const [row] = rowsOf<{ page: string | null }>(result);
  const tuples = row?.page ? (JSON.parse(row.page) as [string, string, string, string | null, RequestStateRow["votes"]][]) : [];
  return tuples.map(([id, status, paramsHash, resultStatus, votes]) => ({ id, status, paramsHash, resultStatus, votes }));
}
