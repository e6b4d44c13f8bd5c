import { describe, expect, it } from "vitest";
import type { RequestView } from "@/lib/requests/schema";
import { teamsCardFor } from "./card";

const ID = "0b8e2a5c-6f1d-4c3e-9a7b-1d2e3f4a5b6c";

const view = {
  id: ID,
  status: "pending",
  action: "deploy.service.release",
  resource: "svc/payments-api",
  environment: "production",
  intent: "Release payments-api v2.41.0",
  context: { image: "payments-api:v2.41.0" },
  agent: { id: "a", name: "deploy-bot", owner: "priya@acme.test" },
  risk: { score: 45, level: "medium", reasons: [{ code: "env", points: 25, message: "production environment" }] },
  policy: { rule: "everything-else", decision: "require_approval", hash: "h", explanation: "", approver_groups: ["platform-oncall"] },
  approvals: { count: 0, required: 1 },
  reviews: [],
  decision_deadline: "2030-01-01T12:00:00.000Z",
} as unknown as RequestView;

type Block = { type: string; text?: string; inlines?: { type: string; text: string }[] };
/** The text of each RichTextBlock (its TextRuns joined): what Teams shows without parsing it. */
const runs = (body: Block[]) => body.filter((b) => b.type === "RichTextBlock").map((b) => b.inlines!.map((i) => i.text).join(""));

describe("Teams Adaptive Card", () => {
  it("puts everything the agent wrote in TextRuns, never in Markdown-rendering TextBlocks or facts", () => {
    const sneaky = { ...view, intent: "[Approve here](https://evil.example) **now**", resource: "[r](https://evil)", agent: { id: "a", name: "**bot**", owner: "o" } } as RequestView;
    const card = teamsCardFor(sneaky, "https://countersign.example.com/r").attachments[0]!.content;
    const body = card.body as Block[];
    const markdownRendered = body.filter((b) => b.type === "TextBlock").map((b) => b.text ?? "").join("\n");
    for (const piece of ["evil.example", "](", "**"]) expect(markdownRendered).not.toContain(piece);
    expect(JSON.stringify(card)).not.toContain("FactSet");
    expect(runs(body)).toEqual(expect.arrayContaining(["[Approve here](https://evil.example) **now**", "Resource: [r](https://evil)", "Agent: **bot**"]));
    for (const b of body.filter((x) => x.type === "RichTextBlock")) for (const i of b.inlines!) expect(i.type).toBe("TextRun");
  });

  it("wraps an Adaptive Card in the Workflows message envelope with the facts and a deep link", () => {
    const url = `https://countersign.example.com/requests/${ID}`;
    const msg = teamsCardFor(view, url);
    expect(msg.type).toBe("message");
    expect(msg.attachments).toHaveLength(1);
    const att = msg.attachments[0]!;
    expect(att.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(att.content).toMatchObject({ type: "AdaptiveCard", version: "1.4", actions: [{ type: "Action.OpenUrl", title: "Open in Countersign", url }] });
    const body = att.content.body as Block[];
    expect(body[0]?.text).toBe("Approval needed");
    expect(runs(body)).toEqual(
      expect.arrayContaining([
        "deploy.service.release",
        "Agent: deploy-bot",
        "Environment: production",
        "Resource: svc/payments-api",
        "Decide by: 2030-01-01T12:00:00.000Z",
        "Rule: everything-else",
        "Release payments-api v2.41.0",
        "• production environment (+25)",
        '{"image":"payments-api:v2.41.0"}',
      ]),
    );
    const texts = body.map((b) => b.text);
    expect(texts).toContain("Risk medium (45/100)");
    expect(texts).toContain("Waiting for 0 of 1 approvals");
    // No callback actions: Teams incoming webhooks cannot call Countersign back.
    expect(JSON.stringify(att.content)).not.toContain("Action.Submit");
  });

  it("flags a break-glass approval: its own title, who and why (the reason as plain text)", () => {
    const glass = { by: "p", name: "Sam", reason: "**Outage** [x](https://evil)", at: "2030-01-01T11:00:00.000Z", review: { state: "pending" } };
    const card = teamsCardFor({ ...view, status: "approved", break_glass: glass } as unknown as RequestView, "https://c/r").attachments[0]!.content;
    const body = card.body as Block[];
    expect(body[0]).toMatchObject({ type: "TextBlock", text: "Break-glass approval", color: "Attention" });
    expect(runs(body)).toContain("Approved alone by Sam: **Outage** [x](https://evil)");
    const plain = teamsCardFor(view, "https://c/r").attachments[0]!.content.body as Block[];
    expect(plain[0]).toMatchObject({ text: "Approval needed" });
  });
});
