// Break-glass: where the request's rule allows it, one eligible person approves a pending request
// alone, with a written reason. The request is flagged for ever (its `break_glass` record), every
// channel says so, and it owes a retrospective review: an approver acknowledges or flags it (the
// follow-up sweep escalates it when nobody has by the rule's `review_within`). Every door (console,
// API) calls these two commands; who may is eligibility.ts's rule.
import { getDb } from "@/db/client";
import { selectBreakGlassReviewsOwed, selectReviews } from "@/db/queries/requests";
import type { BreakGlassRecord, Channel } from "@/db/schema";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { auditEvent } from "@/lib/audit/events";
import { resolveAuthority, type Credential } from "@/lib/auth/authority";
import { personActor } from "@/lib/auth/people";
import { CountersignError } from "@/lib/errors";
import { getActivePolicy } from "@/lib/policy/load";
import { breakGlassRefusal, decidingGroups, retrospectiveRefusal, unlessUnconfirmed, type Voter } from "./eligibility";
import { next } from "./machine";
import { LIMITS, type RequestView } from "./schema";
import { runCommand, voteRow, type Clock } from "./transition";
import { toRequestView } from "./view";
import { traceDecision } from "@/lib/observability/decision-span";

export type RetrospectiveVerdict = "acknowledged" | "flagged";

function checkedText(text: string | undefined, field: string, min: number): string {
  const trimmed = text?.trim() ?? "";
  if (trimmed.length < min) {
    const message = min === 1 ? "is required" : `must be at least ${min} characters`;
    throw new CountersignError("invalid_request", `The ${field} ${message}.`, { issues: [{ path: field, message }] });
  }
  if (trimmed.length > LIMITS.noteChars) {
    const message = `must be at most ${LIMITS.noteChars} characters`;
    throw new CountersignError("invalid_request", `The ${field} ${message}.`, { issues: [{ path: field, message }] });
  }
  return trimmed;
}

/** Approves a pending request at once on one eligible person's word, with `reason` (at least 20 characters). */
export function breakGlassRequest(requestId: string, credential: Credential, reason: string | undefined, channel: Channel, clock: Clock = {}): Promise<RequestView> {
  return traceDecision({ requestId, vote: "break_glass", channel }, () => recordBreakGlass(requestId, credential, reason, channel, clock));
}

async function recordBreakGlass(requestId: string, credential: Credential, reason: string | undefined, channel: Channel, clock: Clock): Promise<RequestView> {
  const why = checkedText(reason, "reason", LIMITS.breakGlassReasonMinChars);
  const policy = await getActivePolicy();
  const authority = await resolveAuthority(credential, clock.now ?? new Date());
  const done = await runCommand(requestId, clock, (l) => {
    const { request, now } = l;
    const terms = request.followUp.breakGlass ?? null;
    const refusal = unlessUnconfirmed(
      breakGlassRefusal(policy, authority, { state: l.state, owner: l.agent.owner, onBehalfOf: request.onBehalfOf, breakGlassGroups: terms?.groups ?? null }),
      authority.unconfirmed.length,
    );
    if (refusal) return { refuse: refusal };
    const move = next(l.state, "break_glass");
    if (!move.ok || !terms) return { refuse: { code: "conflict", message: "The request cannot be approved now." } };
    const actor = personActor({ ...authority, identity: authority.identity });
    const grantExpiresAt = new Date(now.getTime() + request.grantWindowSeconds * 1000);
    const record: BreakGlassRecord = {
      by: authority.personId,
      byName: authority.name,
      reason: why,
      at: now.toISOString(),
      review: { state: "pending", by: null, byName: null, at: null, note: null },
    };
    const votedAlready = l.reviews.some((v) => v.reviewerId === authority.personId);
    return {
      patch: { status: move.to, decidedAt: now, grantExpiresAt, breakGlass: record, breakGlassReviewDueAt: new Date(now.getTime() + terms.reviewWithinSeconds * 1000) },
      // The grant names who approved: the break-glass is that person's approval (unless they had already voted).
      review: votedAlready
        ? undefined
        : voteRow(request, authority, { decision: "approve", note: `Break-glass: ${why}`, channel, at: now }),
      // The approval is announced last, so webhooks and chat hear `request.approved`, flagged by its break_glass record.
      events: [
        auditEvent({
          type: "request.break_glass",
          actor,
          channel,
          at: now,
          request,
          payload: { reason: why, groups: authority.groups, params_hash: request.paramsHash, approvals_before: l.reviews.filter((v) => v.decision === "approve").length },
        }),
        auditEvent({
          type: "request.approved",
          actor,
          channel,
          at: now,
          request,
          payload: { break_glass: true, approvals_required: request.approvalsRequired, grant_expires_at: grantExpiresAt.toISOString() },
        }),
      ],
    };
  });
  return toRequestView(done.request, done.agent, done.reviews, done.now);
}

/** An approver's retrospective review of a break-glass approval: acknowledged (note optional) or flagged (note required). */
export async function reviewBreakGlass(
  requestId: string,
  credential: Credential,
  verdict: RetrospectiveVerdict,
  note: string | undefined,
  channel: Channel,
  clock: Clock = {},
): Promise<RequestView> {
  const text = verdict === "flagged" ? checkedText(note, "note", 1) : note?.trim() ? checkedText(note, "note", 1) : null;
  const policy = await getActivePolicy();
  const authority = await resolveAuthority(credential, clock.now ?? new Date());
  const done = await runCommand(requestId, clock, (l) => {
    const { request, now } = l;
    const glass = request.breakGlass;
    const refusal = unlessUnconfirmed(
      retrospectiveRefusal(policy, authority, {
        approverGroups: decidingGroups(request),
        breakGlassBy: glass?.by ?? null,
        reviewState: glass?.review.state ?? null,
      }),
      authority.unconfirmed.length,
    );
    if (refusal || !glass) return { refuse: refusal ?? { code: "no_review_owed", message: "This request owes no retrospective review." } };
    return {
      patch: {
        breakGlass: { ...glass, review: { state: verdict, by: authority.personId, byName: authority.name, at: now.toISOString(), note: text } },
        breakGlassReviewDueAt: null,
      },
      events: [
        auditEvent({
          type: "break_glass.reviewed",
          actor: personActor({ ...authority, identity: authority.identity }),
          channel,
          at: now,
          request,
          payload: { verdict, note: text, break_glass_by: glass.by, break_glass_at: glass.at },
        }),
      ],
    };
  });
  return toRequestView(done.request, done.agent, done.reviews, done.now);
}

// ── what the console shows: who may break the glass, and the reviews still owed ──────────────

/** Why `voter` may not break the glass on this request (the command's own rule), or null. */
export async function breakGlassBlockedReason(voter: Voter, view: RequestView): Promise<string | null> {
  const policy = await getActivePolicy();
  const ballot = { state: view.status, owner: view.agent.owner, onBehalfOf: view.on_behalf_of, breakGlassGroups: view.policy.break_glass_groups };
  return breakGlassRefusal(policy, voter, ballot)?.message ?? null;
}

/** Why `voter` may not record this request's retrospective review (the command's own rule), or null. */
export async function retrospectiveBlockedReason(voter: Voter, view: RequestView): Promise<string | null> {
  const policy = await getActivePolicy();
  const groups = decidingGroups({ approverGroups: view.policy.approver_groups, escalatedTo: view.escalated_to });
  return retrospectiveRefusal(policy, voter, { approverGroups: groups, breakGlassBy: view.break_glass?.by ?? null, reviewState: view.break_glass?.review.state ?? null })?.message ?? null;
}

export type RetrospectiveItem = RequestView & { reviewable: boolean; blockedReason: string | null };

/** Break-glass approvals whose retrospective review is still owed, oldest first, each with whether `viewer` may record it. */
export async function listRetrospectiveReviews(viewer: Viewer | null, now = new Date(), limit = 50): Promise<RetrospectiveItem[]> {
  const reader = assertCan(viewer, "read");
  const policy = await getActivePolicy();
  const db = await getDb();
  const rows = await selectBreakGlassReviewsOwed(db, limit);
  const reviews = await selectReviews(db, rows.map((r) => r.request.id));
  return rows.map(({ request, agent }) => {
    const view = toRequestView(request, agent, reviews.filter((v) => v.requestId === request.id), now);
    const blockedReason =
      retrospectiveRefusal(policy, reader, { approverGroups: decidingGroups(request), breakGlassBy: request.breakGlass?.by ?? null, reviewState: request.breakGlass?.review.state ?? null })?.message ?? null;
    return { ...view, reviewable: blockedReason === null, blockedReason };
  });
}
