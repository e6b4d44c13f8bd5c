// The request lifecycle: the only code that changes a request's state. Every channel (agent API,
// console server actions, Slack) calls these functions. Each transition is one transaction that
// locks the request row, re-checks state and deadlines, writes the change and its audit event, and
// NOTIFYs waiters; the audit chain is sealed after commit.
import { randomUUID } from "node:crypto";
import { getDatabase, getDb, type Executor } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { insertAuditEvents, selectEventsForRequest } from "@/db/queries/audit";
import {
  agentHasFiledAction,
  countApprovals,
  findByIdempotencyKey,
  findRequestWithAgent,
  findReviewBy,
  insertRequestWithEvents,
  insertReview,
  lockRequestWithAgent,
  notifyRequestChanged,
  selectDueForExpiry,
  selectRecentRequestsWithAgents,
  selectReviews,
  updateRequest,
} from "@/db/queries/requests";
import type { Agent, AuditEventRow, Channel, RequestRow } from "@/db/schema";
import { agentActor, auditEvent, SYSTEM_ACTOR, userActor } from "@/lib/audit/events";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { kickSealer } from "@/lib/audit/sealer";
import { notificationsFor } from "@/lib/notify/outbox";
import { kickOutbox } from "@/lib/notify/worker";
import { insertOutbox } from "@/db/queries/outbox";
import { CountersignError } from "@/lib/errors";
import { approverGroupsFor, evaluatePolicy, rolesForGroups } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";
import type { Policy, ReviewerIdentity } from "@/lib/policy/types";
import { LIMITS, type CreateRequestBody, type RequestView } from "./schema";
import { getRequestView, loadRequestView } from "./read";
import { effectiveStatus, toRequestView } from "./view";

export type Clock = { now?: Date };
type Failure = { error: CountersignError };
type Outcome<T> = { value: T } | Failure;

const failed = (code: ConstructorParameters<typeof CountersignError>[0], message: string): Failure => ({
  error: new CountersignError(code, message),
});

type Announcements = { outbox: number };

/**
 * Tells the world about a committed-to-be change, inside its transaction: NOTIFY for waiters on
 * every instance, and the outbox rows `notificationsFor` derives from the event type.
 */
async function announce(tx: Executor, ann: Announcements, request: RequestRow, type: string | null, now: Date): Promise<void> {
  await notifyRequestChanged(tx, { id: request.id, status: request.status, agentId: request.agentId });
  if (!type) return;
  const rows = notificationsFor(request, { type, at: now });
  await insertOutbox(tx, rows);
  ann.outbox += rows.length;
}

function afterCommit(ann: Announcements): void {
  kickSealer();
  if (ann.outbox > 0) kickOutbox();
}

/** Runs one transition; after commit, seals the audit chain and surfaces a committed refusal. */
async function transition<T>(
  fn: (tx: Executor, now: Date, ann: Announcements) => Promise<Outcome<T>>,
  clock: Clock,
): Promise<T> {
  const db = await getDb();
  const now = clock.now ?? new Date();
  const ann: Announcements = { outbox: 0 };
  const outcome = await db.transaction((tx) => fn(tx, now, ann));
  afterCommit(ann);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

export function paramsHash(p: Pick<CreateRequestBody, "action" | "resource" | "environment" | "context">): string {
  return sha256Hex(canonicalJson({ action: p.action, resource: p.resource, environment: p.environment, context: p.context }));
}

const sameEmail = (a: string | null | undefined, b: string | null | undefined) =>
  !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Records an expiry inside the caller's transaction if the request is past its deadline, and
 * returns the expired row (the caller then refuses what it was asked to do); null otherwise.
 */
async function expireIfDue(tx: Executor, ann: Announcements, request: RequestRow, now: Date): Promise<RequestRow | null> {
  if (effectiveStatus(request, now) !== "expired" || request.status === "expired") return null;
  const phase = request.status === "pending" ? "decision_deadline" : "grant_window";
  const updated = await updateRequest(tx, request.id, { status: "expired", updatedAt: now });
  await insertAuditEvents(tx, [
    auditEvent({ type: "request.expired", actor: SYSTEM_ACTOR, channel: "system", at: now, request, payload: { phase } }),
  ]);
  await announce(tx, ann, updated, "request.expired", now);
  return updated;
}

// ── create ────────────────────────────────────────────────────────────────────────────────────

export type CreateResult = { request: RequestView; replayed: boolean };

export async function createRequest(
  agent: Agent,
  body: CreateRequestBody,
  opts: Clock & { idempotencyKey?: string } = {},
): Promise<CreateResult> {
  const contextBytes = Buffer.byteLength(JSON.stringify(body.context));
  if (contextBytes > LIMITS.contextBytes) {
    throw new CountersignError("payload_too_large", `context is ${contextBytes} bytes; the limit is ${LIMITS.contextBytes}.`, {
      issues: [{ path: "context", message: `must be at most ${LIMITS.contextBytes / 1024} KiB of JSON` }],
    });
  }
  const db = await getDb();
  const now = opts.now ?? new Date();
  const bodyHash = sha256Hex(canonicalJson(body));
  const key = opts.idempotencyKey;

  const replay = async (): Promise<CreateResult | null> => {
    if (!key) return null;
    const existing = await findByIdempotencyKey(db, agent.id, key);
    if (!existing) return null;
    if (existing.bodyHash !== bodyHash) {
      throw new CountersignError(
        "idempotency_conflict",
        "This Idempotency-Key was already used with a different request body.",
      );
    }
    return { request: await loadRequestView(db, existing, agent, now), replayed: true };
  };

  const earlier = await replay();
  if (earlier) return earlier;

  const policy = await getActivePolicy();
  const firstTimeAction = !(await hasFiledBefore(agent.id, body.action));
  const evaluation = evaluatePolicy(
    policy,
    { action: body.action, resource: body.resource, environment: body.environment, context: body.context, onBehalfOf: body.on_behalf_of },
    { firstTimeAction },
  );
  const status = evaluation.decision === "auto_approve" ? "approved" : evaluation.decision === "deny" ? "denied" : "pending";
  const request: RequestRow = {
    id: randomUUID(),
    agentId: agent.id,
    action: body.action,
    resource: body.resource,
    environment: body.environment,
    intent: body.intent,
    context: body.context,
    origin: body.origin,
    onBehalfOf: body.on_behalf_of ?? null,
    callbackUrl: body.callback_url ?? null,
    paramsHash: paramsHash(body),
    status,
    riskScore: evaluation.risk.score,
    riskLevel: evaluation.risk.level,
    riskReasons: evaluation.risk.reasons,
    policyRule: evaluation.rule.name,
    policyHash: evaluation.policyHash,
    policyDecision: evaluation.decision,
    explanation: evaluation.explanation,
    approvalsRequired: evaluation.approvalsRequired,
    approverGroups: evaluation.approverGroups,
    notify: evaluation.rule.notify,
    grantWindowSeconds: evaluation.grantWindowSeconds,
    decisionDeadline: new Date(now.getTime() + evaluation.decisionDeadlineSeconds * 1000),
    grantExpiresAt: status === "approved" ? new Date(now.getTime() + evaluation.grantWindowSeconds * 1000) : null,
    createdAt: now,
    updatedAt: now,
    decidedAt: status === "pending" ? null : now,
    executedAt: null,
    resultStatus: null,
    resultDetail: null,
    resultAt: null,
    idempotencyKey: key ?? null,
    bodyHash,
  };
  const events = [
    auditEvent({
      type: "request.created",
      actor: agentActor(agent),
      channel: "api",
      at: now,
      request,
      payload: {
        resource: request.resource,
        intent: request.intent,
        params_hash: request.paramsHash,
        on_behalf_of: request.onBehalfOf,
        origin: request.origin,
        risk_score: request.riskScore,
        rule: request.policyRule,
        policy_hash: request.policyHash,
        approvals_required: request.approvalsRequired,
        approver_groups: request.approverGroups,
      },
    }),
  ];
  if (status === "approved") {
    events.push(
      auditEvent({ type: "request.auto_approved", actor: SYSTEM_ACTOR, channel: "system", at: now, request, payload: { rule: request.policyRule } }),
    );
  } else if (status === "denied") {
    events.push(
      auditEvent({ type: "request.refused", actor: SYSTEM_ACTOR, channel: "system", at: now, request, payload: { rule: request.policyRule, explanation: request.explanation } }),
    );
  }

  const outbox = notificationsFor(request, { type: `request.${status === "denied" ? "refused" : status === "approved" ? "auto_approved" : "created"}`, at: now });
  try {
    await insertRequestWithEvents(await getDatabase(), request, events, outbox, { id: request.id, status, agentId: agent.id });
  } catch (err) {
    // Two concurrent creates with one Idempotency-Key: the loser returns the winner's request.
    if (key && isUniqueViolation(err)) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw err;
  }
  rememberFiled(agent.id, body.action);
  afterCommit({ outbox: outbox.length });
  return { request: toRequestView(request, agent, [], now), replayed: false };
}

// Risk's "first time this agent performs this action" signal: once true for a pair it stays true,
// so remember it in-process and skip the query on the hot path.
const FILED = (globalThis as typeof globalThis & { __countersignFiled?: Set<string> }).__countersignFiled ??= new Set();
async function hasFiledBefore(agentId: string, action: string): Promise<boolean> {
  if (FILED.has(`${agentId} ${action}`)) return true;
  const filed = await agentHasFiledAction(await getDb(), agentId, action);
  if (filed) rememberFiled(agentId, action);
  return filed;
}
function rememberFiled(agentId: string, action: string): void {
  if (FILED.size > 100_000) FILED.clear();
  FILED.add(`${agentId} ${action}`);
}

// ── decide ────────────────────────────────────────────────────────────────────────────────────

export type Decision = "approve" | "deny";

export async function decideRequest(
  requestId: string,
  reviewer: ReviewerIdentity,
  decision: Decision,
  note: string | undefined,
  channel: Channel,
  clock: Clock = {},
): Promise<RequestView> {
  const trimmedNote = note?.trim() || undefined;
  if (trimmedNote && trimmedNote.length > LIMITS.noteChars) {
    throw new CountersignError("invalid_request", `The note is ${trimmedNote.length} characters; the limit is ${LIMITS.noteChars}.`, {
      issues: [{ path: "note", message: `must be at most ${LIMITS.noteChars} characters` }],
    });
  }
  if (decision === "deny" && !trimmedNote) {
    throw new CountersignError("invalid_request", "A note is required to deny a request.", {
      issues: [{ path: "note", message: "required when denying" }],
    });
  }
  return transition(async (tx, now, ann) => {
    const found = await lockRequestWithAgent(tx, requestId);
    if (!found) return failed("not_found", "No such request.");
    const { agent } = found;
    let { request } = found;

    if (await expireIfDue(tx, ann, request, now)) {
      return failed("expired", "The decision deadline has passed; the request expired.");
    }
    if (request.status === "expired") return failed("expired", "The request expired before a decision.");
    if (request.status !== "pending") {
      return failed("already_decided", `The request is already ${request.status}.`);
    }
    const refusal = eligibilityRefusal(await getActivePolicy(), request, agent, reviewer, decision);
    if (refusal) return { error: refusal };
    if (await findReviewBy(tx, request.id, reviewer.id)) {
      return failed("already_voted", "You have already voted on this request.");
    }

    await insertReview(tx, {
      id: randomUUID(),
      requestId: request.id,
      reviewerId: reviewer.id,
      reviewerName: reviewer.name,
      idp: reviewer.idp,
      groups: reviewer.groups,
      decision,
      note: trimmedNote ?? null,
      channel,
      createdAt: now,
    });
    const actor = userActor(reviewer);
    const events = [
      auditEvent({
        type: decision === "approve" ? "review.approved" : "review.denied",
        actor,
        channel,
        at: now,
        request,
        payload: { note: trimmedNote ?? null, params_hash: request.paramsHash },
      }),
    ];

    if (decision === "deny") {
      request = await updateRequest(tx, request.id, { status: "denied", decidedAt: now, updatedAt: now });
      events.push(auditEvent({ type: "request.denied", actor, channel, at: now, request, payload: { note: trimmedNote } }));
    } else {
      const approvals = await countApprovals(tx, request.id);
      if (approvals >= request.approvalsRequired) {
        const grantExpiresAt = new Date(now.getTime() + request.grantWindowSeconds * 1000);
        request = await updateRequest(tx, request.id, { status: "approved", decidedAt: now, updatedAt: now, grantExpiresAt });
        events.push(
          auditEvent({
            type: "request.approved",
            actor,
            channel,
            at: now,
            request,
            payload: { approvals, approvals_required: request.approvalsRequired, grant_expires_at: grantExpiresAt.toISOString() },
          }),
        );
      } else {
        request = await updateRequest(tx, request.id, { updatedAt: now });
      }
    }
    await insertAuditEvents(tx, events);
    // A vote short of quorum changes no state, but chat messages show "n of m" progress.
    await announce(tx, ann, request, request.status === "pending" ? `review.${decision === "approve" ? "approved" : "denied"}` : `request.${request.status}`, now);
    return { value: await loadRequestView(tx, request, agent, now) };
  }, clock);
}

/** Why this reviewer may not cast this vote, or null. The one place these rules live. */
export function eligibilityRefusal(
  policy: Policy,
  request: Pick<RequestRow, "onBehalfOf" | "approverGroups">,
  agent: Pick<Agent, "owner">,
  reviewer: ReviewerIdentity,
  decision: Decision,
): CountersignError | null {
  const roles = rolesForGroups(policy, reviewer.groups);
  if (!roles.includes("reviewer") && !roles.includes("admin")) {
    return new CountersignError(
      "forbidden",
      roles.includes("auditor") ? "Auditors have read-only access; they cannot decide requests." : "You have no reviewer role.",
    );
  }
  if (decision === "approve" && (sameEmail(reviewer.email, agent.owner) || sameEmail(reviewer.email, request.onBehalfOf))) {
    const whose = sameEmail(reviewer.email, agent.owner) ? "you own the agent that filed it" : "it was filed on your behalf";
    return new CountersignError("self_approval", `You cannot approve this request: ${whose}. No exemptions, admins included.`);
  }
  const mine = approverGroupsFor(policy, reviewer.groups);
  if (!request.approverGroups.some((g) => mine.includes(g))) {
    return new CountersignError(
      "not_eligible",
      `Only members of ${request.approverGroups.join(", ") || "(no approver group)"} may decide this request.`,
    );
  }
  return null;
}

// ── execute (claim the approval once) ────────────────────────────────────────────────────────

async function lockOwned(tx: Executor, agent: Agent, requestId: string) {
  const found = await lockRequestWithAgent(tx, requestId);
  if (!found) return failed("not_found", "No such request.");
  if (found.request.agentId !== agent.id) return failed("forbidden", "This request belongs to another agent.");
  return { value: found.request };
}

export async function claimApproval(agent: Agent, requestId: string, clock: Clock = {}): Promise<RequestView> {
  return transition(async (tx, now, ann) => {
    const owned = await lockOwned(tx, agent, requestId);
    if ("error" in owned) return owned;
    let request = owned.value;
    if (await expireIfDue(tx, ann, request, now)) {
      return failed("expired", request.status === "approved" ? "The grant window has passed." : "The request expired before a decision.");
    }
    switch (request.status) {
      case "executed":
        return failed("already_executed", "This approval was already used.");
      case "denied":
        return failed("denied", "The request was denied.");
      case "pending":
        return failed("not_approved", "The request has not been approved yet.");
      case "cancelled":
        return failed("cancelled", "The request was cancelled.");
      case "expired":
        return failed("expired", "The request expired.");
      case "approved":
        break;
    }
    request = await updateRequest(tx, request.id, { status: "executed", executedAt: now, updatedAt: now });
    await insertAuditEvents(tx, [
      auditEvent({ type: "request.executed", actor: agentActor(agent), channel: "api", at: now, request, payload: { params_hash: request.paramsHash } }),
    ]);
    await announce(tx, ann, request, "request.executed", now);
    return { value: await loadRequestView(tx, request, agent, now) };
  }, clock);
}

// ── result, cancel ────────────────────────────────────────────────────────────────────────────

export async function reportResult(
  agent: Agent,
  requestId: string,
  result: { status: "succeeded" | "failed"; detail?: Record<string, unknown> },
  clock: Clock = {},
): Promise<RequestView> {
  return transition(async (tx, now, ann) => {
    const owned = await lockOwned(tx, agent, requestId);
    if ("error" in owned) return owned;
    let request = owned.value;
    if (request.status !== "executed") return failed("not_executed", "Only an executed request can report a result.");
    if (request.resultStatus) return failed("result_already_reported", "A result was already reported for this request.");
    request = await updateRequest(tx, request.id, {
      resultStatus: result.status,
      resultDetail: result.detail ?? null,
      resultAt: now,
      updatedAt: now,
    });
    await insertAuditEvents(tx, [
      auditEvent({ type: "request.result", actor: agentActor(agent), channel: "api", at: now, request, payload: { status: result.status, detail: result.detail ?? null } }),
    ]);
    await announce(tx, ann, request, "request.result", now);
    return { value: await loadRequestView(tx, request, agent, now) };
  }, clock);
}

export async function cancelRequest(agent: Agent, requestId: string, reason: string | undefined, clock: Clock = {}): Promise<RequestView> {
  return transition(async (tx, now, ann) => {
    const owned = await lockOwned(tx, agent, requestId);
    if ("error" in owned) return owned;
    let request = owned.value;
    if (await expireIfDue(tx, ann, request, now)) return failed("expired", "The request already expired.");
    if (request.status !== "pending") return failed("not_pending", `Only a pending request can be cancelled; this one is ${request.status}.`);
    request = await updateRequest(tx, request.id, { status: "cancelled", decidedAt: now, updatedAt: now });
    await insertAuditEvents(tx, [
      auditEvent({ type: "request.cancelled", actor: agentActor(agent), channel: "api", at: now, request, payload: { reason: reason ?? null } }),
    ]);
    await announce(tx, ann, request, "request.cancelled", now);
    return { value: await loadRequestView(tx, request, agent, now) };
  }, clock);
}

// ── expiry sweeper ────────────────────────────────────────────────────────────────────────────

/** Records `request.expired` for everything past its deadline. Returns how many it expired. */
export async function expireDueRequests(clock: Clock = {}, batch = 200): Promise<number> {
  const db = await getDb();
  const now = clock.now ?? new Date();
  const ids = await selectDueForExpiry(db, now, batch);
  let expired = 0;
  const ann: Announcements = { outbox: 0 };
  for (const id of ids) {
    expired += await db.transaction(async (tx) => {
      const found = await lockRequestWithAgent(tx, id);
      return found && (await expireIfDue(tx, ann, found.request, now)) ? 1 : 0;
    });
  }
  if (expired > 0) afterCommit(ann);
  return expired;
}

// ── reads ─────────────────────────────────────────────────────────────────────────────────────

export async function getRequestForAgent(agent: Agent, requestId: string, clock: Clock = {}): Promise<RequestView> {
  const db = await getDb();
  const found = await findRequestWithAgent(db, requestId);
  if (!found) throw new CountersignError("not_found", "No such request.");
  if (found.request.agentId !== agent.id) throw new CountersignError("forbidden", "This request belongs to another agent.");
  return loadRequestView(db, found.request, found.agent, clock.now ?? new Date());
}

export async function getRequestDetail(
  requestId: string,
  clock: Clock = {},
): Promise<{ view: RequestView; events: AuditEventRow[] } | null> {
  const [view, events] = await Promise.all([getRequestView(requestId, clock.now), selectEventsForRequest(await getDb(), requestId)]);
  return view ? { view, events } : null;
}

export async function listRecentRequests(limit = 50, clock: Clock = {}): Promise<RequestView[]> {
  const db = await getDb();
  const rows = await selectRecentRequestsWithAgents(db, limit);
  const reviews = await selectReviews(db, rows.map((r) => r.request.id));
  const now = clock.now ?? new Date();
  return rows.map(({ request, agent }) =>
    toRequestView(request, agent, reviews.filter((v) => v.requestId === request.id), now),
  );
}
