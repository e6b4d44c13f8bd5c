// SQL for the audit timeline: one WHERE builder shared by the page and the export, keyset
// pagination on (sort column, occurred_at, id) — each served by a composite index (db/schema.ts).
import { and, eq, gte, inArray, like, lt, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client";
import { auditEvents, type AuditEventRow } from "../schema";

export type TimelineFilter = {
  from?: Date;
  to?: Date;
  types?: string[];
  actor?: string;
  agentId?: string;
  action?: string;
  environment?: string;
  riskLevel?: "low" | "medium" | "high" | "critical";
  outcome?: string;
  channel?: "console" | "slack" | "api" | "system" | "cli";
  text?: string;
};

export const SORT_COLUMNS = {
  time: auditEvents.occurredAt,
  type: auditEvents.type,
  actor: auditEvents.actorId,
  channel: auditEvents.channel,
} as const;
export type TimelineSort = { by: keyof typeof SORT_COLUMNS; dir: "asc" | "desc" };
/** Position after which the next page starts: the sort value, the time and the id of the last row. */
export type TimelineCursor = { value: string; at: string; id: number };

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function timelineWhere(f: TimelineFilter): SQL | undefined {
  const c: (SQL | undefined)[] = [];
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
  // search_text is stored lower-cased (lower(...) in its generated expression), so a LIKE against
  // the lower-cased pattern is exactly the ILIKE it replaces (PostgreSQL's ILIKE is lower() on both
  // sides, then LIKE) at a fraction of the cost per row: no case folding of every row's text, which
  // is what an index scan that filters on the text, or a bitmap recheck, spends its time on.
  if (f.text) c.push(like(auditEvents.searchText, sql`lower(${`%${escapeLike(f.text.toLowerCase())}%`})`));
  return c.length > 0 ? and(...c) : undefined;
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

/** The distinct values the timeline's filter menus offer (small sets: types, channels, outcomes, environments). */
export async function selectTimelineFacets(tx: Executor): Promise<{ types: string[]; environments: string[]; outcomes: string[] }> {
  // Loose index scans over the composite indexes: cheap even at millions of rows.
  const distinct = async (column: string) => {
    const rows = await tx.execute<{ v: string }>(sql.raw(`
      with recursive t(v) as (
        (select ${column} from audit_events where ${column} is not null order by ${column} limit 1)
        union all
        select (select ${column} from audit_events where ${column} > t.v and ${column} is not null order by ${column} limit 1)
        from t where t.v is not null
      ) select v from t where v is not null`));
    return (Array.isArray(rows) ? rows : (rows as { rows: { v: string }[] }).rows).map((r) => String(r.v));
  };
  const [types, environments, outcomes] = await Promise.all([distinct("type"), distinct("environment"), distinct("outcome")]);
  return { types, environments, outcomes };
}
