// What each request change announces, as outbox rows written in the transition's own transaction
// (so no notification is lost and none announces a change that rolled back). Today: the agent's
// signed webhook (`callback_url`).
import { randomUUID } from "node:crypto";
import type { NewOutboxRow, RequestRow } from "@/db/schema";

export type RequestChangeEvent = { type: string; at: Date };

/** Webhooks announce state changes (`request.*`), not individual votes. */
const isStateChange = (type: string) => type.startsWith("request.");

export function notificationsFor(request: RequestRow, change: RequestChangeEvent): NewOutboxRow[] {
  const rows: NewOutboxRow[] = [];
  if (request.callbackUrl && isStateChange(change.type)) {
    const eventId = randomUUID();
    rows.push({
      eventId,
      requestId: request.id,
      kind: "webhook",
      target: request.callbackUrl,
      payload: {
        id: eventId,
        type: change.type,
        occurred_at: change.at.toISOString(),
        request: {
          id: request.id,
          status: request.status,
          action: request.action,
          resource: request.resource,
          environment: request.environment,
          params_hash: request.paramsHash,
          decision_deadline: request.decisionDeadline.toISOString(),
          grant_expires_at: request.grantExpiresAt?.toISOString() ?? null,
          result: request.resultStatus,
        },
      },
      nextAttemptAt: change.at,
      createdAt: change.at,
    });
  }
  return rows;
}
