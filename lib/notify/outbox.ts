// What each request change announces, as outbox rows written in the transition's own transaction
// (so no notification is lost and none announces a change that rolled back): the agent's signed
// webhook (`callback_url`), and the chat messages the policy rule's `notify` names.
import { randomUUID } from "node:crypto";
import type { NewOutboxRow, RequestRow } from "@/db/schema";
import { slackConfig } from "@/lib/slack/client";

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
  rows.push(...chatNotificationsFor(request, change));
  return rows;
}

const notifyTarget = (request: RequestRow, key: "slackChannel" | "teamsWebhook") => {
  const value = request.notify[key];
  return typeof value === "string" && value !== "" ? value : null;
};

/**
 * Slack: post when a request starts waiting for reviewers, then update that message on every later
 * event (each vote, a decision from any channel, expiry, cancel, execution, result). The senders
 * render from the request as it is when they run, so the payload only records what triggered them.
 * Teams (which cannot call back): one card when the request starts waiting.
 */
function chatNotificationsFor(request: RequestRow, change: RequestChangeEvent): NewOutboxRow[] {
  if (request.policyDecision !== "require_approval") return [];
  const rows: NewOutboxRow[] = [];
  const row = (kind: string, target: string): NewOutboxRow => ({
    eventId: randomUUID(),
    requestId: request.id,
    kind,
    target,
    payload: { type: change.type, occurred_at: change.at.toISOString() },
    nextAttemptAt: change.at,
    createdAt: change.at,
  });
  const created = change.type === "request.created";
  const slackChannel = notifyTarget(request, "slackChannel");
  if (slackChannel && slackConfig()) rows.push(row(created ? "slack.post" : "slack.update", slackChannel));
  const teamsWebhook = notifyTarget(request, "teamsWebhook");
  if (teamsWebhook && created) rows.push(row("teams.post", teamsWebhook));
  return rows;
}
