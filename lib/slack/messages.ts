// Block Kit for Slack, as pure functions of a request view: the message posted when a request needs
// approval (with Approve / Deny buttons), its progress and outcome versions (re-rendered from the
// current view on every update, so updates are idempotent and order-insensitive), and the modal
// that asks a denying reviewer for the reason. Text an agent or a person wrote (intent, resource,
// names, risk reasons, a denial's note) is sent as `plain_text`, never as mrkdwn: bold, italics,
// strikethrough, links and bare URLs in it cannot fake the message's layout.
import type { KnownBlock, ModalView } from "@slack/web-api";
import { LIMITS, type RequestView } from "@/lib/requests/schema";
import type { ReviewDecision, RiskLevel } from "@/lib/vocabulary";

export const APPROVE_ACTION_ID = "countersign_approve";
export const DENY_ACTION_ID = "countersign_deny";
/** A link button (Slack still sends its click, which is ignored): step-up approvals happen in the console. */
export const APPROVE_IN_CONSOLE_ACTION_ID = "countersign_approve_in_console";
export const DENY_MODAL_CALLBACK_ID = "countersign_deny_reason";
export const DENY_REASON_BLOCK_ID = "deny_reason";
export const DENY_REASON_ACTION_ID = "reason";

export type SlackMessage = { text: string; blocks: KnownBlock[] };
export type MessageOptions = { consoleUrl: string };

/** Slack's three control characters in mrkdwn and plain text: escape them so user text stays text. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short, escaped, one-code-block excerpt of the parameters (context) the approval binds to. */
export function parametersExcerpt(context: Record<string, unknown>, max = 400): string {
  const json = JSON.stringify(context, null, 1).replace(/\n\s*/g, " ");
  return escapeSlackText(truncate(json, max)).replace(/```/g, "'''");
}

const RISK_EMOJI: Record<RiskLevel, string> = {
  low: ":large_green_circle:",
  medium: ":large_yellow_circle:",
  high: ":large_orange_circle:",
  critical: ":red_circle:",
};

function slackDate(iso: string): string {
  const seconds = Math.floor(new Date(iso).getTime() / 1000);
  // Rendered in each reader's own time zone; the fallback after `|` is shown by older clients.
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
}

const approvalsLine = (view: RequestView) => `${view.approvals.count} of ${view.approvals.required} approval${view.approvals.required === 1 ? "" : "s"}`;

/** Text someone else wrote, shown exactly as written. */
const plain = (text: string) => ({ type: "plain_text" as const, text, emoji: false });

const names = (view: RequestView, decision: ReviewDecision) => view.reviews.filter((r) => r.decision === decision).map((r) => r.name);

/**
 * One line saying where the request stands: progress while pending, otherwise the outcome. Plain
 * text (names and a denial's note are people's words), with the symbols written out as emoji.
 */
export function statusLine(view: RequestView): string {
  const glass = view.break_glass;
  const line = decisionLine(view);
  return glass ? `🚨 BREAK-GLASS by ${glass.name}: ${truncate(glass.reason, 500)} (review ${glass.review.state}). ${line}` : line;
}

function decisionLine(view: RequestView): string {
  const approvers = names(view, "approve");
  const approvedBy = `Approved by ${approvers.join(", ")} (${view.approvals.count} of ${view.approvals.required})`;
  switch (view.status) {
    case "pending":
      return view.approvals.count > 0
        ? `⏳ ${approvalsLine(view)} so far (${approvers.join(", ")}); waiting for more.`
        : `⏳ Waiting for ${approvalsLine(view)}.`;
    case "approved":
      return `✅ ${approvedBy}`;
    case "denied": {
      const denial = view.reviews.find((r) => r.decision === "deny");
      return denial ? `⛔ Denied by ${denial.name}: ${truncate(denial.note ?? "", 500)}` : `⛔ Refused by policy.`;
    }
    case "expired":
      return `⏰ Expired with ${approvalsLine(view)}.`;
    case "cancelled":
      return `✖️ Cancelled by the agent.`;
    case "executed": {
      const result = view.result ? ` — result: ${view.result.status}` : "";
      return `🚀 Executed${result}. ${approvedBy}.`;
    }
  }
}

function factBlocks(view: RequestView, opts: MessageOptions): KnownBlock[] {
  const risk = view.risk;
  const reasons = risk.reasons.map((r) => `• ${r.message} (+${r.points})`).join("\n");
  return [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(`Approval needed: ${view.action}`, 150) },
    },
    {
      type: "section",
      fields: [
        plain(`Agent\n${view.agent.name}`),
        plain(`Action\n${view.action}`),
        plain(`Environment\n${view.environment}`),
        plain(`Resource\n${truncate(view.resource, 200)}`),
        { type: "mrkdwn", text: `*Risk*\n${RISK_EMOJI[risk.level]} ${risk.level} (${risk.score}/100)` },
        { type: "mrkdwn", text: `*Decide by*\n${slackDate(view.decision_deadline)}` },
      ],
    },
    { type: "section", text: { type: "mrkdwn", text: "*Intent*" } },
    { type: "section", text: plain(truncate(view.intent, 1500)) },
    ...(reasons ? [{ type: "section" as const, text: { type: "mrkdwn" as const, text: "*Why this risk*" } }, { type: "section" as const, text: plain(truncate(reasons, 2500)) }] : []),
    { type: "section", text: { type: "mrkdwn", text: `*Parameters*\n\`\`\`${parametersExcerpt(view.context)}\`\`\`` } },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `Rule \`${escapeSlackText(view.policy.rule)}\` · params \`${view.params_hash.slice(0, 12)}\` · <${opts.consoleUrl}|Open in Countersign>`,
        },
      ],
    },
  ];
}

const statusBlock = (view: RequestView): KnownBlock => ({ type: "section", block_id: "countersign_status", text: plain(statusLine(view)) });

/** The notification text (mrkdwn where Slack insists on it): escaped so it can mention and link nobody. */
const fallbackText = (view: RequestView) =>
  escapeSlackText(`${view.status === "pending" ? "Approval needed" : `Request ${view.status}`}: ${view.action} on ${view.environment} by ${view.agent.name} (risk ${view.risk.level})`);

/**
 * The message while a decision is pending: the facts, progress, and Approve / Deny. A step-up
 * request cannot be approved from Slack (a click proves no recent sign-in): it links to the console.
 */
export function pendingMessage(view: RequestView, opts: MessageOptions): SlackMessage {
  const approve = view.policy.step_up
    ? { type: "button" as const, action_id: APPROVE_IN_CONSOLE_ACTION_ID, url: opts.consoleUrl, style: "primary" as const, text: { type: "plain_text" as const, text: "Approve in Countersign" } }
    : { type: "button" as const, action_id: APPROVE_ACTION_ID, value: view.id, style: "primary" as const, text: { type: "plain_text" as const, text: "Approve" } };
  return {
    text: fallbackText(view),
    blocks: [
      ...factBlocks(view, opts),
      statusBlock(view),
      {
        type: "actions",
        // A fresh block_id per iteration of the message, as Slack recommends for updated messages.
        block_id: `countersign_decide_${view.approvals.count}`,
        elements: [approve, { type: "button", action_id: DENY_ACTION_ID, value: view.id, style: "danger", text: { type: "plain_text", text: "Deny…" } }],
      },
    ],
  };
}

/** The message once decided, expired, cancelled or executed: the facts and the outcome, no buttons. */
export function outcomeMessage(view: RequestView, opts: MessageOptions): SlackMessage {
  return { text: `${fallbackText(view)} — ${escapeSlackText(statusLine(view))}`, blocks: [...factBlocks(view, opts), statusBlock(view)] };
}

/** The message for the request as it stands now. */
export function slackMessageFor(view: RequestView, opts: MessageOptions): SlackMessage {
  return view.status === "pending" ? pendingMessage(view, opts) : outcomeMessage(view, opts);
}

/** The modal a reviewer fills in after pressing Deny (`views.open`); the request id rides along. */
export function denyReasonModal(view: Pick<RequestView, "id" | "action" | "environment">): ModalView {
  return {
    type: "modal",
    callback_id: DENY_MODAL_CALLBACK_ID,
    private_metadata: view.id,
    title: { type: "plain_text", text: "Deny request" },
    submit: { type: "plain_text", text: "Deny" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: plain(`Deny ${view.action} on ${view.environment}? The agent sees your reason.`),
      },
      {
        type: "input",
        block_id: DENY_REASON_BLOCK_ID,
        label: { type: "plain_text", text: "Reason" },
        element: {
          type: "plain_text_input",
          action_id: DENY_REASON_ACTION_ID,
          multiline: true,
          min_length: 1,
          max_length: LIMITS.noteChars,
          placeholder: { type: "plain_text", text: "Why is this denied?" },
        },
      },
    ],
  };
}
