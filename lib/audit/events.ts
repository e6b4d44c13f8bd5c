// Builds audit rows. Callers insert them in the same transaction as the change they record
// (SPEC invariant 4); the sealer chains them after commit.
import { randomUUID } from "node:crypto";
import type { NewAuditEvent } from "@/db/queries/audit";
import type { Agent, AuditActor, RequestRow, WorkloadIdentity } from "@/db/schema";
import type { AuditEventType, Channel } from "@/lib/vocabulary";

export const SYSTEM_ACTOR: AuditActor = { kind: "system", id: "countersign", display: "Countersign" };

/** An agent as actor; with a workload identity, the issuer and subject (or AWS ARN) it proved. */
export function agentActor(agent: Pick<Agent, "id" | "name">, workload?: WorkloadIdentity | null): AuditActor {
  if (workload?.kind === "oidc") return { kind: "agent", id: agent.id, display: agent.name, issuer: workload.issuer, subject: workload.subject };
  if (workload?.kind === "aws") return { kind: "agent", id: agent.id, display: agent.name, issuer: "aws:sts", subject: workload.arn };
  return { kind: "agent", id: agent.id, display: agent.name };
}


const OUTCOMES: Partial<Record<AuditEventType, string>> = {
  "request.auto_approved": "approved",
  "request.approved": "approved",
  "review.approved": "approved",
  "request.refused": "denied",
  "request.denied": "denied",
  "review.denied": "denied",
  "request.expired": "expired",
  "request.cancelled": "cancelled",
  "request.executed": "executed",
};

/** What an event concluded, for the timeline's outcome filter (a result reports its own status). */
export function outcomeOf(type: AuditEventType, payload: Record<string, unknown>): string | null {
  if (type === "request.result") return typeof payload.status === "string" ? payload.status : null;
  return OUTCOMES[type] ?? null;
}

export function auditEvent(input: {
  type: AuditEventType;
  actor: AuditActor;
  channel: Channel;
  at: Date;
  request?: Pick<RequestRow, "id" | "agentId" | "action" | "environment" | "riskLevel">;
  agentId?: string;
  payload?: Record<string, unknown>;
}): NewAuditEvent {
  return {
    eventId: randomUUID(),
    occurredAt: input.at,
    type: input.type,
    actorKind: input.actor.kind,
    actorId: input.actor.id,
    actor: input.actor,
    channel: input.channel,
    requestId: input.request?.id ?? null,
    agentId: input.request?.agentId ?? input.agentId ?? null,
    action: input.request?.action ?? null,
    environment: input.request?.environment ?? null,
    riskLevel: input.request?.riskLevel ?? null,
    outcome: outcomeOf(input.type, input.payload ?? {}),
    payload: input.payload ?? {},
  };
}
