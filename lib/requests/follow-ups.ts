// What happens to a request after it is filed without anyone acting on it: the rule's reminder
// (`remind_after`), its escalation to another approver group (`escalate_after`), and the escalation
// of a break-glass approval whose retrospective review is overdue. The background sweep runs them;
// each is claimed under the request row's lock (its `…At` column is set once, with its audit event,
// in one transaction), so any number of instances sweeping one database act exactly once.
import { getDb } from "@/db/client";
import { selectDueFollowUps } from "@/db/queries/requests";
import type { RequestRow } from "@/db/schema";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import type { PolicyRule } from "@/lib/policy/types";
import { decidingGroups } from "./eligibility";
import { next } from "./machine";
import { runCommand, type Clock, type Loaded, type Plan } from "./transition";

type Terms = Pick<
  RequestRow,
  | "followUp"
  | "breakGlass"
  | "breakGlassReviewDueAt"
  | "breakGlassReviewEscalatedAt"
  | "remindAt"
  | "remindedAt"
  | "escalateAt"
  | "escalatedAt"
  | "escalatedTo"
>;

/** The columns a new request gets from its rule: the terms, and when a reminder or escalation falls due. */
export function followUpTerms(rule: PolicyRule, status: RequestRow["status"], now: Date): Terms {
  const waiting = status === "pending";
  const at = (seconds: number | undefined) => (waiting && seconds !== undefined ? new Date(now.getTime() + seconds * 1000) : null);
  return {
    followUp: {
      ...(rule.breakGlass ? { breakGlass: rule.breakGlass } : {}),
      ...(rule.escalateAfter ? { escalateTo: rule.escalateAfter.to } : {}),
    },
    breakGlass: null,
    breakGlassReviewDueAt: null,
    breakGlassReviewEscalatedAt: null,
    remindAt: at(rule.remindAfterSeconds),
    remindedAt: null,
    escalateAt: at(rule.escalateAfter?.seconds),
    escalatedAt: null,
    escalatedTo: [],
  };
}

export type FollowUpKind = "remind" | "escalate" | "review_overdue";
const KINDS: readonly FollowUpKind[] = ["remind", "escalate", "review_overdue"];

const due = (at: Date | null, done: Date | null, now: Date) => at !== null && done === null && at.getTime() <= now.getTime();

/** The change one follow-up makes to the locked request, or null when it is not (or no longer) due. */
function plan(kind: FollowUpKind, l: Loaded): Plan | null {
  const { request: r, now } = l;
  const open = next(l.state, "follow_up").ok;
  switch (kind) {
    case "remind":
      if (!open || !due(r.remindAt, r.remindedAt, now)) return null;
      return {
        patch: { remindedAt: now },
        events: [auditEvent({ type: "request.reminded", actor: SYSTEM_ACTOR, channel: "system", at: now, request: r, payload: { approver_groups: decidingGroups(r) } })],
      };
    case "escalate": {
      const to = r.followUp.escalateTo;
      if (!open || !to || !due(r.escalateAt, r.escalatedAt, now)) return null;
      return {
        patch: { escalatedAt: now, escalatedTo: [...new Set([...r.escalatedTo, to])] },
        events: [auditEvent({ type: "request.escalated", actor: SYSTEM_ACTOR, channel: "system", at: now, request: r, payload: { to, approver_groups: r.approverGroups } })],
      };
    }
    case "review_overdue":
      if (r.breakGlass?.review.state !== "pending" || !due(r.breakGlassReviewDueAt, r.breakGlassReviewEscalatedAt, now)) return null;
      return {
        patch: { breakGlassReviewEscalatedAt: now },
        events: [
          auditEvent({
            type: "break_glass.review_overdue",
            actor: SYSTEM_ACTOR,
            channel: "system",
            at: now,
            request: r,
            payload: { break_glass_by: r.breakGlass.by, break_glass_at: r.breakGlass.at, approver_groups: decidingGroups(r) },
          }),
        ],
      };
  }
}

export type FollowUpCounts = Record<FollowUpKind, number>;

/**
 * Runs every follow-up that is due: candidates are read without locks, then each is claimed in its
 * own transaction (one per kind, so each announces its own notifications). Returns what this call
 * did; another instance that found the same candidates does nothing with them.
 */
export async function runDueFollowUps(clock: Clock = {}, batch = 200): Promise<FollowUpCounts> {
  const now = clock.now ?? new Date();
  const counts: FollowUpCounts = { remind: 0, escalate: 0, review_overdue: 0 };
  const ids = await selectDueFollowUps(await getDb(), now, batch);
  for (const id of ids) {
    for (const kind of KINDS) {
      let acted = false;
      await runCommand(id, { now }, (l) => {
        const change = plan(kind, l);
        acted = change !== null;
        return change;
      });
      if (acted) counts[kind] += 1;
    }
  }
  return counts;
}
