// Slack's announcer: post when a request starts waiting for reviewers, then update that message on
// every later event (each vote, a decision from any channel, expiry, cancel, execution, result).
// Reminders, escalations and break-glass also go to the message's thread and to the approvers
// concerned by DM, and the requester hears the outcome by DM (notices.ts). The senders render from
// the request as it is when they run.
import { notifyTarget, outboxRow } from "@/lib/notify/outbox";
import type { Announcer } from "@/lib/requests/effects";
import { slackConfig } from "./client";
import { noticeFor, requesterOutcome } from "./notices";

export const slackAnnouncer: Announcer = (request, change) => {
  if (request.policyDecision !== "require_approval" || !slackConfig()) return [];
  const channel = notifyTarget(request, "slackChannel");
  const rows = channel ? [outboxRow(request, change, change.type === "request.created" ? "slack.post" : "slack.update", channel)] : [];
  const notice = noticeFor(request, change.type);
  if (notice) {
    const payload = () => ({ type: change.type, occurred_at: change.at.toISOString(), ...notice });
    if (channel) rows.push(outboxRow(request, change, "slack.thread", channel, payload));
    rows.push(outboxRow(request, change, "slack.dm_groups", notice.groups.join(","), payload));
    const glassChannel = request.followUp.breakGlass?.notify.slackChannel;
    if (notice.notice === "break_glass" && glassChannel) rows.push(outboxRow(request, change, "slack.channel", glassChannel, payload));
  }
  if (requesterOutcome(request, change.type)) {
    // The outcome as decided now: by the time the DM goes out, an approval may have been used or lapsed.
    rows.push(outboxRow(request, change, "slack.dm_requester", request.onBehalfOf!, () => ({ type: change.type, occurred_at: change.at.toISOString(), outcome: request.status })));
  }
  return rows;
};
