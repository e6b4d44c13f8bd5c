// Builds audit rows. Callers insert them in the same transaction as the change they record
// (SPEC invariant 4); the sealer chains them after commit.
import { randomUUID } from "node:crypto";
import type { NewAuditEvent } from "@/db/queries/audit";
import type { Agent, AuditActor, Channel, RequestRow } from "@/db/schema";
import type { ReviewerIdentity } from "@/lib/policy/types";

export type AuditEventType =
  | "request.created"
  | "request.auto_approved"
  | "request.refused"
  | "review.approved"
  | "review.denied"
  | "request.approved"
  | "request.denied"
  | "request.expired"
  | "request.cancelled"
  | "request.executed"
  | "request.result"
  | "agent.created"
  | "agent.key_rotated"
  | "agent.revoked"
  | "policy.loaded"
  | "auth.signed_in"
  | "auth.signed_out"
  | "audit.exported";

export const SYSTEM_ACTOR: AuditActor = { kind: "system", id: "countersign", display: "Countersign" };

export function agentActor(agent: Pick<Agent, "id" | "name">): AuditActor {
  return { kind: "agent", id: agent.id, display: agent.name };
}

export function userActor(who: ReviewerIdentity): AuditActor {
  return { kind: "user", id: who.id, display: who.name, idp: who.idp, groups: [...who.groups] };
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
    payload: input.payload ?? {},
  };
}
