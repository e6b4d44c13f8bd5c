// The Microsoft Teams message: an Adaptive Card in the envelope a Teams Workflows "when a webhook
// request is received" flow posts to a channel. Teams cannot call back into Countersign, so the
// card carries the facts and a deep link to the request page instead of buttons.
import type { RequestView } from "@/lib/requests/schema";

export type AdaptiveCardMessage = {
  type: "message";
  attachments: { contentType: "application/vnd.microsoft.card.adaptive"; contentUrl: null; content: Record<string, unknown> }[];
};

const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const RISK_COLOR: Record<RequestView["risk"]["level"], string> = { low: "Good", medium: "Warning", high: "Attention", critical: "Attention" };

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
            { type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: truncate(`Approval needed: ${view.action}`, 200) },
            {
              type: "TextBlock",
              wrap: true,
              weight: "Bolder",
              color: RISK_COLOR[view.risk.level],
              text: `Risk ${view.risk.level} (${view.risk.score}/100)`,
            },
            {
              type: "FactSet",
              facts: [
                { title: "Agent", value: view.agent.name },
                { title: "Action", value: view.action },
                { title: "Environment", value: view.environment },
                { title: "Resource", value: truncate(view.resource, 200) },
                { title: "Decide by", value: view.decision_deadline },
                { title: "Rule", value: view.policy.rule },
              ],
            },
            // Adaptive Cards render a Markdown subset in TextBlocks; plain facts stay in FactSet values.
            { type: "TextBlock", wrap: true, text: "Intent", weight: "Bolder" },
            { type: "TextBlock", wrap: true, text: truncate(view.intent, 1500) },
            ...(view.risk.reasons.length > 0
              ? [
                  { type: "TextBlock", wrap: true, text: "Why this risk", weight: "Bolder" },
                  ...view.risk.reasons.map((r) => ({ type: "TextBlock", wrap: true, spacing: "None", text: `• ${r.message} (+${r.points})` })),
                ]
              : []),
            { type: "TextBlock", wrap: true, text: "Parameters", weight: "Bolder" },
            { type: "TextBlock", wrap: true, fontType: "Monospace", text: truncate(JSON.stringify(view.context), 400) },
            { type: "TextBlock", wrap: true, isSubtle: true, text: status },
          ],
          actions: [{ type: "Action.OpenUrl", title: "Open in Countersign", url: consoleUrl }],
        },
      },
    ],
  };
}
