// How every command on an existing request runs: one transaction that loads and locks the request
// (scoped to the agent when an agent asks), records an expiry that is due before anything else, lets
// the command consult the state machine and plan its change, persists the change with its audit
// events and announcements through one query, and after commit runs the registered hooks. A refusal
// is returned from the transaction (so an expiry it recorded still commits) and thrown after.
import { randomUUID } from "node:crypto";
import { getDb, type Executor } from "@/db/client";
import { recordTransition, requestExists, lockRequestWithAgent, selectReviews, type RequestChangeRow } from "@/db/queries/requests";
import type { NewAuditEvent } from "@/db/queries/audit";
import type { Agent, RequestRow, ReviewRow } from "@/db/schema";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import type { Authority } from "@/lib/auth/authority";
import { CountersignError } from "@/lib/errors";
import { observeDecision } from "@/lib/observability/metrics";
import { afterCommit, announcementsFor } from "./effects";
import { deadlineOf, isDue, next, stateOf, type MachineState, type Refusal } from "./machine";

export type Clock = { now?: Date };

/** What a command found: the locked request, its agent, its votes, and its machine state now. */
export type Loaded = {
  request: RequestRow;
  agent: Agent;
  reviews: ReviewRow[];
  state: MachineState;
  now: Date;
  /** Whether this command found the request past its deadline and recorded the expiry. */
  expiredNow: boolean;
  /** The command's transaction, for a plan that must read more under the lock. */
  tx: Executor;
};

/** A planned change: the row patch, an optional vote or issued grant, and the audit events (the last one is announced). */
export type Change = {
  patch: Partial<Omit<RequestRow, "id">>;
  review?: RequestChangeRow["review"];
  grant?: RequestChangeRow["grant"];
  events: NewAuditEvent[];
};

export type Plan = Change | { refuse: Refusal };

type Outcome = { value: Loaded } | { error: CountersignError };

const refusalError = (r: Refusal) => new CountersignError(r.code, r.message);

/**
 * Persists a change in the caller's transaction: row, vote, grant, audit events, outbox rows derived from
 * the announced (last) event, and the NOTIFY. Returns the updated row.
 */
export async function persistChange(tx: Executor, request: RequestRow, change: Change, now: Date, announced: { outbox: number }): Promise<RequestRow> {
  const type = change.events.at(-1)?.type;
  const outbox = type ? announcementsFor({ ...request, ...change.patch }, { type, at: now }) : [];
  announced.outbox += outbox.length;
  return recordTransition(tx, {
    id: request.id,
    patch: { ...change.patch, updatedAt: now },
    review: change.review,
    grant: change.grant,
    events: change.events,
    outbox,
  });
}

/** The system's expiry of a request whose deadline has passed (the machine's `expire`). */
function expiryChange(request: RequestRow, now: Date): Change {
  const move = next(request.status, "expire");
  if (!move.ok) throw new Error(`expiryChange on a ${request.status} request`);
  return {
    patch: { status: move.to },
    events: [
      auditEvent({ type: "request.expired", actor: SYSTEM_ACTOR, channel: "system", at: now, request, payload: { phase: deadlineOf(request)!.phase } }),
    ],
  };
}

/**
 * Runs `plan` on the locked request. `agent` scopes the lock to that agent's requests (403 for
 * another agent's). Resolves with the request as it stands after the change.
 */
export async function runCommand(
  requestId: string,
  opts: Clock & { agent?: Agent },
  plan: (loaded: Loaded) => Plan | null | Promise<Plan | null>,
): Promise<Loaded> {
  const db = await getDb();
  const now = opts.now ?? new Date();
  const announced = { outbox: 0 };
  let decided: RequestRow | undefined; // the request this command took from pending to approved or denied (metrics)
  const outcome = await db.transaction(async (tx): Promise<Outcome> => {
    const found = await lockRequestWithAgent(tx, requestId, opts.agent?.id);
    if (!found) {
      if (opts.agent && (await requestExists(tx, requestId))) {
        return { error: new CountersignError("forbidden", "This request belongs to another agent.") };
      }
      return { error: new CountersignError("not_found", "No such request.") };
    }
    let { request } = found;
    const expiredNow = isDue(request, now);
    if (expiredNow) request = await persistChange(tx, request, expiryChange(request, now), now, announced);
    const reviews = await selectReviews(tx, [request.id]);
    const loaded: Loaded = { request, agent: found.agent, reviews, state: stateOf(request, now), now, expiredNow, tx };
    const planned = await plan(loaded);
    if (planned === null) return { value: loaded };
    if ("refuse" in planned) return { error: refusalError(planned.refuse) };
    const updated = await persistChange(tx, request, planned, now, announced);
    if (request.status === "pending" && (updated.status === "approved" || updated.status === "denied")) decided = updated;
    const newReviews = planned.review ? [...reviews, planned.review as ReviewRow] : reviews;
    return { value: { ...loaded, request: updated, reviews: newReviews, state: stateOf(updated, now) } };
  });
  afterCommit({ outboxRows: announced.outbox });
  if (decided) observeDecision(decided.status as "approved" | "denied", decided.createdAt, now);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/** The vote row a person's decision writes (console, Slack, API or break-glass): who, as what identity and groups, when. */
export function voteRow(
  request: Pick<RequestRow, "id">,
  authority: Authority,
  vote: { decision: ReviewRow["decision"]; note: string | null; channel: ReviewRow["channel"]; at: Date },
): ReviewRow {
  return {
    id: randomUUID(),
    requestId: request.id,
    reviewerId: authority.personId,
    reviewerName: authority.name,
    identityId: authority.identity.id,
    idp: authority.idp,
    groups: authority.groups,
    decision: vote.decision,
    note: vote.note,
    channel: vote.channel,
    createdAt: vote.at,
  };
}
