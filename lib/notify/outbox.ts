// Outbox rows: what a request change announces, written in the change's own transaction (so no
// notification is lost and none announces a change that rolled back). Each channel registers an
// announcer at start-up (lib/runtime/wiring.ts); this module holds the row shape and the agent's
// signed webhook (`callback_url`).
import { randomUUID } from "node:crypto";
import type { NewOutboxRow, RequestRow } from "@/db/schema";
import type { Announcer, RequestChange } from "@/lib/requests/effects";

/**
 * One outbox row for `request`, due now. Senders that render from the request as it is when they
 * run need only what triggered them (the default payload); `payload` builds any other, given the
 * row's event id.
 */
export function outboxRow(
  request: Pick<RequestRow, "id">,
  change: RequestChange,
  kind: string,
  target: string,
  payload?: (eventId: string) => Record<string, unknown>,
): NewOutboxRow {
  const eventId = randomUUID();
  return {
    eventId,
    requestId: request.id,
    kind,
    target,
    payload: payload ? payload(eventId) : { type: change.type, occurred_at: change.at.toISOString() },
    nextAttemptAt: change.at,
    createdAt: change.at,
  };
}

/** Webhooks announce state changes (`request.*`), not individual votes. */
const isStateChange = (type: string) => type.startsWith("request.");

/** The agent's signed webhook: every state change of a request that names a `callback_url`. */
export const webhookAnnouncer: Announcer = (request, change) => {
  if (!request.callbackUrl || !isStateChange(change.type)) return [];
  return [
    outboxRow(request, change, "webhook", request.callbackUrl, (eventId) => ({
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
        break_glass: request.breakGlass
          ? { by: request.breakGlass.byName, reason: request.breakGlass.reason, at: request.breakGlass.at, review: request.breakGlass.review.state }
          : null,
        escalated_to: request.escalatedTo,
      },
    })),
  ];
};

/** The target the policy rule's `notify` names for a chat channel, if any. */
export function notifyTarget(request: Pick<RequestRow, "notify">, key: "slackChannel" | "teamsWebhook"): string | null {
  const value = request.notify[key];
  return typeof value === "string" && value !== "" ? value : null;
}
