// SQL for requests and their reviews (votes).
import { and, asc, count, eq, getTableColumns, gt, ilike, inArray, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { DEADLINES, type Deadline } from "@/lib/requests/machine";
import type { RequestStatus, RiskLevel } from "@/lib/vocabulary";
import type { DatabaseHandle, Executor } from "../client";
import { insertAuditEvents, writableAuditRows, type NewAuditEvent } from "./audit";
import type { NewGrant } from "./grants";
import { insertOutbox } from "./outbox";
import { agents, grants, requests, reviews, type Agent, type NewOutboxRow, type RequestRow, type ReviewRow } from "../schema";

export type NewRequest = typeof requests.$inferInsert;

/** The NOTIFY channel every request change is announced on (lib/realtime listens to it). */
export const REQUEST_CHANGES_CHANNEL = "countersign_requests";

/**
 * The NOTIFY payload of a change: what a waiter needs to decide whether to re-read, and `at` (epoch
 * ms, when the notice is built: with a transition's last statement, or just after a filing's commit —
 * its commit time, near enough) for the wake-latency metric.
 */
export const changeNotice = (r: Pick<RequestRow, "id" | "status" | "agentId">): string =>
  JSON.stringify({ id: r.id, status: r.status, agentId: r.agentId, at: Date.now() });

// Files a request, its audit events and its outbox rows in ONE statement: data-modifying CTEs commit
// or fail together (state change and audit stay atomic), in a single round trip, with constant SQL
// text (prepared once per connection). Its NOTIFY goes out after the commit, batched with others
// (notifyRequestChanges; lib/requests/create-notices.ts says why). Column lists mirror
// db/schema.ts; the lifecycle tests and the audit chain tests exercise every column.
const INSERT_REQUEST_WITH_EVENTS = `
with r as (
  insert into requests (id, agent_id, action, resource, environment, intent, context, origin, on_behalf_of,
    callback_url, params_hash, status, risk_score, risk_level, risk_reasons, policy_rule, policy_hash,
    policy_decision, explanation, approvals_required, approver_groups, notify, grant_window_seconds,
    decision_deadline, grant_expires_at, created_at, updated_at, decided_at, idempotency_key, body_hash, step_up,
    follow_up, remind_at, escalate_at, workload_identity)
  values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12::request_status, $13, $14::risk_level,
    $15::jsonb, $16, $17, $18::policy_decision, $19, $20, $21::jsonb, $22::jsonb, $23, $24::timestamptz,
    $25::timestamptz, $26::timestamptz, $27::timestamptz, $28::timestamptz, $29, $30, $33,
    $34::jsonb, $35::timestamptz, $36::timestamptz, $37::jsonb)
), a as (
  insert into audit_events (event_id, occurred_at, type, actor_kind, actor_id, actor, channel, request_id,
    agent_id, action, environment, risk_level, outcome, payload, mac, search_text, search_ids)
  select event_id, occurred_at, type, actor_kind, actor_id, actor, channel, request_id, agent_id, action,
    environment, risk_level, outcome, payload, mac, lower(search_text), search_ids
  from jsonb_to_recordset($31::jsonb) as e(event_id uuid, occurred_at timestamptz, type text,
    actor_kind actor_kind, actor_id text, actor jsonb, channel channel, request_id uuid, agent_id uuid,
    action text, environment text, risk_level risk_level, outcome text, payload jsonb, mac text,
    search_text text, search_ids text[])
), o as (
  insert into notification_outbox (event_id, request_id, kind, target, payload, next_attempt_at, created_at)
  select event_id, request_id, kind, target, payload, next_attempt_at, created_at
  from jsonb_to_recordset($32::jsonb) as n(event_id uuid, request_id uuid, kind text, target text, payload jsonb,
    next_attempt_at timestamptz, created_at timestamptz)
)
select 1`;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export async function insertRequestWithEvents(
  handle: Pick<DatabaseHandle, "run">,
  row: RequestRow,
  events: NewAuditEvent[],
  outbox: NewOutboxRow[],
): Promise<void> {
  const eventRows = (await writableAuditRows(events)).map((e) => ({
    event_id: e.eventId,
    occurred_at: iso(e.occurredAt),
    type: e.type,
    actor_kind: e.actorKind,
    actor_id: e.actorId,
    actor: e.actor,
    channel: e.channel,
    request_id: e.requestId ?? null,
    agent_id: e.agentId ?? null,
    action: e.action ?? null,
    environment: e.environment ?? null,
    risk_level: e.riskLevel ?? null,
    outcome: e.outcome ?? null,
    payload: e.payload,
    mac: e.mac,
    search_text: e.searchText,
    search_ids: e.searchIds,
  }));
  await handle.run(INSERT_REQUEST_WITH_EVENTS, [
    row.id,
    row.agentId,
    row.action,
    row.resource,
    row.environment,
    row.intent,
    JSON.stringify(row.context),
    JSON.stringify(row.origin),
    row.onBehalfOf,
    row.callbackUrl,
    row.paramsHash,
    row.status,
    row.riskScore,
    row.riskLevel,
    JSON.stringify(row.riskReasons),
    row.policyRule,
    row.policyHash,
    row.policyDecision,
    row.explanation,
    row.approvalsRequired,
    JSON.stringify(row.approverGroups),
    JSON.stringify(row.notify),
    row.grantWindowSeconds,
    iso(row.decisionDeadline),
    iso(row.grantExpiresAt),
    iso(row.createdAt),
    iso(row.updatedAt),
    iso(row.decidedAt),
    row.idempotencyKey,
    row.bodyHash,
    JSON.stringify(eventRows),
    JSON.stringify(
      outbox.map((o) => ({
        event_id: o.eventId,
        request_id: o.requestId,
        kind: o.kind,
        target: o.target,
        payload: o.payload,
        next_attempt_at: iso(o.nextAttemptAt),
        created_at: iso(o.createdAt),
      })),
    ),
    row.stepUp,
    JSON.stringify(row.followUp),
    iso(row.remindAt),
    iso(row.escalateAt),
    row.workloadIdentity ? JSON.stringify(row.workloadIdentity) : null,
  ]);
}

/** Announces changes on the request-changes channel: one statement (one notifying commit) for all of them. */
export async function notifyRequestChanges(handle: Pick<DatabaseHandle, "run">, notices: string[]): Promise<void> {
  if (notices.length > 0) await handle.run("select pg_notify($1, n) from unnest($2::text[]) n", [REQUEST_CHANGES_CHANNEL, notices]);
}

export async function findRequest(tx: Executor, id: string): Promise<RequestRow | undefined> {
  const [row] = await tx.select().from(requests).where(eq(requests.id, id));
  return row;
}

const byIdFor = (id: string, agentId?: string) => (agentId ? and(eq(requests.id, id), eq(requests.agentId, agentId)) : eq(requests.id, id));

/**
 * Locks the request row for the rest of the transaction: every transition goes through here. With
 * `agentId`, only that agent's request is found.
 */
export async function lockRequestWithAgent(
  tx: Executor,
  id: string,
  agentId?: string,
): Promise<{ request: RequestRow; agent: Agent } | undefined> {
  const [row] = await tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(byIdFor(id, agentId))
    .for("update", { of: requests });
  return row;
}

/** The request with its agent; with `agentId`, only that agent's request is found. */
export async function findRequestWithAgent(
  tx: Executor,
  id: string,
  agentId?: string,
): Promise<{ request: RequestRow; agent: Agent } | undefined> {
  const [row] = await tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(byIdFor(id, agentId));
  return row;
}

/** A vote as `json_agg` of a reviews row gives it (snake_case keys, the time as ISO text). */
type VoteJson = {
  id: string;
  request_id: string;
  reviewer_id: string;
  reviewer_name: string;
  identity_id: string | null;
  idp: string;
  groups: string[];
  decision: ReviewRow["decision"];
  note: string | null;
  channel: ReviewRow["channel"];
  created_at: string;
};

// An agent's read of its request is the API's most frequent call: one round trip (the row and its
// votes as one json_agg), constant SQL prepared once per connection, and each value decoded by its
// column's own drizzle decoder from a list built once. drizzle's per-call select (building it was
// most of the read's CPU) and then its generic row mapping (a tenth of what remained) are skipped:
// see the README's Performance section. The agent is the caller's own (it authenticated as it), so
// it is not read again.
const REQUEST_COLUMNS = Object.entries(getTableColumns(requests));
const AGENT_REQUEST_READ = `select ${REQUEST_COLUMNS.map(([, c]) => `r."${c.name}"`).join(", ")},
  (select coalesce(json_agg(v order by v.created_at), '[]'::json) from reviews v where v.request_id = r.id)
from requests r where r.id = $1 and r.agent_id = $2`;

/** A request row from its values in REQUEST_COLUMNS order, decoded as drizzle decodes them. */
function requestFromValues(values: unknown[]): RequestRow {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < REQUEST_COLUMNS.length; i++) {
    const [key, column] = REQUEST_COLUMNS[i]!;
    const value = values[i];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as RequestRow;
}

/** An agent's own request with its votes (oldest first), or undefined. */
export async function findAgentRequestWithVotes(
  handle: Pick<DatabaseHandle, "rows">,
  id: string,
  agentId: string,
): Promise<{ request: RequestRow; reviews: ReviewRow[] } | undefined> {
  const [values] = await handle.rows(AGENT_REQUEST_READ, [id, agentId]);
  if (!values) return undefined;
  const json = values[REQUEST_COLUMNS.length];
  // postgres.js and PGlite both parse json; a driver that did not would hand over the text.
  const votes = (typeof json === "string" ? JSON.parse(json) : json) as VoteJson[];
  return {
    request: requestFromValues(values),
    reviews: votes.map((v) => ({
      id: v.id,
      requestId: v.request_id,
      reviewerId: v.reviewer_id,
      reviewerName: v.reviewer_name,
      identityId: v.identity_id,
      idp: v.idp,
      groups: v.groups,
      decision: v.decision,
      note: v.note,
      channel: v.channel,
      createdAt: new Date(v.created_at),
    })),
  };
}

/** Whether a request exists at all (tells "not yours" from "no such request" after a scoped miss). */
export async function requestExists(tx: Executor, id: string): Promise<boolean> {
  const [row] = await tx.select({ one: sql<number>`1` }).from(requests).where(eq(requests.id, id)).limit(1);
  return row !== undefined;
}

export type RequestChangeRow = {
  id: string;
  patch: Partial<Omit<NewRequest, "id">>;
  review?: typeof reviews.$inferInsert;
  /** The signed grant an execute issued (its row, never the token). */
  grant?: NewGrant;
  events: NewAuditEvent[];
  outbox: NewOutboxRow[];
};

/**
 * Persists one transition in the caller's transaction: the row's new state, the vote that caused
 * it (if any), the grant it issued (if any), its audit events, its outbox rows, and the NOTIFY
 * (delivered on commit).
 */
export async function recordTransition(tx: Executor, change: RequestChangeRow): Promise<RequestRow> {
  const [row] = await tx.update(requests).set(change.patch).where(eq(requests.id, change.id)).returning();
  if (change.review) await tx.insert(reviews).values(change.review);
  if (change.grant) await tx.insert(grants).values(change.grant);
  await insertAuditEvents(tx, change.events);
  await insertOutbox(tx, change.outbox);
  await tx.execute(sql`select pg_notify(${REQUEST_CHANGES_CHANNEL}, ${changeNotice(row!)})`);
  return row!;
}

export async function findByIdempotencyKey(
  tx: Executor,
  agentId: string,
  key: string,
): Promise<RequestRow | undefined> {
  const [row] = await tx
    .select()
    .from(requests)
    .where(and(eq(requests.agentId, agentId), eq(requests.idempotencyKey, key)));
  return row;
}

export async function agentHasFiledAction(tx: Executor, agentId: string, action: string): Promise<boolean> {
  const [row] = await tx
    .select({ one: sql<number>`1` })
    .from(requests)
    .where(and(eq(requests.agentId, agentId), eq(requests.action, action)))
    .limit(1);
  return row !== undefined;
}

// The state machine's deadlines (lib/requests/machine.ts) as SQL: the one definition of "expired".
const deadlineColumn = (d: Deadline) => requests[d.field];
const isDueSql = (d: Deadline, now: Date) => and(eq(requests.status, d.status), lte(deadlineColumn(d), now))!;
const stillOpenSql = (d: Deadline, now: Date) => and(eq(requests.status, d.status), gt(deadlineColumn(d), now))!;
const PENDING = DEADLINES.find((d) => d.status === "pending")!;

/** Requests whose deadline has passed but whose expiry is not recorded yet. */
export async function selectDueForExpiry(tx: Executor, now: Date, limit: number): Promise<string[]> {
  const rows = await tx
    .select({ id: requests.id })
    .from(requests)
    .where(or(...DEADLINES.map((d) => isDueSql(d, now))))
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * Pending requests whose reminder or escalation is due and not yet done, and break-glass approvals
 * whose retrospective review is overdue and not yet escalated: candidates only. Each is claimed
 * under its row's lock by lib/requests/follow-ups.ts, so two instances finding the same one act once.
 */
export async function selectDueFollowUps(tx: Executor, now: Date, limit: number): Promise<string[]> {
  const pending = stillOpenSql(PENDING, now);
  const rows = await tx
    .select({ id: requests.id })
    .from(requests)
    .where(
      or(
        and(pending, isNull(requests.remindedAt), lte(requests.remindAt, now)),
        and(pending, isNull(requests.escalatedAt), lte(requests.escalateAt, now)),
        and(isNotNull(requests.breakGlass), isNull(requests.breakGlassReviewEscalatedAt), lte(requests.breakGlassReviewDueAt, now)),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Break-glass approvals whose retrospective review is still owed (oldest first), with their agents. */
export async function selectBreakGlassReviewsOwed(tx: Executor, limit: number): Promise<{ request: RequestRow; agent: Agent }[]> {
  return tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(and(isNotNull(requests.breakGlass), sql`${requests.breakGlass}->'review'->>'state' = 'pending'`))
    .orderBy(asc(requests.createdAt))
    .limit(limit);
}

export async function selectReviews(tx: Executor, requestIds: string[]): Promise<ReviewRow[]> {
  if (requestIds.length === 0) return [];
  return tx
    .select()
    .from(reviews)
    .where(inArray(reviews.requestId, requestIds))
    .orderBy(asc(reviews.createdAt));
}

export async function selectRecentRequestsWithAgents(
  tx: Executor,
  limit: number,
): Promise<{ request: RequestRow; agent: Agent }[]> {
  return tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .orderBy(sql`${requests.createdAt} desc`)
    .limit(limit);
}

// ── the Requests list: every request, newest first, filtered, keyset pages both ways ──────────

export type RequestListFilter = {
  /** As readers see it (expiry applies on read): `expired` includes requests past their deadline. */
  status?: RequestStatus;
  environment?: string;
  riskLevel?: RiskLevel;
  agentId?: string;
  /** Part of the action's name, any case. */
  actionContains?: string;
};
/** A row's place in the list: (created_at, id), newest first. */
export type RequestListCursor = { createdAt: Date; id: string };

/** The stored status that reads as `status` at `now` (the machine's effectiveStatus, as SQL). */
function effectiveStatusSql(status: RequestStatus, now: Date): SQL {
  if (status === "expired") return or(eq(requests.status, "expired"), ...DEADLINES.map((d) => isDueSql(d, now)))!;
  const d = DEADLINES.find((x) => x.status === status);
  if (!d) return eq(requests.status, status);
  return and(eq(requests.status, status), or(isNull(deadlineColumn(d)), gt(deadlineColumn(d), now)))!;
}

function requestListConditions(f: RequestListFilter, now: Date): SQL[] {
  const c: SQL[] = [];
  if (f.status) c.push(effectiveStatusSql(f.status, now));
  if (f.environment) c.push(eq(requests.environment, f.environment));
  if (f.riskLevel) c.push(eq(requests.riskLevel, f.riskLevel));
  if (f.agentId) c.push(eq(requests.agentId, f.agentId));
  if (f.actionContains) c.push(ilike(requests.action, `%${f.actionContains.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`));
  return c;
}

const newerThan = (c: RequestListCursor) => sql`(${requests.createdAt}, ${requests.id}) > (${c.createdAt.toISOString()}::timestamptz, ${c.id}::uuid)`;
const olderThan = (c: RequestListCursor) => sql`(${requests.createdAt}, ${requests.id}) < (${c.createdAt.toISOString()}::timestamptz, ${c.id}::uuid)`;

/**
 * One page of the list, newest first: the first page, the page after (older than) a row, or the
 * page before (newer than) a row — read oldest-first off requests_created_idx, then turned round.
 */
export async function selectRequestListPage(
  tx: Executor,
  filter: RequestListFilter,
  now: Date,
  limit: number,
  from?: { after: RequestListCursor } | { before: RequestListCursor },
): Promise<{ request: RequestRow; agent: Agent }[]> {
  const c = requestListConditions(filter, now);
  const backwards = from !== undefined && "before" in from;
  if (from) c.push("after" in from ? olderThan(from.after) : newerThan(from.before));
  const dir = sql.raw(backwards ? "asc" : "desc");
  const rows = await tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(and(...c))
    .orderBy(sql`${requests.createdAt} ${dir}, ${requests.id} ${dir}`)
    .limit(limit);
  return backwards ? rows.reverse() : rows;
}

/** How many requests the filter matches, and how many of them are newer than `cursor` (the page's position). */
export async function countRequestList(
  tx: Executor,
  filter: RequestListFilter,
  now: Date,
  cursor?: RequestListCursor,
): Promise<{ total: number; newer: number }> {
  const c = requestListConditions(filter, now);
  const newer = cursor ? sql<number>`count(*) filter (where ${newerThan(cursor)})` : sql<number>`0`;
  const [row] = await tx
    .select({ total: count(), newer: newer.mapWith(Number) })
    .from(requests)
    .where(c.length ? and(...c) : undefined);
  return { total: row?.total ?? 0, newer: row?.newer ?? 0 };
}

/** The environments requests were filed for (the list's menu). */
export async function selectRequestEnvironments(tx: Executor): Promise<string[]> {
  const rows = await tx.selectDistinct({ environment: requests.environment }).from(requests).orderBy(requests.environment);
  return rows.map((r) => r.environment);
}

export type InboxFilter = {
  riskLevel?: RiskLevel;
  environment?: string;
  agentId?: string;
  action?: string;
};

export type InboxCursor = { riskScore: number; createdAt: Date; id: string };

function inboxConditions(filter: InboxFilter, now: Date): SQL[] {
  const conditions: SQL[] = [stillOpenSql(PENDING, now)];
  if (filter.riskLevel) conditions.push(eq(requests.riskLevel, filter.riskLevel));
  if (filter.environment) conditions.push(eq(requests.environment, filter.environment));
  if (filter.agentId) conditions.push(eq(requests.agentId, filter.agentId));
  if (filter.action) conditions.push(eq(requests.action, filter.action));
  return conditions;
}

/** Pending requests still inside their deadline, riskiest then newest first, keyset-paginated. */
export async function selectInboxPage(
  tx: Executor,
  filter: InboxFilter,
  now: Date,
  limit: number,
  after?: InboxCursor,
): Promise<{ request: RequestRow; agent: Agent }[]> {
  const conditions = inboxConditions(filter, now);
  if (after) {
    conditions.push(
      sql`(${requests.riskScore}, ${requests.createdAt}, ${requests.id}) < (${after.riskScore}, ${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
    );
  }
  return tx
    .select({ request: requests, agent: agents })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(and(...conditions))
    .orderBy(sql`${requests.riskScore} desc, ${requests.createdAt} desc, ${requests.id} desc`)
    .limit(limit);
}

export async function countInbox(tx: Executor, filter: InboxFilter, now: Date): Promise<number> {
  const conditions = inboxConditions(filter, now);
  const [row] = await tx.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(requests).where(and(...conditions));
  return row?.n ?? 0;
}

/** Distinct values among pending requests, for the inbox's filter menus (one grouped scan). */
export async function selectInboxFacets(
  tx: Executor,
  now: Date,
): Promise<{ environments: string[]; actions: string[]; agents: { id: string; name: string }[] }> {
  const rows = await tx
    .select({ environment: requests.environment, action: requests.action, agentId: agents.id, agentName: agents.name })
    .from(requests)
    .innerJoin(agents, eq(agents.id, requests.agentId))
    .where(and(...inboxConditions({}, now)))
    .groupBy(requests.environment, requests.action, agents.id, agents.name);
  const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
  const agentNames = new Map(rows.map((r) => [r.agentId, r.agentName]));
  return {
    environments: sorted(rows.map((r) => r.environment)),
    actions: sorted(rows.map((r) => r.action)),
    agents: [...agentNames].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
