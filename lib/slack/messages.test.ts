import { describe, expect, it } from "vitest";
import type { RequestView } from "@/lib/requests/schema";
import {
  APPROVE_ACTION_ID,
  DENY_ACTION_ID,
  DENY_MODAL_CALLBACK_ID,
  denyReasonModal,
  escapeSlackText,
  outcomeMessage,
  parametersExcerpt,
  pendingMessage,
  slackMessageFor,
  statusLine,
} from "./messages";

const ID = "0b8e2a5c-6f1d-4c3e-9a7b-1d2e3f4a5b6c";
const opts = { consoleUrl: `https://countersign.example.com/requests/${ID}` };

function view(over: Partial<RequestView> = {}): RequestView {
  return {
    id: ID,
    status: "pending",
    action: "iam.role.update",
    resource: "role/admin",
    environment: "production",
    intent: "Grant <@U123> & <!channel> admin > now",
    context: { role: "admin", members: ["a@acme.test"], note: "```break out```" },
    origin: null as unknown as RequestView["origin"],
    on_behalf_of: null,
    callback_url: null,
    params_hash: "ab".repeat(32),
    agent: { id: "9f0e2a5c-6f1d-4c3e-9a7b-1d2e3f4a5b6c", name: "deploy-bot", owner: "priya@acme.test" },
    risk: { score: 85, level: "critical", reasons: [{ code: "env", points: 25, message: "production <prod>" }] },
    policy: { rule: "iam-changes", decision: "require_approval", hash: "h", explanation: "", approver_groups: ["security"], step_up: false, break_glass_groups: null },
    break_glass: null,
    escalated_to: [],
    approvals: { count: 0, required: 2 },
    reviews: [],
    decision_deadline: "2030-01-01T12:00:00.000Z",
    grant_expires_at: null,
    created_at: "2030-01-01T11:00:00.000Z",
    decided_at: null,
    executed_at: null,
    result: null,
    ...over,
  };
}

const review = (name: string, decision: "approve" | "deny", note: string | null = null) => ({
  reviewer: `${name}@acme.test`,
  name,
  decision,
  note,
  channel: "slack" as const,
  at: "2030-01-01T11:30:00.000Z",
});

const text = (blocks: unknown) => JSON.stringify(blocks);

describe("Slack Block Kit messages", () => {
  it("escapes &, < and > so user text can't mention, link or break out", () => {
    expect(escapeSlackText("a & <@U1> <!here> b>c")).toBe("a &amp; &lt;@U1&gt; &lt;!here&gt; b&gt;c");
  });

  it("pending: facts, escaped intent, reasons, parameter excerpt, deadline, buttons carrying the request id, console link", () => {
    const m = pendingMessage(view(), opts);
    const all = text(m.blocks);
    expect(m.text).toBe("Approval needed: iam.role.update on production by deploy-bot (risk critical)");
    expect(m.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "Approval needed: iam.role.update" } });
    // What the agent wrote is plain text: shown as written, never parsed for mentions, links or formatting.
    const plainTexts = JSON.stringify(m.blocks, (k, v: unknown) => v).match(/"type":"plain_text","text":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(plainTexts.join("\n")).toContain("Agent\\ndeploy-bot");
    expect(plainTexts.join("\n")).toContain("Environment\\nproduction");
    expect(plainTexts.join("\n")).toContain("Grant <@U123> & <!channel> admin > now");
    expect(plainTexts.join("\n")).toContain("production <prod> (+25)");
    expect(all).toContain("critical (85/100)");
    const mrkdwn = (JSON.stringify(m.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g) ?? []).join("\n");
    expect(mrkdwn).not.toContain("@U123");
    expect(mrkdwn).not.toContain("deploy-bot");
    expect(all).toContain("<!date^1893499200^{date_short_pretty} at {time}|2030-01-01T12:00:00.000Z>");
    expect(all).toContain(`<${opts.consoleUrl}|Open in Countersign>`);
    expect(all).toContain("Waiting for 0 of 2 approvals");
    const actions = m.blocks.find((b) => b.type === "actions");
    expect(actions).toMatchObject({
      type: "actions",
      elements: [
        { type: "button", action_id: APPROVE_ACTION_ID, value: ID, style: "primary" },
        { type: "button", action_id: DENY_ACTION_ID, value: ID, style: "danger" },
      ],
    });
  });

  it("keeps the parameter excerpt short, on one line, and unable to close its code block", () => {
    const excerpt = parametersExcerpt({ big: "x".repeat(2000), tick: "```" });
    expect(excerpt.length).toBeLessThanOrEqual(400);
    expect(excerpt.endsWith("…")).toBe(true);
    expect(parametersExcerpt({ a: "```" })).not.toContain("```");
    expect(parametersExcerpt({ a: 1, b: [2] })).toBe('{ "a": 1, "b": [ 2 ] }');
  });

  it("progress: n of m approvals, buttons still there", () => {
    const m = slackMessageFor(view({ approvals: { count: 1, required: 2 }, reviews: [review("sam", "approve")] }), opts);
    expect(statusLine(view({ approvals: { count: 1, required: 2 }, reviews: [review("sam", "approve")] }))).toContain("1 of 2 approvals");
    expect(text(m.blocks)).toContain("1 of 2 approvals");
    expect(m.blocks.some((b) => b.type === "actions")).toBe(true);
  });

  it("outcomes: buttons removed, who decided and n of m", () => {
    const approved = view({ status: "approved", approvals: { count: 2, required: 2 }, reviews: [review("sam", "approve"), review("ada", "approve")] });
    const m = slackMessageFor(approved, opts);
    expect(m.blocks.some((b) => b.type === "actions")).toBe(false);
    expect(statusLine(approved)).toBe("✅ Approved by sam, ada (2 of 2)");
    expect(m.text).toContain("Approved by sam, ada (2 of 2)");

    const denied = view({ status: "denied", reviews: [review("sam", "deny", "too <broad>")] });
    expect(statusLine(denied)).toBe("⛔ Denied by sam: too <broad>");
    expect(outcomeMessage(denied, opts).blocks.some((b) => b.type === "actions")).toBe(false);

    expect(statusLine(view({ status: "expired", approvals: { count: 1, required: 2 } }))).toBe("⏰ Expired with 1 of 2 approvals.");
    expect(statusLine(view({ status: "cancelled" }))).toContain("Cancelled by the agent");
    const executed = view({ status: "executed", approvals: { count: 1, required: 1 }, reviews: [review("riley", "approve")] });
    expect(statusLine(executed)).toBe("🚀 Executed. Approved by riley (1 of 1).");
    expect(statusLine({ ...executed, result: { status: "succeeded", detail: null, at: "2030-01-01T12:00:00.000Z" } })).toContain("result: succeeded");
  });

  it("formatting an agent writes cannot fake the layout: bold, italics, links and bare URLs stay plain text", () => {
    const sneaky = "*APPROVED by security* _urgent_ ~old~ <https://evil.example|Approve here> https://evil.example/approve";
    const m = pendingMessage(view({ intent: sneaky, resource: "*prod*", agent: { id: "a", name: "_bot_ <!here>", owner: "o@acme.test" } }), opts);
    const mrkdwn = (JSON.stringify(m.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g) ?? []).join("\n");
    for (const piece of ["APPROVED by security", "_urgent_", "evil.example", "*prod*", "_bot_", "<!here>"]) expect(mrkdwn).not.toContain(piece);
    expect(JSON.stringify(m.blocks)).toContain(JSON.stringify(sneaky).slice(1, -1));
    // The notification text is mrkdwn in Slack: it is escaped, so it mentions and links nobody.
    expect(m.text).not.toMatch(/<[!@#]|<https?:/);
    expect(outcomeMessage(view({ status: "denied", reviews: [review("sam", "deny", "*fine* <!channel>")] }), opts).text).not.toContain("<!channel>");
  });

  it("deny modal: reason input, callback id, request id in private_metadata", () => {
    const modal = denyReasonModal(view());
    expect(modal).toMatchObject({ type: "modal", callback_id: DENY_MODAL_CALLBACK_ID, private_metadata: ID, submit: { text: "Deny" } });
    expect(modal.blocks[1]).toMatchObject({ type: "input", block_id: "deny_reason", element: { type: "plain_text_input", action_id: "reason", multiline: true } });
  });

  it("break-glass: the status line says so, with who and why, escaped", () => {
    const glass = { by: "p", name: "Sam", reason: "<!channel> outage", at: "2030-01-01T11:00:00.000Z", review: { state: "pending" as const, by: null, name: null, note: null, at: null } };
    const line = statusLine(view({ status: "approved", break_glass: glass, reviews: [review("Sam", "approve")], approvals: { count: 1, required: 2 } }));
    expect(line).toMatch(/^🚨 BREAK-GLASS by Sam: <!channel> outage \(review pending\)\. ✅ Approved by Sam \(1 of 2\)$/);
    const message = slackMessageFor(view({ status: "approved", break_glass: glass }), { consoleUrl: "https://c/r" });
    expect(JSON.stringify(message.blocks)).toContain("BREAK-GLASS by Sam");
    expect(message.text).toContain("&lt;!channel&gt; outage"); // the notification text is mrkdwn: escaped (the blocks are plain_text)
  });
});
