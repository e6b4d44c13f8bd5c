// Slack's announcer: post when a request starts waiting for reviewers, then update that message on
// every later event (each vote, a decision from any channel, expiry, cancel, execution, result).
// The senders render from the request as it is when they run.
import { notifyTarget, outboxRow } from "@/lib/notify/outbox";
import type { Announcer } from "@/lib/requests/effects";
import { slackConfig } from "./client";

export const slackAnnouncer: Announcer = (request, change) => {
  if (request.policyDecision !== "require_approval") return [];
  const channel = notifyTarget(request, "slackChannel");
  if (!channel || !slackConfig()) return [];
  return [outboxRow(request, change, change.type === "request.created" ? "slack.post" : "slack.update", channel)];
};
