// Teams' announcer: one Adaptive Card when a request starts waiting for reviewers (a Workflows
// webhook cannot call back, so there is nothing to update later).
import { notifyTarget, outboxRow } from "@/lib/notify/outbox";
import type { Announcer } from "@/lib/requests/effects";

export const teamsAnnouncer: Announcer = (request, change) => {
  if (request.policyDecision !== "require_approval" || change.type !== "request.created") return [];
  const webhook = notifyTarget(request, "teamsWebhook");
  return webhook ? [outboxRow(request, change, "teams.post", webhook)] : [];
};
