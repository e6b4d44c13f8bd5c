// A request as agents, reviewers and auditors see it. Expiry is applied on read (the machine's
// effectiveStatus): a pending request past its deadline (or an approval past its grant window) reads
// as expired even before the sweeper has recorded it.
import type { Agent, RequestRow, ReviewRow } from "@/db/schema";
import { effectiveStatus } from "./machine";
import type { ResultStatus } from "@/lib/vocabulary";
import type { RequestView } from "./schema";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toRequestView(r: RequestRow, agent: Agent, reviews: ReviewRow[], now: Date): RequestView {
  const approvals = new Set(reviews.filter((v) => v.decision === "approve").map((v) => v.reviewerId)).size;
  return {
    id: r.id,
    status: effectiveStatus(r, now),
    action: r.action,
    resource: r.resource,
    environment: r.environment,
    intent: r.intent,
    context: r.context,
    origin: r.origin,
    workload_identity: r.workloadIdentity ?? null,
    on_behalf_of: r.onBehalfOf,
    callback_url: r.callbackUrl,
    params_hash: r.paramsHash,
    agent: { id: agent.id, name: agent.name, owner: agent.owner },
    risk: { score: r.riskScore, level: r.riskLevel, reasons: r.riskReasons },
    policy: {
      rule: r.policyRule,
      decision: r.policyDecision,
      hash: r.policyHash,
      explanation: r.explanation,
      approver_groups: r.approverGroups,
      step_up: r.stepUp,
      break_glass_groups: r.followUp.breakGlass?.groups ?? null,
    },
    break_glass: r.breakGlass
      ? {
          by: r.breakGlass.by,
          name: r.breakGlass.byName,
          reason: r.breakGlass.reason,
          at: r.breakGlass.at,
          review: {
            state: r.breakGlass.review.state,
            by: r.breakGlass.review.by,
            name: r.breakGlass.review.byName,
            note: r.breakGlass.review.note,
            at: r.breakGlass.review.at,
          },
        }
      : null,
    escalated_to: r.escalatedTo,
    approvals: { count: approvals, required: r.approvalsRequired },
    reviews: reviews.map((v) => ({
      reviewer: v.reviewerId,
      name: v.reviewerName,
      decision: v.decision,
      note: v.note,
      channel: v.channel,
      at: v.createdAt.toISOString(),
    })),
    decision_deadline: r.decisionDeadline.toISOString(),
    grant_expires_at: iso(r.grantExpiresAt),
    created_at: r.createdAt.toISOString(),
    decided_at: iso(r.decidedAt),
    executed_at: iso(r.executedAt),
    result:
      r.resultStatus && r.resultAt
        ? { status: r.resultStatus as ResultStatus, detail: r.resultDetail ?? null, at: r.resultAt.toISOString() }
        : null,
  };
}
