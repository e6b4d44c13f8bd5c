// Slack and Teams end to end through the outbox, against local stand-ins for the Slack Web API
// (SLACK_API_URL), Slack's response_url and a Teams Workflows webhook: the exact Web API calls for
// a post, approvals (with quorum progress), deny through the modal, expiry and a console decision.
// Slack users decide as the person who linked that Slack account, signed in, through a one-time
// link (never looked up by e-mail): unlinked users get the link and no vote, unlinking takes the
// vote away again, step-up requests send approvers to the console, a person's groups are read
// fresh at the click, and bad signatures change nothing.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { selectDeliveries } from "@/db/queries/outbox";
import { findSlackLink, findSlackMessage } from "@/db/queries/slack";
import { selectEventsForRequest } from "@/db/queries/audit";
import { POST } from "@/app/api/integrations/slack/interactions/route";
import type { OutboxRow } from "@/db/schema";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { listTimeline } from "@/lib/audit/timeline";
import { timelineQuery } from "@/lib/audit/timeline-filter";
import { recordIdentity } from "@/lib/auth/people";
import type { Viewer } from "@/lib/auth/viewer";
import { resetEnvCache } from "@/lib/config/env";
import { drainOutboxOnce } from "@/lib/notify/worker";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { cancelRequest, claimApproval, createRequest, expireDueRequests } from "@/lib/requests/lifecycle";
import { getRequestDetail } from "@/lib/requests/read";
import { describeSlackLinkCode, LINK_CODE_TTL_MS, linkSlackAccount, slackAccountsOf, slackLinkUrl, unlinkSlackAccount } from "@/lib/slack/linking";
import { sendSlackUpdate } from "@/lib/slack/sender";
import { signSlackRequest } from "@/lib/slack/signature";
import { createDedicatedDatabase, pointAppAt, waitForOutboxIdle, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { auditorViewer, decideAs, errorCode, makeAgent, oncall, personOf, requestBody, reviewer, signedIn, tally } from "../support/fixtures";

const SECRET = "slack-test-signing-secret";
const CHANNEL_ID = "C0APPROVALS";
const TEAM = "T0TEST";

// ── the stand-in for Slack (Web API + response_url) and for a Teams Workflows webhook ──────────

type Call = { method: string; args: Record<string, unknown>; auth?: string };
const calls: Call[] = [];
let rateLimitNextPost = 0;
let posted = 0;
let server: http.Server;
let base = "";

function answer(method: string, args: Record<string, unknown>): { status: number; body: unknown; headers?: Record<string, string> } {
  switch (method) {
    case "chat.postMessage":
      if (rateLimitNextPost > 0) {
        rateLimitNextPost--;
        return { status: 429, body: { ok: false, error: "ratelimited" }, headers: { "retry-after": "1" } };
      }
      posted++;
      return { status: 200, body: { ok: true, channel: CHANNEL_ID, ts: `1700000000.${String(posted).padStart(6, "0")}` } };
    case "chat.update":
      return { status: 200, body: { ok: true, channel: args.channel, ts: args.ts } };
    case "views.open":
      return { status: 200, body: { ok: true, view: { id: "V0DENY" } } };
    default:
      return { status: 200, body: { ok: false, error: "unknown_method" } };
  }
}

async function startStandIn(): Promise<void> {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = req.url ?? "";
      if (url.startsWith("/api/")) {
        const method = url.slice("/api/".length);
        const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
        for (const k of ["blocks", "view"]) if (typeof args[k] === "string") args[k] = JSON.parse(args[k] as string);
        calls.push({ method, args, auth: req.headers.authorization });
        const { status, body, headers } = answer(method, args);
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
        return;
      }
      // response_url and the Teams webhook take JSON.
      calls.push({ method: url.startsWith("/teams") ? "teams" : "response_url", args: JSON.parse(raw) as Record<string, unknown> });
      res.writeHead(url.startsWith("/teams") ? 202 : 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const callsOf = (method: string) => calls.filter((c) => c.method === method);
/** The i-th element, failing the test when there is none. */
function at<T>(list: T[], i: number): T {
  expect(list.length).toBeGreaterThan(i);
  return list[i]!;
}
/** The only element, failing the test unless there is exactly one. */
function one<T>(list: T[]): T {
  expect(list).toHaveLength(1);
  return list[0]!;
}
const blocksText = (c: Call) => JSON.stringify(c.args.blocks);
const hasButtons = (c: Call) => (c.args.blocks as { type: string }[]).some((b) => b.type === "actions");

// ── signed interaction requests, as Slack sends them ───────────────────────────────────────────

type Signing = { timestamp?: number; skewSeconds?: number; secret?: string; signature?: string | null; omitTimestamp?: boolean };

function interaction(payload: unknown, signing: Signing = {}): Request {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = String(signing.timestamp ?? Math.floor(Date.now() / 1000) + (signing.skewSeconds ?? 0));
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (!signing.omitTimestamp) headers["x-slack-request-timestamp"] = ts;
  const signature = signing.signature === undefined ? signSlackRequest(signing.secret ?? SECRET, ts, body) : signing.signature;
  if (signature !== null) headers["x-slack-signature"] = signature;
  return new Request("http://countersign.test/api/integrations/slack/interactions", { method: "POST", headers, body });
}

let n = 0;
type ActionId = "countersign_approve" | "countersign_deny" | "countersign_approve_in_console";

function buttonClick(slackUser: string, actionId: ActionId, requestId: string, team = TEAM) {
  n++;
  return {
    type: "block_actions",
    user: { id: slackUser, username: slackUser.toLowerCase(), team_id: team },
    api_app_id: "A0TEST",
    token: "legacy-verification-token",
    trigger_id: `trigger-${n}`,
    response_url: `${base}/response/${n}`,
    container: { type: "message", message_ts: "1700000000.000001", channel_id: CHANNEL_ID },
    channel: { id: CHANNEL_ID, name: "approvals" },
    actions: [{ type: "button", action_id: actionId, block_id: "countersign_decide_0", value: requestId, action_ts: "1700000001.000000" }],
  };
}

function denySubmission(slackUser: string, requestId: string, reason: string) {
  return {
    type: "view_submission",
    user: { id: slackUser, username: slackUser.toLowerCase(), team_id: TEAM },
    api_app_id: "A0TEST",
    trigger_id: "trigger-submit",
    view: {
      id: "V0DENY",
      type: "modal",
      callback_id: "countersign_deny_reason",
      private_metadata: requestId,
      state: { values: { deny_reason: { reason: { type: "plain_text_input", value: reason } } } },
    },
  };
}

const send = (req: Request) => POST(req, undefined);

// ── linking Slack accounts to people ───────────────────────────────────────────────────────────

/** The one-time code in a link (or in the ephemeral text that carries one). */
function codeOf(text: string): string {
  const match = /\/slack\/link\?code=([^|>\s]+)/.exec(text);
  expect(match, `no link code in: ${text}`).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

/** What the Slack account's owner does: click in Slack (a link is made), then confirm it signed in. */
async function link(viewer: Viewer, userId: string, teamId = TEAM): Promise<void> {
  const code = codeOf(await slackLinkUrl({ teamId, userId }));
  expect(await linkSlackAccount(viewer, code)).toEqual({ teamId, userId });
}

const ephemeralTexts = () => callsOf("response_url").map((c) => String(c.args.text));

/** The request as an auditor reads it. */
const detailOf = async (id: string) => (await getRequestDetail(auditorViewer(), id))!;

/** Audit events of one type by one person (sealed first: the timeline is the chain). */
async function auditOf(type: string, personId: string) {
  await sealPendingAuditEvents();
  return (await listTimeline(auditorViewer(), timelineQuery.parse({ type, actor: personId }))).events;
}

// ── outbox driving ─────────────────────────────────────────────────────────────────────────────

/** Drains until every outbox row of these requests is delivered (the background worker may help). */
async function settle(requestIds: string[], now?: Date): Promise<void> {
  const db = await getDb();
  for (let i = 0; i < 300; i++) {
    await drainOutboxOnce({ now });
    const rows = (await Promise.all(requestIds.map((id) => selectDeliveries(db, id)))).flat();
    if (rows.every((r) => r.outbox.status === "delivered")) return;
    const stuck = rows.find((r) => r.outbox.status === "dead" || (r.outbox.status === "pending" && r.outbox.attempts > 0));
    if (stuck) throw new Error(`delivery failed: ${stuck.outbox.kind} ${stuck.outbox.lastError}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the outbox did not settle");
}

const kinds = async (id: string) => (await selectDeliveries(await getDb(), id)).map((d) => d.outbox.kind);

async function postedRequest(action = "deploy.service.release") {
  const { agent } = await makeAgent();
  const { request } = await createRequest(agent, requestBody({ action, resource: `svc/${n++}` }));
  await settle([request.id]);
  const message = await findSlackMessage(await getDb(), request.id);
  expect(message).toMatchObject({ channel: CHANNEL_ID });
  return { agent, request, ts: message!.ts };
}

const updatesFor = (ts: string) => callsOf("chat.update").filter((c) => c.args.ts === ts);

// ── setup ──────────────────────────────────────────────────────────────────────────────────────

let dedicated: DedicatedDatabase;
let restoreDb: () => void;
const savedEnv = { ...process.env };

beforeAll(async () => {
  await startStandIn();
  Object.assign(process.env, {
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${base}/api/`,
    COUNTERSIGN_PUBLIC_URL: "https://countersign.test",
  });
  resetEnvCache();
  const file = path.join(process.cwd(), "tests", "fixtures", "policy-slack.yaml");
  const policy = parsePolicy(fs.readFileSync(file, "utf8"), file);
  // The policy only accepts https Teams URLs; point the (frozen) rule at the local stand-in.
  const rules = policy.rules.map((r) => (r.name === "deploys" ? { ...r, notify: { ...r.notify, teamsWebhook: `${base}/teams/workflow` } } : r));
  setActivePolicyForTests({ ...policy, rules });
  dedicated = await createDedicatedDatabase({ poolSize: 5 });
  restoreDb = await pointAppAt(dedicated.handle);
  // Each reviewer signs in to the console and links their Slack account with a one-time link.
  for (const [name, groups] of [
    ["sam", ["security-team"]],
    ["ada", ["security-team"]],
    ["riley", ["platform-oncall"]],
    ["audrey", ["compliance"]],
  ] as const) {
    await link(await signedIn(reviewer(name, [...groups])), `U_${name.toUpperCase()}`);
  }
});

beforeEach(() => {
  calls.length = 0;
});

afterAll(async () => {
  await waitForOutboxIdle();
  await waitForSealerIdle();
  restoreDb?.();
  await dedicated?.drop();
  for (const k of ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "COUNTERSIGN_PUBLIC_URL"]) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  resetEnvCache();
  await new Promise((r) => server.close(r));
});

// ── the tests ──────────────────────────────────────────────────────────────────────────────────

describe("Slack: posting and updating through the outbox", () => {
  it("posts the request to the rule's channel (and Teams), then an approval in Slack updates it with the outcome", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ intent: "Release <@U0ALL> & ship" }));
    expect(await kinds(request.id)).toEqual(["slack.post", "teams.post"]);
    await settle([request.id]);

    const post = one(callsOf("chat.postMessage"));
    expect(post.auth).toBe("Bearer xoxb-test-token");
    expect(post.args.channel).toBe("#approvals");
    expect(post.args.text).toContain("Approval needed: deploy.service.release on production");
    // The agent's words go as plain_text: shown as written, mentioning nobody.
    expect(blocksText(post)).toContain('{"type":"plain_text","text":"Release <@U0ALL> & ship","emoji":false}');
    expect(String(post.args.mrkdwn)).toBe("false"); // form-encoded by the Web API client
    expect(blocksText(post)).toContain(`<https://countersign.test/requests/${request.id}|Open in Countersign>`);
    expect((post.args.blocks as { type: string; elements?: unknown[] }[]).find((b) => b.type === "actions")?.elements).toMatchObject([
      { action_id: "countersign_approve", value: request.id },
      { action_id: "countersign_deny", value: request.id },
    ]);
    const stored = await findSlackMessage(await getDb(), request.id);
    expect(stored).toMatchObject({ channel: CHANNEL_ID, ts: expect.stringMatching(/^1700000000\.\d{6}$/) });

    const teams = one(callsOf("teams"));
    expect(teams.args).toMatchObject({
      type: "message",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", actions: [{ type: "Action.OpenUrl", url: `https://countersign.test/requests/${request.id}` }] } }],
    });

    calls.length = 0;
    const res = await send(interaction(buttonClick("U_RILEY", "countersign_approve", request.id)));
    // Counted as soon as the answer is back: the background outbox worker, kicked by the commit, may
    // deliver the update moments later.
    const updatesWhenAnswered = callsOf("chat.update").length;
    expect(res.status).toBe(200);
    expect(callsOf("users.info")).toHaveLength(0); // the clicker is the linked person, never looked up by e-mail
    const detail = await getRequestDetail(auditorViewer(), request.id);
    expect(detail?.view.status).toBe("approved");
    expect(detail?.view.reviews).toMatchObject([{ reviewer: await personOf(oncall()), name: "riley", decision: "approve", channel: "slack" }]);
    expect(detail?.events.filter((e) => e.type === "request.approved").map((e) => e.channel)).toEqual(["slack"]);
    // Not updated inline: the outbox row the decision wrote does it.
    expect(updatesWhenAnswered).toBe(0);
    expect(await kinds(request.id)).toEqual(["slack.post", "teams.post", "slack.update"]);

    await settle([request.id]);
    const updates = callsOf("chat.update");
    expect(updates).toHaveLength(1);
    expect(at(updates, 0).args).toMatchObject({ channel: CHANNEL_ID, ts: stored!.ts });
    expect(blocksText(at(updates, 0))).toContain("Approved by riley (1 of 1)");
    expect(hasButtons(at(updates, 0))).toBe(false);
    expect(callsOf("response_url")).toHaveLength(0);
    expect(callsOf("chat.postMessage")).toHaveLength(0);
  });

  it("quorum: the first Slack approval shows 1 of 2 and keeps the buttons; the second approves", async () => {
    const { request, ts } = await postedRequest("iam.role.update");
    calls.length = 0;
    expect((await send(interaction(buttonClick("U_SAM", "countersign_approve", request.id)))).status).toBe(200);
    await settle([request.id]);
    let updates = updatesFor(ts);
    expect(updates).toHaveLength(1);
    expect(at(updates, 0).args.channel).toBe(CHANNEL_ID);
    expect(blocksText(at(updates, 0))).toContain("1 of 2 approvals");
    expect(hasButtons(at(updates, 0))).toBe(true);
    expect((await getRequestDetail(auditorViewer(), request.id))?.view.status).toBe("pending");

    expect((await send(interaction(buttonClick("U_ADA", "countersign_approve", request.id)))).status).toBe(200);
    await settle([request.id]);
    updates = updatesFor(ts);
    expect(updates).toHaveLength(2);
    expect(blocksText(at(updates, 1))).toContain("Approved by sam, ada (2 of 2)");
    expect(hasButtons(at(updates, 1))).toBe(false);
    const [sam, ada] = [await personOf(reviewer("sam", ["security-team"])), await personOf(reviewer("ada", ["security-team"]))];
    expect((await detailOf(request.id)).view.reviews.map((r) => r.reviewer)).toEqual([sam, ada]);
  });

  it("deny opens the reason modal; submitting it denies with the note and updates the message", async () => {
    const { request, ts } = await postedRequest("iam.policy.update");
    calls.length = 0;
    const click = buttonClick("U_SAM", "countersign_deny", request.id);
    expect((await send(interaction(click))).status).toBe(200);
    const open = one(callsOf("views.open"));
    expect(open.args.trigger_id).toBe(click.trigger_id);
    expect(open.args.view).toMatchObject({
      type: "modal",
      callback_id: "countersign_deny_reason",
      private_metadata: request.id,
      blocks: [{ type: "section" }, { type: "input", block_id: "deny_reason", element: { type: "plain_text_input", action_id: "reason" } }],
    });
    expect((await getRequestDetail(auditorViewer(), request.id))?.view.status).toBe("pending");

    // An empty reason keeps the modal open with an error on the field; nothing is recorded.
    const empty = await send(interaction(denySubmission("U_SAM", request.id, "   ")));
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({ response_action: "errors", errors: { deny_reason: expect.stringContaining("note is required") } });
    expect((await getRequestDetail(auditorViewer(), request.id))?.view.reviews).toHaveLength(0);

    const submitted = await send(interaction(denySubmission("U_SAM", request.id, "too broad")));
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe("");
    const view = (await getRequestDetail(auditorViewer(), request.id))!.view;
    expect(view.status).toBe("denied");
    expect(view.reviews).toMatchObject([
      { reviewer: await personOf(reviewer("sam", ["security-team"])), decision: "deny", note: "too broad", channel: "slack" },
    ]);
    await settle([request.id]);
    const updates = updatesFor(ts);
    expect(updates).toHaveLength(1);
    expect(at(updates, 0).args.channel).toBe(CHANNEL_ID);
    expect(blocksText(at(updates, 0))).toContain("Denied by sam: too broad");
    expect(hasButtons(at(updates, 0))).toBe(false);
  });

  it("expiry updates the message", async () => {
    const { request, ts } = await postedRequest();
    calls.length = 0;
    const later = new Date(Date.now() + 2 * 3600_000);
    while ((await expireDueRequests({ now: later })) > 0);
    await settle([request.id], later);
    const updates = updatesFor(ts);
    expect(updates).toHaveLength(1);
    expect(at(updates, 0).args.channel).toBe(CHANNEL_ID);
    expect(blocksText(at(updates, 0))).toContain("Expired with 0 of 1 approval.");
    expect(hasButtons(at(updates, 0))).toBe(false);
  });

  it("a decision made in the console, then the execution, update the message too; so does a cancel", async () => {
    const { agent, request, ts } = await postedRequest();
    calls.length = 0;
    await decideAs(request.id, oncall(), "approve", "lgtm", "console");
    await settle([request.id]);
    expect(updatesFor(ts)).toHaveLength(1);
    expect(blocksText(at(updatesFor(ts), 0))).toContain("Approved by riley (1 of 1)");
    await claimApproval(agent, request.id);
    await settle([request.id]);
    expect(updatesFor(ts)).toHaveLength(2);
    expect(blocksText(at(updatesFor(ts), 1))).toContain("Executed");

    const other = await postedRequest();
    await cancelRequest(other.agent, other.request.id, "not needed");
    await settle([other.request.id]);
    expect(blocksText(at(updatesFor(other.ts), 0))).toContain("Cancelled by the agent");
  });

  it("posting waits out a 429 with Retry-After (WebClient) and posts once", async () => {
    rateLimitNextPost = 1;
    const started = Date.now();
    const { ts } = await postedRequest();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(callsOf("chat.postMessage")).toHaveLength(2);
    expect(ts).toMatch(/^1700000000\./);
  });

  it("an update whose post has not happened yet fails retryably (the outbox comes back later)", async () => {
    const { agent } = await makeAgent();
    const { request } = await createRequest(agent, requestBody({ action: "deploy.x.y", resource: "svc/not-posted" }));
    const row = { requestId: request.id, kind: "slack.update", target: "#approvals" } as OutboxRow;
    expect(await sendSlackUpdate(row)).toEqual({ ok: false, error: "the Slack message has not been posted yet" });
    await settle([request.id]);
    expect(await sendSlackUpdate(row)).toEqual({ ok: true, statusCode: 200 });
  });
});

describe("Slack: linking a Slack account to a person", () => {
  it("an unlinked Slack user gets a private one-time link and no vote is recorded", async () => {
    const { request } = await postedRequest();
    calls.length = 0;
    expect((await send(interaction(buttonClick("U_STELLA", "countersign_approve", request.id)))).status).toBe(200);
    const reply = one(callsOf("response_url"));
    expect(reply.args).toEqual({
      response_type: "ephemeral",
      replace_original: false,
      text: expect.stringMatching(
        /^No decision recorded: your Slack account is not linked to Countersign yet\. Open <https:\/\/countersign\.test\/slack\/link\?code=[A-Za-z0-9_-]{32}\|this one-time link> signed in to Countersign/,
      ),
    });
    expect(callsOf("users.info")).toHaveLength(0);
    const detail = await detailOf(request.id);
    expect(detail.view.status).toBe("pending");
    expect(detail.view.reviews).toHaveLength(0);
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);
    expect(await kinds(request.id)).toEqual(["slack.post", "teams.post"]);

    // Deny is no different (no modal for an unknown clicker), and each click gets a link of its own.
    await send(interaction(buttonClick("U_STELLA", "countersign_deny", request.id)));
    expect(callsOf("views.open")).toHaveLength(0);
    const [first, second] = ephemeralTexts().map(codeOf);
    expect(second).not.toBe(first);

    // A Slack account is its (workspace, member): riley is linked in T0TEST, not in another workspace.
    await send(interaction(buttonClick("U_RILEY", "countersign_approve", request.id, "T0OTHER")));
    expect(at(ephemeralTexts(), 2)).toContain("/slack/link?code=");
    const elsewhere = await describeSlackLinkCode(auditorViewer(), codeOf(at(ephemeralTexts(), 2)));
    expect(elsewhere).toMatchObject({ state: "usable", account: { teamId: "T0OTHER", userId: "U_RILEY" }, linkedTo: null });
    expect((await detailOf(request.id)).view.reviews).toHaveLength(0);
    expect((await detailOf(request.id)).events.map((e) => e.type)).toEqual(["request.created"]);
  });

  it("the link, used by a signed-in person, links the account (audited), and then that account's click votes as them", async () => {
    const { request, ts } = await postedRequest();
    calls.length = 0;
    await send(interaction(buttonClick("U_TESS", "countersign_approve", request.id)));
    const code = codeOf(one(ephemeralTexts()));

    const tess = await signedIn(reviewer("tess", ["platform-oncall"]));
    // The link page describes the code without using it (link previews and prefetchers open it too).
    const described = await describeSlackLinkCode(tess, code);
    expect(described).toMatchObject({ state: "usable", account: { teamId: TEAM, userId: "U_TESS" }, linkedTo: null });
    expect(await describeSlackLinkCode(tess, code)).toEqual(described);
    expect(await findSlackLink(await getDb(), TEAM, "U_TESS")).toBeUndefined();

    expect(await linkSlackAccount(tess, code)).toEqual({ teamId: TEAM, userId: "U_TESS" });
    expect(await slackAccountsOf(tess)).toMatchObject([{ teamId: TEAM, userId: "U_TESS", linkedAt: expect.any(Date) }]);
    expect(await describeSlackLinkCode(tess, code)).toEqual({ state: "used", linkedToYou: true });
    const linked = await auditOf("slack.linked", tess.personId);
    expect(linked).toMatchObject([{ channel: "console", actor: { kind: "user", id: tess.personId }, payload: { team_id: TEAM, user_id: "U_TESS" } }]);

    calls.length = 0;
    expect((await send(interaction(buttonClick("U_TESS", "countersign_approve", request.id)))).status).toBe(200);
    expect(callsOf("response_url")).toHaveLength(0);
    const view = (await detailOf(request.id)).view;
    expect(view.status).toBe("approved");
    expect(view.reviews).toMatchObject([{ reviewer: tess.personId, name: "tess", decision: "approve", channel: "slack" }]);
    await settle([request.id]);
    expect(blocksText(one(updatesFor(ts)))).toContain("Approved by tess (1 of 1)");
  });

  it("after unlinking, a click records no vote and gets a new link; nobody can unlink another person's account", async () => {
    const uma = await signedIn(reviewer("uma", ["platform-oncall"]));
    await link(uma, "U_UMA");
    const before = await postedRequest();
    await send(interaction(buttonClick("U_UMA", "countersign_approve", before.request.id)));
    expect((await detailOf(before.request.id)).view.reviews).toMatchObject([{ reviewer: uma.personId, channel: "slack" }]);

    // Someone else's unlink changes nothing.
    const other = await signedIn(reviewer("otto", ["platform-oncall"]));
    expect(await errorCode(unlinkSlackAccount(other, { teamId: TEAM, userId: "U_UMA" }))).toBe("not_found");
    expect((await findSlackLink(await getDb(), TEAM, "U_UMA"))?.personId).toBe(uma.personId);

    await unlinkSlackAccount(uma, { teamId: TEAM, userId: "U_UMA" });
    expect(await slackAccountsOf(uma)).toEqual([]);
    expect(await auditOf("slack.unlinked", uma.personId)).toMatchObject([{ payload: { team_id: TEAM, user_id: "U_UMA" } }]);
    expect(await errorCode(unlinkSlackAccount(uma, { teamId: TEAM, userId: "U_UMA" }))).toBe("not_found");

    const after = await postedRequest();
    calls.length = 0;
    await send(interaction(buttonClick("U_UMA", "countersign_approve", after.request.id)));
    const fresh = codeOf(one(ephemeralTexts()));
    expect(await describeSlackLinkCode(uma, fresh)).toMatchObject({ state: "usable", account: { userId: "U_UMA" }, linkedTo: null });
    const detail = await detailOf(after.request.id);
    expect(detail.view.status).toBe("pending");
    expect(detail.view.reviews).toHaveLength(0);
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);
  });

  it("an expired or used code links nothing, and one person cannot use a code twice", async () => {
    const vic = await signedIn(reviewer("vic", ["platform-oncall"]));
    const mallory = await signedIn(reviewer("mallory", ["security-team"]));
    const db = await getDb();

    // Expired: asked for more than the TTL ago.
    const expired = codeOf(await slackLinkUrl({ teamId: TEAM, userId: "U_VIC" }, new Date(Date.now() - LINK_CODE_TTL_MS - 1_000)));
    expect(await describeSlackLinkCode(vic, expired)).toEqual({ state: "expired" });
    expect(await errorCode(linkSlackAccount(vic, expired))).toBe("not_found");
    expect(await findSlackLink(db, TEAM, "U_VIC")).toBeUndefined();

    // Unknown (never issued).
    expect(await describeSlackLinkCode(vic, "A".repeat(32))).toEqual({ state: "unknown" });
    expect(await errorCode(linkSlackAccount(vic, "A".repeat(32)))).toBe("not_found");

    // Used: once by vic; a second use, by vic or by anyone else, links nothing.
    const code = codeOf(await slackLinkUrl({ teamId: TEAM, userId: "U_VIC" }));
    await linkSlackAccount(vic, code);
    await expect(linkSlackAccount(vic, code)).rejects.toMatchObject({ code: "not_found", message: expect.stringContaining("already used or has expired") });
    expect(await errorCode(linkSlackAccount(mallory, code))).toBe("not_found");
    expect(await describeSlackLinkCode(mallory, code)).toEqual({ state: "used", linkedToYou: false });
    expect(await slackAccountsOf(mallory)).toEqual([]);
    expect((await findSlackLink(db, TEAM, "U_VIC"))?.personId).toBe(vic.personId);
    expect(await auditOf("slack.linked", vic.personId)).toHaveLength(1);
    expect(await auditOf("slack.linked", mallory.personId)).toHaveLength(0);
  });

  it("one code raced by two people links exactly once", async () => {
    const ana = await signedIn(reviewer("ana", ["platform-oncall"]));
    const ben = await signedIn(reviewer("ben", ["platform-oncall"]));
    const code = codeOf(await slackLinkUrl({ teamId: TEAM, userId: "U_RACE" }));
    const outcomes = await Promise.all([ana, ben, ana, ben].map((v) => errorCode(linkSlackAccount(v, code))));
    expect(tally(outcomes)).toEqual({ ok: 1, not_found: 3 });
    const holder = (await findSlackLink(await getDb(), TEAM, "U_RACE"))?.personId;
    expect([ana.personId, ben.personId]).toContain(holder);
    expect((await auditOf("slack.linked", ana.personId)).length + (await auditOf("slack.linked", ben.personId)).length).toBe(1);
  });

  it("a linked person's link moves when a link for the same Slack account is confirmed by someone else", async () => {
    const wes = await signedIn(reviewer("wes", ["platform-oncall"]));
    const xan = await signedIn(reviewer("xan", ["platform-oncall"]));
    await link(wes, "U_SHARED");
    const code = codeOf(await slackLinkUrl({ teamId: TEAM, userId: "U_SHARED" }));
    expect(await describeSlackLinkCode(xan, code)).toMatchObject({ state: "usable", linkedTo: "someone_else" });
    expect(await describeSlackLinkCode(wes, code)).toMatchObject({ state: "usable", linkedTo: "you" });
    await linkSlackAccount(xan, code);
    expect(await slackAccountsOf(wes)).toEqual([]);
    expect(await slackAccountsOf(xan)).toMatchObject([{ userId: "U_SHARED" }]);
  });
});

describe("Slack: who may decide", () => {
  it("a linked person without a reviewer role is told why, and nothing is recorded", async () => {
    const { request } = await postedRequest();
    calls.length = 0;
    await send(interaction(buttonClick("U_AUDREY", "countersign_deny", request.id)));
    await send(interaction(buttonClick("U_AUDREY", "countersign_approve", request.id)));
    expect(ephemeralTexts()).toEqual([
      "No decision recorded: Auditors have read-only access; they cannot decide requests.",
      "No decision recorded: Auditors have read-only access; they cannot decide requests.",
    ]);
    expect(callsOf("views.open")).toHaveLength(0);
    const detail = await detailOf(request.id);
    expect(detail.view.reviews).toHaveLength(0);
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);
  });

  it("a reviewer outside the rule's approver groups is told why, and nothing is recorded", async () => {
    const { request } = await postedRequest("iam.group.update");
    calls.length = 0;
    await send(interaction(buttonClick("U_RILEY", "countersign_approve", request.id)));
    expect(callsOf("response_url").map((c) => c.args.text)).toEqual(["No decision recorded: Only members of security may decide this request."]);
    expect((await getRequestDetail(auditorViewer(), request.id))!.view.reviews).toHaveLength(0);
  });

  it("a Slack vote after the person's groups were removed at the provider is refused", async () => {
    const gus = reviewer("gus", ["security-team"]);
    const session = await signedIn(gus);
    await link(session, "U_GUS");
    const claims = (groups: string[]) => ({ ...gus, groups, idp: "okta" as const, login: gus.email, emailVerified: true, authTime: new Date() });

    // While in security-team, gus's click counts.
    const first = await postedRequest("iam.role.update");
    await send(interaction(buttonClick("U_GUS", "countersign_approve", first.request.id)));
    expect((await detailOf(first.request.id)).view.reviews).toMatchObject([{ reviewer: session.personId, decision: "approve", channel: "slack" }]);

    // The provider moves him out of security-team (still a reviewer elsewhere): not an approver here any more.
    await recordIdentity(claims(["platform-oncall"]));
    const second = await postedRequest("iam.role.update");
    calls.length = 0;
    await send(interaction(buttonClick("U_GUS", "countersign_approve", second.request.id)));
    await send(interaction(buttonClick("U_GUS", "countersign_deny", second.request.id)));
    expect(ephemeralTexts()).toEqual([
      "No decision recorded: Only members of security may decide this request.",
      "No decision recorded: Only members of security may decide this request.",
    ]);

    // Then every group is removed: no role at all. His console session still remembers the old
    // groups (session.groups), but a Slack click is judged on the identity's groups now.
    await recordIdentity(claims([]));
    calls.length = 0;
    await send(interaction(buttonClick("U_GUS", "countersign_approve", second.request.id)));
    await send(interaction(buttonClick("U_GUS", "countersign_deny", second.request.id)));
    expect(ephemeralTexts()).toEqual(["No decision recorded: You have no reviewer role.", "No decision recorded: You have no reviewer role."]);
    expect(session.groups).toEqual(["security-team"]);
    expect(callsOf("views.open")).toHaveLength(0);
    const detail = await detailOf(second.request.id);
    expect(detail.view.status).toBe("pending");
    expect(detail.view.reviews).toHaveLength(0);
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);
  });
});

describe("Slack: step-up requests", () => {
  it("the message links approvers to the console, and an Approve click is refused with 'Approve in Countersign'", async () => {
    const { request } = await postedRequest("db.primary.promote");
    const post = callsOf("chat.postMessage").at(-1)!;
    const buttons = (post.args.blocks as { type: string; elements?: Record<string, unknown>[] }[]).find((b) => b.type === "actions")?.elements;
    expect(buttons).toMatchObject([
      {
        action_id: "countersign_approve_in_console",
        url: `https://countersign.test/requests/${request.id}`,
        text: { type: "plain_text", text: "Approve in Countersign" },
      },
      { action_id: "countersign_deny", value: request.id },
    ]);
    expect(buttons?.some((b) => b.action_id === "countersign_approve")).toBe(false);

    // The link button's click (Slack sends it too) is acknowledged and does nothing.
    calls.length = 0;
    expect((await send(interaction(buttonClick("U_RILEY", "countersign_approve_in_console", request.id)))).status).toBe(200);
    expect(calls).toHaveLength(0);

    // An Approve click (an old message, a crafted payload) from an eligible, linked reviewer is refused.
    expect((await send(interaction(buttonClick("U_RILEY", "countersign_approve", request.id)))).status).toBe(200);
    expect(ephemeralTexts()).toEqual([
      `No decision recorded: this request needs a fresh sign-in to approve. <https://countersign.test/requests/${request.id}|Approve in Countersign>.`,
    ]);
    const detail = await detailOf(request.id);
    expect(detail.view.status).toBe("pending");
    expect(detail.view.reviews).toHaveLength(0);
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);

    // Denying needs no fresh sign-in: Deny still opens the reason modal.
    calls.length = 0;
    await send(interaction(buttonClick("U_RILEY", "countersign_deny", request.id)));
    expect(one(callsOf("views.open")).args.view).toMatchObject({ private_metadata: request.id });
  });
});

describe("Slack: request authentication", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ["a bad signature", { signature: `v0=${"0".repeat(64)}` }],
    ["the wrong signing secret", { secret: "not-the-secret" }],
    ["a stale timestamp (an old body replayed)", { skewSeconds: -301 }],
    ["a future timestamp", { skewSeconds: 301 }],
    ["no signature header", { signature: null }],
    ["no timestamp header", { omitTimestamp: true }],
  ] satisfies [string, Signing][])("refuses %s with 401 and changes nothing", async (_label, signing) => {
    const { request } = await postedRequest();
    calls.length = 0;
    const res = await send(interaction(buttonClick("U_RILEY", "countersign_approve", request.id), signing));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized", message: expect.stringContaining("Slack request refused") } });
    expect(calls).toHaveLength(0); // no reply at all: nothing was parsed
    const detail = (await getRequestDetail(auditorViewer(), request.id))!;
    expect(detail.view.status).toBe("pending");
    expect(detail.events.map((e) => e.type)).toEqual(["request.created"]);
  });

  it("refuses an exact replay of a valid request inside the window", async () => {
    const { request } = await postedRequest();
    const click = buttonClick("U_RILEY", "countersign_approve", request.id);
    const ts = now();
    expect((await send(interaction(click, { timestamp: ts }))).status).toBe(200);
    const replay = await send(interaction(click, { timestamp: ts }));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: "unauthorized", message: "Slack request refused: replayed." } });
    expect((await selectEventsForRequest(await getDb(), request.id)).filter((e) => e.type === "review.approved")).toHaveLength(1);
  });
});
