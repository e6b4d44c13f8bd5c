// Teams' announcer: one Adaptive Card when a request starts waiting for reviewers (a Workflows
// webhook cannot call back, so there is nothing to update later), and one more, flagged, when
// someone breaks the glass on it: to the rule's webhook and to the break_glass.notify one.
import { notifyTarget, outboxRow } from "@/lib/notify/outbox";
import type { Announcer } from "@/lib/requests/effects";

export const teamsAnnouncer: Announcer = (request, change) => {
  if (request.policyDecision !== "require_approval") return [];
  const webhook = notifyTarget(request, "teamsWebhook");
  if (change.type === "request.created") return webhook ? [outboxRow(request, change, "teams.post", webhook)] : [];
  if (change.type === "request.approved" && request.breakGlass) {
    const targets = new Set([webhook, request.followUp.breakGlass?.notify.teamsWebhook].filter((t): t is string => !!t));
    return [...targets].map((t) => outboxRow(request, change, "teams.post", t));
  }
  return [];
};
