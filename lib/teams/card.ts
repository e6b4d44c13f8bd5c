// The Microsoft Teams message: an Adaptive Card in the envelope a Teams Workflows "when a webhook
// request is received" flow posts to a channel. Teams cannot call back into Countersign, so the
// card carries the facts and a deep link to the request page instead of buttons. Teams renders
// Markdown in TextBlocks and FactSet values, so everything an agent wrote goes in a RichTextBlock's
// TextRuns, which Adaptive Cards never parse: `[Approve here](https://evil)` stays those characters.
import type { RequestView } from "@/lib/requests/schema";

export type AdaptiveCardMessage = {
  type: "message";
  attachments: { contentType: "application/vnd.microsoft.card.adaptive"; contentUrl: null; content: Record<string, unknown> }[];
};

const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const RISK_COLOR: Record<RequestView["risk"]["level"], string> = { low: "Good", medium: "Warning", high: "Attention", critical: "Attention" };

/** Text someone else wrote, in a TextRun: Adaptive Cards render a TextRun's text as is, no Markdown. */
function plainBlock(text: string, run: Record<string, string> = {}): Record<string, unknown> {
  const { spacing, ...style } = run;
  return { type: "RichTextBlock", ...(spacing ? { spacing } : {}), inlines: [{ type: "TextRun", text, ...style }] };
}

/** A label and a value someone else wrote (FactSet values would render Markdown). */
function fact(title: string, value: string): Record<string, unknown> {
  return { type: "RichTextBlock", spacing: "Small", inlines: [{ type: "TextRun", text: `${title}: `, weight: "Bolder" }, { type: "TextRun", text: value }] };
}

export function teamsCardFor(view: RequestView, consoleUrl: string): AdaptiveCardMessage {
  const status = view.status === "pending" ? `Waiting for ${view.approvals.count} of ${view.approvals.required} approvals` : `Status: ${view.status}`;
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            view.break_glass
              ? { type: "TextBlock", size: "Large", weight: "Bolder", color: "Attention", wrap: true, text: "Break-glass approval" }
              : { type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: "Approval needed" },
            ...(view.break_glass ? [plainBlock(`Approved alone by ${view.break_glass.name}: ${truncate(view.break_glass.reason, 1000)}`)] : []),
            plainBlock(truncate(view.action, 200), { size: "Medium", weight: "Bolder", fontType: "Monospace" }),
            {
              type: "TextBlock",
              wrap: true,
              weight: "Bolder",
              color: RISK_COLOR[view.risk.level],
              text: `Risk ${view.risk.level} (${view.risk.score}/100)`,
            },
            fact("Agent", view.agent.name),
            fact("Environment", view.environment),
            fact("Resource", truncate(view.resource, 200)),
            fact("Decide by", view.decision_deadline),
            fact("Rule", view.policy.rule),
            { type: "TextBlock", wrap: true, text: "Intent", weight: "Bolder" },
            plainBlock(truncate(view.intent, 1500)),
            ...(view.risk.reasons.length > 0
              ? [
                  { type: "TextBlock", wrap: true, text: "Why this risk", weight: "Bolder" },
                  ...view.risk.reasons.map((r) => plainBlock(`• ${r.message} (+${r.points})`, { spacing: "None" })),
                ]
              : []),
            { type: "TextBlock", wrap: true, text: "Parameters", weight: "Bolder" },
            plainBlock(truncate(JSON.stringify(view.context), 400), { fontType: "Monospace" }),
            { type: "TextBlock", wrap: true, isSubtle: true, text: status },
          ],
          actions: [{ type: "Action.OpenUrl", title: "Open in Countersign", url: consoleUrl }],
        },
      },
    ],
  };
}
