// The request lifecycle's commands: the only code that changes a request's state. Every channel (agent
// API, console server actions, Slack) calls these. Each asks the state machine (machine.ts) whether
// its move is allowed, the eligibility rule (eligibility.ts) who may vote, and runs as one
// transaction through runCommand (transition.ts); create is one statement of its own. The audit
// chain is sealed after commit by a registered hook.
import { randomUUID } from "node:crypto";
import { getDatabase, getDb } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { resolvePeople } from "@/db/queries/people";
import { agentHasFiledAction, changeNotice, findByIdempotencyKey, insertRequestWithEvents, selectDueForExpiry } from "@/db/queries/requests";
import type { Agent, Channel, RequestRow, ReviewRow } from "@/db/schema";
import { agentActor, auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import { resolveAuthority, type Credential } from "@/lib/auth/authority";
import { personActor } from "@/lib/auth/people";
import { canonicalJson, sha256Hex } from "@/lib/audit/canonical";
import { CountersignError } from "@/lib/errors";
import { grantIssuer, signGrant, type SignedGrant } from "@/lib/evidence/grants";
import { keyRing } from "@/lib/evidence/keys";
import { evaluatePolicy } from "@/lib/policy/evaluate";
import { getActivePolicy } from "@/lib/policy/load";
import type { ResultStatus } from "@/lib/vocabulary";
import { processWide } from "@/lib/runtime/process-wide";
import { announceCreated } from "./create-notices";
import { afterCommit, announcementsFor } from "./effects";
import { decidingGroups, unlessUnconfirmed, voteRefusal, type Vote } from "./eligibility";
import { followUpTerms } from "./follow-ups";
import { initialStatus, next, type Command } from "./machine";
import { loadRequestView } from "./read";
import { LIMITS, type CreateRequestBody, type ExecutedRequest, type RequestView } from "./schema";
import { runCommand, voteRow, type Clock, type Loaded, type Plan } from "./transition";
import { traceDecision } from "@/lib/observability/decision-span";
import { toRequestView } from "./view";

export type { Clock };

const viewOf = (l: Loaded): RequestView => toRequestView(l.request, l.agent, l.reviews, l.now);

type Change = Exclude<Plan, { refuse: unknown }>;

/** A refusal, or the change the machine allows for `command` from the loaded state. */
function move<C extends Change | Promise<Change>>(l: Loaded, command: Command, change: (to: RequestRow["status"]) => C): C | Plan {
  const m = next(l.state, command);
  return m.ok ? change(m.to) : { refuse: { code: m.code, message: m.message } };
}

export function paramsHash(p: Pick<CreateRequestBody, "action" | "resource" | "environment" | "context">): string {
  return sha256Hex(canonicalJson({ action: p.action, resource: p.resource, environment: p.environment, context: p.context }));
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

  // Load: an Idempotency-Key already used by this agent answers with the request it filed.
  const replay = async (): Promise<CreateResult | null> => {
    if (!key) return null;
    const existing = await findByIdempotencyKey(db, agent.id, key);
    if (!existing) return null;
    if (existing.bodyHash !== bodyHash) {
      throw new CountersignError("idempotency_conflict", "This Idempotency-Key was already used with a different request body.");
    }
    return { request: await loadRequestView(db, existing, agent, now), replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;

  // Ask the policy, then the machine, where the request starts.
  const policy = await getActivePolicy();
  const firstTimeAction = !(await hasFiledBefore(agent.id, body.action));
  const evaluation = evaluatePolicy(
    policy,
    { action: body.action, resource: body.resource, environment: body.environment, context: body.context, onBehalfOf: body.on_behalf_of },
    { firstTimeAction },
  );
  const status = initialStatus(evaluation.decision);
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
    stepUp: evaluation.stepUp,
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
    ...followUpTerms(evaluation.rule, status, now),
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

  // Persist: request, audit events and outbox rows in one statement; then announce (create-notices.ts).
  const outbox = announcementsFor(request, { type: events.at(-1)!.type, at: now });
  try {
    await insertRequestWithEvents(await getDatabase(), request, events, outbox);
  } catch (err) {
    // Two concurrent creates with one Idempotency-Key: the loser returns the winner's request.
    if (key && isUniqueViolation(err)) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw err;
  }
  rememberFiled(agent.id, body.action);
  afterCommit({ outboxRows: outbox.length });
  await announceCreated(changeNotice(request));
  return { request: toRequestView(request, agent, [], now), replayed: false };
}

// Risk's "first time this agent performs this action" signal: once true for a pair it stays true,
// so remember it in-process and skip the query on the hot path.
const FILED = processWide("filed-actions", () => new Set<string>());
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

/**
 * A reviewer's vote. Their authority is resolved from what the door holds (`credential`) at decision
 * time, with groups confirmed minutes ago (lib/auth/authority.ts); the eligibility rule then decides,
 * under the request's lock.
 */
export function decideRequest(
  requestId: string,
  credential: Credential,
  decision: Vote,
  note: string | undefined,
  channel: Channel,
  clock: Clock = {},
): Promise<RequestView> {
  // One span for every door's decision (console, Slack, Teams, the reviewer API), when tracing is on.
  return traceDecision({ requestId, vote: decision, channel }, () => recordDecision(requestId, credential, decision, note, channel, clock));
}

async function recordDecision(
  requestId: string,
  credential: Credential,
  decision: Vote,
  note: string | undefined,
  channel: Channel,
  clock: Clock,
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
  const policy = await getActivePolicy();
  const authority = await resolveAuthority(credential, clock.now ?? new Date());
  const done = await runCommand(requestId, clock, async (l) => {
    const { request, reviews, now } = l;
    // One person, however many identities voted: each vote counts for the person it belongs to now.
    const people = await resolvePeople(l.tx, reviews.map((v) => v.reviewerId));
    const personOf = (v: ReviewRow) => people.get(v.reviewerId) ?? v.reviewerId;
    const ballot = {
      state: l.state,
      approverGroups: decidingGroups(request),
      owner: l.agent.owner,
      onBehalfOf: request.onBehalfOf,
      voters: reviews.map(personOf),
      stepUp: request.stepUp,
    };
    const refusal = unlessUnconfirmed(voteRefusal(policy, authority, ballot, decision, now), authority.unconfirmed.length);
    if (refusal) return { refuse: refusal };

    const approvals = new Set(reviews.filter((v) => v.decision === "approve").map(personOf)).size + (decision === "approve" ? 1 : 0);
    const command: Command = decision === "deny" ? "deny" : approvals >= request.approvalsRequired ? "approve" : "vote";
    return move(l, command, (status) => {
      const actor = personActor({ ...authority, identity: authority.identity });
      const decided = status !== "pending";
      const grantExpiresAt = status === "approved" ? new Date(now.getTime() + request.grantWindowSeconds * 1000) : undefined;
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
      if (status === "denied") {
        events.push(auditEvent({ type: "request.denied", actor, channel, at: now, request, payload: { note: trimmedNote } }));
      } else if (status === "approved") {
        events.push(
          auditEvent({
            type: "request.approved",
            actor,
            channel,
            at: now,
            request,
            payload: { approvals, approvals_required: request.approvalsRequired, grant_expires_at: grantExpiresAt!.toISOString() },
          }),
        );
      }
      return {
        patch: decided ? { status, decidedAt: now, ...(grantExpiresAt ? { grantExpiresAt } : {}) } : {},
        review: voteRow(request, authority, { decision, note: trimmedNote ?? null, channel, at: now }),
        events,
      };
    });
  });
  return viewOf(done);
}

// ── the agent's commands: claim the approval once, report the result, cancel ─────────────────

/**
 * Claims the approval (once) and issues its grant: the JWS is signed under the request's lock and its
 * row (`jti`, kid, window) is written by the same transition as the execute, so a grant exists
 * exactly when the request was executed.
 */
export async function claimApproval(agent: Agent, requestId: string, clock: Clock = {}): Promise<ExecutedRequest> {
  // Load the key before the transaction: a configuration error must not happen under the lock.
  const { signing } = await keyRing();
  const issuer = grantIssuer();
  let grant: SignedGrant | undefined;
  const done = await runCommand(requestId, { ...clock, agent }, (l) =>
    move(l, "claim", async (status) => {
      grant = await signGrant(l, { key: signing, now: l.now, issuer });
      const { claims } = grant;
      return {
        patch: { status, executedAt: l.now },
        grant: { id: claims.jti, requestId: claims.sub, kid: grant.kid, issuedAt: new Date(claims.iat * 1000), expiresAt: new Date(claims.exp * 1000) },
        events: [
          auditEvent({
            type: "request.executed",
            actor: agentActor(agent),
            channel: "api",
            at: l.now,
            request: l.request,
            payload: { params_hash: l.request.paramsHash, grant_id: claims.jti, grant_kid: grant.kid },
          }),
        ],
      };
    }),
  );
  return { ...viewOf(done), grant: grant!.token };
}

export async function reportResult(
  agent: Agent,
  requestId: string,
  result: { status: ResultStatus; detail?: Record<string, unknown> },
  clock: Clock = {},
): Promise<RequestView> {
  const done = await runCommand(requestId, { ...clock, agent }, (l) =>
    move(l, "report", () => ({
      patch: { resultStatus: result.status, resultDetail: result.detail ?? null, resultAt: l.now },
      events: [
        auditEvent({ type: "request.result", actor: agentActor(agent), channel: "api", at: l.now, request: l.request, payload: { status: result.status, detail: result.detail ?? null } }),
      ],
    })),
  );
  return viewOf(done);
}

export async function cancelRequest(agent: Agent, requestId: string, reason: string | undefined, clock: Clock = {}): Promise<RequestView> {
  const done = await runCommand(requestId, { ...clock, agent }, (l) =>
    move(l, "cancel", (status) => ({
      patch: { status, decidedAt: l.now },
      events: [auditEvent({ type: "request.cancelled", actor: agentActor(agent), channel: "api", at: l.now, request: l.request, payload: { reason: reason ?? null } })],
    })),
  );
  return viewOf(done);
}

// ── expire (the sweeper) ──────────────────────────────────────────────────────────────────────

/**
 * Records `request.expired` for everything past its deadline (runCommand records a due expiry before
 * anything else, so the command itself plans nothing). Returns how many it expired.
 */
export async function expireDueRequests(clock: Clock = {}, batch = 200): Promise<number> {
  const now = clock.now ?? new Date();
  const ids = await selectDueForExpiry(await getDb(), now, batch);
  let expired = 0;
  for (const id of ids) {
    if ((await runCommand(id, { now }, () => null)).expiredNow) expired += 1;
  }
  return expired;
}
