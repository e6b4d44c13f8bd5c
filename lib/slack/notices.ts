// Slack notices beside the request's own message: a reminder, an escalation, a break-glass and an
// overdue break-glass review, each as a reply in the request's thread (where the rule posts to a
// channel), a DM to the approvers concerned who linked a Slack account, and a break-glass post to the
// rule's break_glass.notify channel; and the outcome, as a DM to the human the agent acted for.
// The announcer (announce.ts) decides which rows; the senders here render from the request as it is.
import { getDb } from "@/db/client";
import { findPersonByVerifiedEmail } from "@/db/queries/people";
import { findSlackMessage, selectSlackLinksOfPerson, selectSlackUsersInGroups } from "@/db/queries/slack";
import type { OutboxRow, RequestRow } from "@/db/schema";
import type { Delivery } from "@/lib/notify/delivery";
import { consoleRequestUrl } from "@/lib/notify/links";
import { getActivePolicy } from "@/lib/policy/load";
import { decidingGroups } from "@/lib/requests/eligibility";
import { getRequestView } from "@/lib/requests/read";
import type { RequestView } from "@/lib/requests/schema";
import { slackClient, slackConfig } from "./client";
import { escapeSlackText } from "./messages";

export type NoticeKind = "reminder" | "escalated" | "break_glass" | "review_overdue";
export type Notice = { notice: NoticeKind; groups: string[] };

/** Which notice a change calls for, and which approver groups hear it. */
export function noticeFor(request: RequestRow, type: string): Notice | null {
  switch (type) {
    case "request.reminded":
      return { notice: "reminder", groups: decidingGroups(request) };
    case "request.escalated":
      return request.followUp.escalateTo ? { notice: "escalated", groups: [request.followUp.escalateTo] } : null;
    case "request.approved":
      return request.breakGlass
        ? { notice: "break_glass", groups: [...new Set([...decidingGroups(request), ...(request.followUp.breakGlass?.groups ?? [])])] }
        : null;
    case "break_glass.review_overdue":
      return { notice: "review_overdue", groups: decidingGroups(request) };
    default:
      return null;
  }
}

/** The outcome the requester (`on_behalf_of`) hears of: a decision, or expiry while still waiting. */
export function requesterOutcome(request: RequestRow, type: string): boolean {
  if (!request.onBehalfOf) return false;
  return type === "request.approved" || type === "request.denied" || (type === "request.expired" && request.decidedAt === null);
}

const link = (view: RequestView, label: string) => `<${consoleRequestUrl(view.id)}|${label}>`;
const what = (view: RequestView) => escapeSlackText(`${view.action} on ${view.environment} by ${view.agent.name}`);

/** The notice's text (mrkdwn: user text escaped, so it can mention and link nobody). */
export function noticeText(view: RequestView, notice: NoticeKind): string {
  const glass = view.break_glass;
  switch (notice) {
    case "reminder":
      return `⏰ Reminder: ${what(view)} is still waiting for approval (${view.approvals.count} of ${view.approvals.required}). ${link(view, "Decide in Countersign")}`;
    case "escalated":
      return `⬆️ Escalated to ${escapeSlackText(view.escalated_to.join(", "))}: ${what(view)} has waited too long; you may now decide it. ${link(view, "Decide in Countersign")}`;
    case "break_glass":
      return glass
        ? `🚨 Break-glass: ${escapeSlackText(glass.name)} approved ${what(view)} alone. Reason: “${escapeSlackText(glass.reason)}”. A retrospective review is owed. ${link(view, "Review in Countersign")}`
        : `🚨 Break-glass on ${what(view)}. ${link(view, "Open in Countersign")}`;
    case "review_overdue":
      return `🚨 Break-glass review overdue: ${what(view)} was approved alone by ${escapeSlackText(glass?.name ?? "someone")} and nobody has reviewed it yet. ${link(view, "Review in Countersign")}`;
  }
}

/** What the requester is told: `outcome` is the status the request reached (approved, denied, expired). */
export function outcomeText(view: RequestView, outcome: string): string {
  const glass = view.break_glass ? ` (break-glass by ${escapeSlackText(view.break_glass.name)})` : "";
  const denial = view.reviews.find((r) => r.decision === "deny");
  const detail = outcome === "denied" && denial?.note ? `: ${escapeSlackText(denial.note)}` : outcome === "approved" ? glass : "";
  return `Your request ${what(view)} was ${outcome}${detail}. ${link(view, "Open in Countersign")}`;
}

function failure(err: unknown): Delivery {
  const e = err as { code?: string; data?: { error?: string }; message?: string; statusCode?: number };
  return { ok: false, error: `slack: ${e.code ? `${e.code}: ` : ""}${e.data?.error ?? e.message ?? String(err)}`, statusCode: e.statusCode };
}

async function post(channel: string, text: string, threadTs?: string): Promise<void> {
  const config = slackConfig();
  if (!config) throw new Error("Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)");
  await slackClient(config).chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false });
}

const noticeOf = (row: OutboxRow) => row.payload.notice as NoticeKind;

/** `slack.thread`: the notice as a reply in the request message's thread. */
export async function sendSlackThreadNotice(row: OutboxRow): Promise<Delivery> {
  const posted = await findSlackMessage(await getDb(), row.requestId);
  if (!posted) return { ok: false, error: "the Slack message has not been posted yet" };
  const view = await getRequestView(row.requestId);
  if (!view) return { ok: false, error: "request no longer exists" };
  try {
    await post(posted.channel, noticeText(view, noticeOf(row)), posted.ts);
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}

/** `slack.channel`: the notice posted to a channel of its own (break_glass.notify). */
export async function sendSlackChannelNotice(row: OutboxRow): Promise<Delivery> {
  const view = await getRequestView(row.requestId);
  if (!view) return { ok: false, error: "request no longer exists" };
  try {
    await post(row.target, noticeText(view, noticeOf(row)));
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}

/**
 * `slack.dm_groups`: the notice as a DM to every linked member of the row's approver groups, except
 * whoever cannot decide it anyway (the agent's owner, the requester, who already voted or broke the glass).
 */
export async function sendSlackGroupDms(row: OutboxRow): Promise<Delivery> {
  const view = await getRequestView(row.requestId);
  if (!view) return { ok: false, error: "request no longer exists" };
  const policy = await getActivePolicy();
  const groups = (row.payload.groups as string[]).flatMap((g) => policy.approverGroups[g] ?? []);
  const skipEmails = new Set([view.agent.owner, view.on_behalf_of].filter((e): e is string => !!e).map((e) => e.toLowerCase()));
  const skipPeople = new Set([...view.reviews.map((r) => r.reviewer), ...(view.break_glass ? [view.break_glass.by] : [])]);
  const users = (await selectSlackUsersInGroups(await getDb(), groups)).filter(
    (u) => !skipPeople.has(u.personId) && !u.emails.some((e) => skipEmails.has(e)),
  );
  const text = noticeText(view, noticeOf(row));
  try {
    for (const u of users) await post(u.userId, text);
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}

/** `slack.dm_requester`: the outcome, as a DM to the Slack accounts the requester (on_behalf_of) linked. */
export async function sendSlackRequesterDm(row: OutboxRow): Promise<Delivery> {
  const view = await getRequestView(row.requestId);
  if (!view) return { ok: false, error: "request no longer exists" };
  const db = await getDb();
  const personId = await findPersonByVerifiedEmail(db, row.target);
  // Someone Countersign does not know, or who linked no Slack account: nobody to tell, nothing to retry.
  const links = personId ? await selectSlackLinksOfPerson(db, personId) : [];
  try {
    const outcome = typeof row.payload.outcome === "string" ? row.payload.outcome : view.status;
    for (const l of links) await post(l.userId, outcomeText(view, outcome));
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}
