// SQL for the audit timeline: one WHERE builder shared by the page and the export, keyset
// pagination on (sort column, occurred_at, id) — each served by a composite index (db/schema.ts).
import { and, arrayContains, asc, desc, eq, gt, gte, inArray, isNotNull, like, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { PgDialect, type AnyPgColumn } from "drizzle-orm/pg-core";
import type { SortDir, SortKey } from "@/lib/audit/timeline-filter";
import { searchTermParts } from "@/lib/audit/search-text";
import { isUuid, type Channel, type RiskLevel } from "@/lib/vocabulary";
import { rowsOf, type Executor } from "../client";
import { auditEvents, requests, type AuditEventRow } from "../schema";

export type TimelineFilter = {
  from?: Date;
  to?: Date;
  types?: string[];
  actor?: string;
  agentId?: string;
  action?: string;
  environment?: string;
  riskLevel?: RiskLevel;
  outcome?: string;
  channel?: Channel;
  /** One request's events (audit_events_request_idx). */
  requestId?: string;
  /** The events of the requests filed with this params_hash (requests_params_hash_idx, then by request). */
  paramsHash?: string;
  text?: string;
};

export const SORT_COLUMNS = {
  time: auditEvents.occurredAt,
  type: auditEvents.type,
  actor: auditEvents.actorId,
  channel: auditEvents.channel,
} as const satisfies Record<SortKey, AnyPgColumn>;
export type TimelineSort = { by: SortKey; dir: SortDir };
/** Position after which the next page starts: the sort value, the time and the id of the last row. */
export type TimelineCursor = { value: string; at: string; id: number };

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The timeline is the chain: sealed events only (each has its seq and hash; an event is sealed
 * milliseconds after its transaction commits). Every timeline index is partial on this predicate
 * (db/schema.ts), so it is part of every timeline statement.
 */
export function timelineWhere(f: TimelineFilter): SQL {
  const c: (SQL | undefined)[] = [isNotNull(auditEvents.seq)];
  if (f.from) c.push(gte(auditEvents.occurredAt, f.from));
  if (f.to) c.push(lt(auditEvents.occurredAt, f.to));
  if (f.types?.length) c.push(f.types.length === 1 ? eq(auditEvents.type, f.types[0]!) : inArray(auditEvents.type, f.types));
  if (f.actor) c.push(eq(auditEvents.actorId, f.actor));
  if (f.agentId) c.push(eq(auditEvents.agentId, f.agentId));
  if (f.action) c.push(eq(auditEvents.action, f.action));
  if (f.environment) c.push(eq(auditEvents.environment, f.environment));
  if (f.riskLevel) c.push(eq(auditEvents.riskLevel, f.riskLevel));
  if (f.outcome) c.push(eq(auditEvents.outcome, f.outcome));
  if (f.channel) c.push(eq(auditEvents.channel, f.channel));
  if (f.requestId) c.push(eq(auditEvents.requestId, f.requestId));
  // Every event of a request carries its id, but only some carry the hash in their payload: go
  // through the requests (an IN that PostgreSQL turns into a join, index to index).
  if (f.paramsHash) c.push(inArray(auditEvents.requestId, sql`(select ${requests.id} from ${requests} where ${requests.paramsHash} = ${f.paramsHash})`));
  // search_text is stored lower-cased (through lower() as it is written), so a LIKE against
  // the lower-cased pattern is exactly the ILIKE it replaces (PostgreSQL's ILIKE is lower() on both
  // sides, then LIKE) at a fraction of the cost per row: no case folding of every row's text, which
  // is what an index scan that filters on the text, or a bitmap recheck, spends its time on.
  if (f.text) c.push(textMatch(f.text));
  return and(...c)!;
}

/**
 * Free text: the searchable text, or — when the term is a whole id — the event, request or agent
 * it names. Ids are columns of their own rather than part of search_text (a uuid's trigrams would
 * bloat the trigram index for a lookup a B-tree does exactly); each has an index, so the OR is a
 * BitmapOr of index scans.
 */
function textMatch(text: string): SQL {
  // lower() on both sides (search_text is stored through lower(), lib/audit/search-text.ts), so a
  // LIKE against the lower-cased pattern is the ILIKE it replaces, with the same case folding.
  const contains = (piece: string) => like(auditEvents.searchText, sql`lower(${`%${escapeLike(piece)}%`})`);
  const inText = contains(text);
  const { ids, pieces, whole } = searchTermParts(text);
  if (ids.length === 0) return inText;
  // Identifiers are cut out of the searched words: a term holding some is found by them (in
  // search_ids) and by the text around them (each piece in search_text); rows written before
  // migration 0018 hold the whole text, ids included, which inText finds.
  const inParts = and(arrayContains(auditEvents.searchIds, ids), ...pieces.map(contains))!;
  if (whole === undefined || !isUuid(whole)) return or(inText, inParts)!;
  return or(inText, inParts, eq(auditEvents.requestId, whole), eq(auditEvents.eventId, whole), eq(auditEvents.agentId, whole))!;
}

function keysetAfter(sort: TimelineSort, cursor: TimelineCursor): SQL {
  const cmp = sql.raw(sort.dir === "desc" ? "<" : ">");
  const at = sql`${cursor.at}::timestamptz`;
  if (sort.by === "time") return sql`(${auditEvents.occurredAt}, ${auditEvents.id}) ${cmp} (${at}, ${cursor.id})`;
  const col = SORT_COLUMNS[sort.by];
  return sql`(${col}, ${auditEvents.occurredAt}, ${auditEvents.id}) ${cmp} (${cursor.value}, ${at}, ${cursor.id})`;
}

function orderBy(sort: TimelineSort): SQL {
  const dir = sql.raw(sort.dir);
  if (sort.by === "time") return sql`${auditEvents.occurredAt} ${dir}, ${auditEvents.id} ${dir}`;
  return sql`${SORT_COLUMNS[sort.by]} ${dir}, ${auditEvents.occurredAt} ${dir}, ${auditEvents.id} ${dir}`;
}

/**
 * The page query itself, not yet run: `selectTimelinePage` awaits it, and the EXPLAIN test and the
 * bench render it (`.toSQL()`) so the plan they check is the plan of exactly this statement.
 */
export function timelinePageQuery(tx: Executor, filter: TimelineFilter, sort: TimelineSort, limit: number, after?: TimelineCursor) {
  const where = and(timelineWhere(filter), after ? keysetAfter(sort, after) : undefined);
  return tx.select().from(auditEvents).where(where).orderBy(orderBy(sort)).limit(limit);
}

export async function selectTimelinePage(
  tx: Executor,
  filter: TimelineFilter,
  sort: TimelineSort,
  limit: number,
  after?: TimelineCursor,
): Promise<AuditEventRow[]> {
  return timelinePageQuery(tx, filter, sort, limit, after);
}

export function cursorOf(sort: TimelineSort, row: AuditEventRow): TimelineCursor {
  const value = sort.by === "time" ? "" : String(row[sort.by === "actor" ? "actorId" : sort.by]);
  return { value, at: row.occurredAt.toISOString(), id: row.id };
}

export async function selectAuditEvent(tx: Executor, id: number): Promise<AuditEventRow | undefined> {
  const [row] = await tx.select().from(auditEvents).where(eq(auditEvents.id, id));
  return row;
}

/**
 * The sealed events just before and just after chain position `seq` among those the filter admits:
 * the event page's previous/next, in chain order. Each is one row off an index (the chain's seq
 * key, or the filter's own index when it is selective).
 */
export async function selectChainNeighbours(
  tx: Executor,
  filter: TimelineFilter,
  seq: number,
): Promise<{ previous: { id: number; seq: number } | null; next: { id: number; seq: number } | null }> {
  const [[previous], [next]] = await Promise.all([chainNeighbourQuery(tx, filter, seq, "previous"), chainNeighbourQuery(tx, filter, seq, "next")]);
  const neighbour = (r: { id: number; seq: number | null } | undefined) => (r && r.seq !== null ? { id: r.id, seq: r.seq } : null);
  return { previous: neighbour(previous), next: neighbour(next) };
}

/** One side of `selectChainNeighbours`, not yet run (the EXPLAIN test renders it). */
export function chainNeighbourQuery(tx: Executor, filter: TimelineFilter, seq: number, side: "previous" | "next") {
  const before = side === "previous";
  return tx
    .select({ id: auditEvents.id, seq: auditEvents.seq })
    .from(auditEvents)
    .where(and(timelineWhere(filter), before ? lt(auditEvents.seq, seq) : gt(auditEvents.seq, seq)))
    .orderBy(before ? desc(auditEvents.seq) : asc(auditEvents.seq))
    .limit(1);
}

/** The distinct values the timeline's filter menus offer (small sets: types, channels, outcomes, environments). */
export async function selectTimelineFacets(tx: Executor): Promise<{ types: string[]; environments: string[]; outcomes: string[] }> {
  // Loose index scans over the composite indexes: cheap even at millions of rows.
  const distinct = async (column: string) => {
    const rows = await tx.execute<{ v: string }>(sql.raw(`
      with recursive t(v) as (
        (select ${column} from audit_events where ${column} is not null and seq is not null order by ${column} limit 1)
        union all
        select (select ${column} from audit_events where ${column} > t.v and seq is not null order by ${column} limit 1)
        from t where t.v is not null
      ) select v from t where v is not null`));
    return rowsOf<{ v: string }>(rows).map((r) => String(r.v));
  };
  const [types, environments, outcomes] = await Promise.all([distinct("type"), distinct("environment"), distinct("outcome")]);
  return { types, environments, outcomes };
}

// ── export ────────────────────────────────────────────────────────────────────────────────────
//
// An export's rows come out of the database as text: each event's seq, hash and one JSON line
// built by row_to_json, so on PostgreSQL the whole view is one `COPY (SELECT …) TO STDOUT` the app
// reads as it goes, and on PGlite the same SELECT runs in keyset batches. The app writes the file
// (NDJSON or CSV, with each row's inclusion proof) from these lines: lib/audit/timeline.ts.

const ISO_TIME = `to_char("audit_events"."occurred_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One JSON line per event: the members of the timeline API's event, in its order, compact. */
const EXPORT_COLUMNS = sql.raw(`"e"."seq"::text as "seq", "e"."hash" as "hash", row_to_json("e")::text as "line"`);
const EXPORT_EVENT = sql.raw(
  `cross join lateral (select "audit_events"."id", "audit_events"."seq", "audit_events"."event_id", ${ISO_TIME} as "occurred_at", ` +
    `"audit_events"."type", "audit_events"."actor", "audit_events"."channel", "audit_events"."request_id", "audit_events"."agent_id", ` +
    `"audit_events"."action", "audit_events"."environment", "audit_events"."risk_level", "audit_events"."outcome", ` +
    `"audit_events"."payload", "audit_events"."prev_hash", "audit_events"."hash") as "e"`,
);

/** What a keyset batch also returns, to continue after its last row. */
export type ExportCursorColumns = { cursor_id: number; cursor_at: string; cursor_value: string | null };
export type ExportRowColumns = { seq: string; hash: string; line: string };

/**
 * The export of the filtered view, in the view's order, of the events sealed up to `throughSeq`
 * (the tree head the export is proven against): all of it, or (for batches) `limit` rows after
 * `after`, then with the cursor columns. Each row: seq, hash and line (ExportRowColumns).
 */
export function timelineExportStatement(
  filter: TimelineFilter,
  sort: TimelineSort,
  throughSeq: number,
  batch?: { limit: number; after?: TimelineCursor },
): SQL {
  const where = and(timelineWhere(filter), lte(auditEvents.seq, throughSeq), batch?.after ? keysetAfter(sort, batch.after) : undefined);
  const cursor = batch
    ? sql`, ${auditEvents.id}::float8 as cursor_id, ${sql.raw(ISO_TIME)} as cursor_at, ${sort.by === "time" ? sql`null` : sql`${SORT_COLUMNS[sort.by]}::text`} as cursor_value`
    : sql``;
  return sql`select ${EXPORT_COLUMNS}${cursor} from ${auditEvents} ${EXPORT_EVENT} where ${where} order by ${orderBy(sort)} ${batch ? sql`limit ${batch.limit}` : sql``}`;
}

/**
 * The whole export as one `COPY (…) TO STDOUT` (parameters written in: COPY takes none): one line
 * per row, `seq \x02 hash \x02 json`, never quoted — JSON holds no raw newline, \x01 or \x02.
 */
export function timelineExportCopy(filter: TimelineFilter, sort: TimelineSort, throughSeq: number): string {
  return `copy (${inlineStatement(timelineExportStatement(filter, sort, throughSeq))}) to stdout with (format csv, quote e'\\x01', delimiter e'\\x02')`;
}

export function exportCursorOf(row: ExportCursorColumns): TimelineCursor {
  return { value: row.cursor_value ?? "", at: row.cursor_at, id: row.cursor_id };
}

const dialect = new PgDialect();

/** A parameter as a SQL literal. An escape string literal (E'…') reads the same whatever standard_conforming_strings says. */
function literal(value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  const text = value instanceof Date ? value.toISOString() : value;
  if (typeof text !== "string") throw new Error(`cannot inline a ${typeof value} parameter`);
  if (text.includes("\u0000")) throw new Error("a text parameter cannot hold NUL");
  return `E'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * The statement as one SQL text with its parameters written in as literals, for COPY, which takes
 * no parameters. Drizzle numbers them $1…$n; every one is replaced, or this throws.
 */
export function inlineStatement(statement: SQL): string {
  const { sql: text, params } = dialect.sqlToQuery(statement);
  const used = new Set<number>();
  const out = text.replace(/\$(\d+)\b/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`statement refers to $${n}, which has no parameter`);
    used.add(i);
    return literal(params[i]);
  });
  if (used.size !== params.length) throw new Error("a parameter was not written into the statement");
  return out;
}
