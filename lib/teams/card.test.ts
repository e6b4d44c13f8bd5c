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

describe("Teams Adaptive Card", () => {
  it("wraps an Adaptive Card in the Workflows message envelope with the facts and a deep link", () => {
    const url = `https://countersign.example.com/requests/${ID}`;
    const msg = teamsCardFor(view, url);
    expect(msg.type).toBe("message");
    expect(msg.attachments).toHaveLength(1);
    const att = msg.attachments[0]!;
    expect(att.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(att.content).toMatchObject({ type: "AdaptiveCard", version: "1.4", actions: [{ type: "Action.OpenUrl", title: "Open in Countersign", url }] });
    const body = att.content.body as { type: string; text?: string; facts?: { title: string; value: string }[] }[];
    expect(body[0]?.text).toBe("Approval needed: deploy.service.release");
    expect(body.find((b) => b.type === "FactSet")?.facts).toEqual([
      { title: "Agent", value: "deploy-bot" },
      { title: "Action", value: "deploy.service.release" },
      { title: "Environment", value: "production" },
      { title: "Resource", value: "svc/payments-api" },
      { title: "Decide by", value: "2030-01-01T12:00:00.000Z" },
      { title: "Rule", value: "everything-else" },
    ]);
    const texts = body.map((b) => b.text);
    expect(texts).toContain("Risk medium (45/100)");
    expect(texts).toContain("Release payments-api v2.41.0");
    expect(texts).toContain("• production environment (+25)");
    expect(texts).toContain('{"image":"payments-api:v2.41.0"}');
    expect(texts).toContain("Waiting for 0 of 1 approvals");
    // No callback actions: Teams incoming webhooks cannot call Countersign back.
    expect(JSON.stringify(att.content)).not.toContain("Action.Submit");
  });
});
