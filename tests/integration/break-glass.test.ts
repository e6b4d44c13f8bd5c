// Break-glass, reminders and escalation (issue 14 items 4 and 5), through the core commands and the
// outbox, against a local stand-in for the Slack Web API and a webhook receiver: a break-glass is
// allowed only where the rule says so and only to its groups (never self-approval), approves at
// once, is flagged in the view, the audit trail, Slack, Teams and the webhook, owes a retrospective
// review that another approver acknowledges or flags, and escalates when nobody does; a waiting
// request is reminded and escalated once, and the requester hears the outcome in Slack.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { selectEventsForRequest } from "@/db/queries/audit";
import { selectDeliveries } from "@/db/queries/outbox";
import type { Viewer } from "@/lib/auth/viewer";
import { resetEnvCache } from "@/lib/config/env";
import { decodeJwt } from "jose";
import { drainOutboxOnce } from "@/lib/notify/worker";
import { parsePolicy } from "@/lib/policy/load";
import {
  breakGlassBlockedReason,
  breakGlassRequest,
  listRetrospectiveReviews,
  retrospectiveBlockedReason,
  reviewBreakGlass,
  type RetrospectiveVerdict,
} from "@/lib/requests/break-glass";
import { runDueFollowUps } from "@/lib/requests/follow-ups";
import { claimApproval, createRequest, expireDueRequests } from "@/lib/requests/lifecycle";
import { getRequestView } from "@/lib/requests/read";
import { linkSlackAccount, slackLinkUrl } from "@/lib/slack/linking";
import { createDedicatedDatabase, pointAppAt, waitForOutboxIdle, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { apiRequest, callAgentApi, decideAs, errorCode, makeAgent, personOf, requestBody, reviewer, signedIn, type TestReviewer } from "../support/fixtures";
import { createReviewerToken } from "@/lib/auth/reviewer-tokens";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver";

const TEAM = "T0TEST";
const MIN = 60_000;

// ── the stand-in for Slack's Web API: it refuses what Slack refuses for these calls ─────────────

type Call = { method: string; args: Record<string, string> };
const calls: Call[] = [];
const postedTs = new Set<string>();
let posted = 0;
let server: http.Server;
let base = "";

function answer(method: string, args: Record<string, string>, auth: string | undefined): Record<string, unknown> {
  if (auth !== "Bearer xoxb-test-token") return { ok: false, error: "invalid_auth" };
  if (!args.channel) return { ok: false, error: "channel_not_found" };
  if (method === "chat.postMessage") {
    if (!args.text && !args.blocks) return { ok: false, error: "no_text" };
    if (args.thread_ts && !postedTs.has(args.thread_ts)) return { ok: false, error: "thread_not_found" };
    const ts = `1700000000.${String(++posted).padStart(6, "0")}`;
    postedTs.add(ts);
    return { ok: true, channel: args.channel.startsWith("#") ? "C0APPROVALS" : args.channel, ts };
  }
  if (method === "chat.update") return postedTs.has(args.ts ?? "") ? { ok: true, channel: args.channel, ts: args.ts } : { ok: false, error: "message_not_found" };
  return { ok: false, error: "unknown_method" };
}

async function startStandIn(): Promise<void> {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const method = (req.url ?? "").replace(/^\/api\//, "");
      const args = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      calls.push({ method, args });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer(method, args, req.headers.authorization)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const posts = () => calls.filter((c) => c.method === "chat.postMessage");
const dmsTo = (userId: string) => posts().filter((c) => c.args.channel === userId);
const threadReplies = () => posts().filter((c) => c.args.thread_ts);

// ── people ─────────────────────────────────────────────────────────────────────────────────────

const sam = reviewer("sam", ["security-team"]); // may break the glass (security)
const ada = reviewer("ada", ["security-team"]);
const riley = reviewer("riley", ["platform-oncall"]); // approver, not in break_glass.groups
const rowan = reviewer("rowan", ["platform-oncall"]);
const audrey = reviewer("audrey", ["compliance"]); // auditor
const petra = reviewer("petra", ["security-team"]); // files through agents on her behalf

async function link(who: TestReviewer, userId: string): Promise<Viewer> {
  const viewer = await signedIn(who);
  const url = await slackLinkUrl({ teamId: TEAM, userId });
  const code = decodeURIComponent(/code=([^|>\s&]+)/.exec(url)![1]!);
  await linkSlackAccount(viewer, code);
  return viewer;
}

/** The person's credential, their groups confirmed at `at` (as a sign-in moments before would). */
const credential = async (who: TestReviewer, at = new Date()) => ({ kind: "person" as const, personId: await personOf(who, at), authTime: at });
const breakGlass = async (id: string, who: TestReviewer, reason: string | undefined, now = new Date()) =>
  breakGlassRequest(id, await credential(who, now), reason, "console", { now });
const retro = async (id: string, who: TestReviewer, verdict: RetrospectiveVerdict, note?: string, now = new Date()) =>
  reviewBreakGlass(id, await credential(who, now), verdict, note, "console", { now });

const REASON = "Payments are down in production; the fix cannot wait for a second approver.";

async function file(action: string, over: Parameters<typeof requestBody>[0] = {}, now = new Date()) {
  const { agent } = await makeAgent();
  const { request } = await createRequest(agent, requestBody({ action, resource: `svc/${Math.random().toString(36).slice(2)}`, ...over }), { now });
  return { agent, request };
}

const types = async (id: string) => (await selectEventsForRequest(await getDb(), id)).map((e) => e.type);
const kinds = async (id: string) => (await selectDeliveries(await getDb(), id)).map((d) => d.outbox.kind).sort();

/**
 * Drains until every outbox row of these requests is delivered. The tests move their clocks ahead,
 * so the outbox does too: each pass is 10 minutes after `from` and the one before (a row retried
 * because its Slack message was not posted yet comes due again).
 */
async function settle(ids: string[], from = new Date()): Promise<void> {
  const db = await getDb();
  for (let i = 0; i < 300; i++) {
    // The background worker (kicked by each commit) leases rows on the real clock: let it finish
    // first, or a pass on the shifted clock would see its lease lapsed and send the row again.
    await waitForOutboxIdle();
    await drainOutboxOnce({ now: new Date(from.getTime() + (i + 1) * 10 * MIN) });
    const rows = (await Promise.all(ids.map((id) => selectDeliveries(db, id)))).flat();
    if (rows.every((r) => r.outbox.status === "delivered")) return;
    const stuck = rows.find((r) => r.outbox.status === "dead" || (r.outbox.status === "pending" && r.outbox.attempts > 3));
    if (stuck) throw new Error(`delivery failed: ${stuck.outbox.kind} ${stuck.outbox.lastError}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the outbox did not settle");
}

// ── setup ──────────────────────────────────────────────────────────────────────────────────────

let dedicated: DedicatedDatabase;
let restoreDb: () => void;
let receiver: WebhookReceiver;
const savedEnv = { ...process.env };

beforeAll(async () => {
  await startStandIn();
  receiver = await startWebhookReceiver();
  Object.assign(process.env, {
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_SIGNING_SECRET: "slack-test-signing-secret",
    SLACK_API_URL: `${base}/api/`,
    COUNTERSIGN_PUBLIC_URL: "https://countersign.test",
  });
  resetEnvCache();
  dedicated = await createDedicatedDatabase({ poolSize: 5 });
  restoreDb = await pointAppAt(dedicated.handle);
  await link(sam, "U_SAM");
  await link(ada, "U_ADA");
  await link(riley, "U_RILEY");
  await link(rowan, "U_ROWAN");
  await link(petra, "U_PETRA");
});

beforeEach(async () => {
  // What earlier tests left in the outbox is delivered before this one starts listening.
  await waitForOutboxIdle();
  for (let i = 0; i < 20 && (await drainOutboxOnce({ now: new Date(Date.now() + (i + 1) * 24 * 60 * MIN) })) > 0; i++);
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
  await receiver?.close();
  await new Promise((r) => server.close(r));
});

// ── the policy keys ────────────────────────────────────────────────────────────────────────────

describe("policy: break_glass, remind_after, escalate_after", () => {
  const file = (rule: string) => `version: 1
roles: { reviewer: [eng] }
approver_groups: { eng: [eng], sec: [sec] }
rules:
${rule}`;
  const problems = (text: string) => {
    try {
      parsePolicy(text, "policy.yaml");
      return "";
    } catch (err) {
      return String((err as Error).message);
    }
  };

  it("reads the keys on a require_approval rule", () => {
    const policy = parsePolicy(
      file(`  - { name: r, decision: require_approval, risk: 10, approvers: [eng], remind_after: 5m, escalate_after: { after: 10m, to: sec },
      break_glass: { groups: [sec], notify: { slack_channel: "#glass" }, review_within: 4h } }`),
      "policy.yaml",
    );
    expect(policy.rules[0]).toMatchObject({
      breakGlass: { groups: ["sec"], notify: { slackChannel: "#glass" }, reviewWithinSeconds: 4 * 3600 },
      remindAfterSeconds: 300,
      escalateAfter: { seconds: 600, to: "sec" },
    });
  });

  it("refuses break_glass on rules that forbid approval (deny) or need none, and unknown groups", () => {
    expect(problems(file(`  - { name: r, decision: deny, risk: 100, break_glass: { groups: [sec] } }`))).toMatch(/break_glass.*only applies to require_approval/s);
    expect(problems(file(`  - { name: r, decision: auto_approve, risk: 0, break_glass: { groups: [sec] } }`))).toMatch(/only applies to require_approval/);
    expect(problems(file(`  - { name: r, decision: require_approval, risk: 1, approvers: [eng], break_glass: { groups: [nope] } }`))).toMatch(/unknown approver group "nope"/);
    expect(problems(file(`  - { name: r, decision: require_approval, risk: 1, approvers: [eng], escalate_after: { after: 5m, to: nope } }`))).toMatch(/unknown approver group "nope"/);
    expect(problems(file(`  - { name: r, decision: require_approval, risk: 1, approvers: [eng], remind_after: 2h }`))).toMatch(/shorter than the rule's decision deadline/);
  });
});

// ── break-glass ────────────────────────────────────────────────────────────────────────────────

describe("break-glass", () => {
  it("an eligible person approves a pending request alone: flagged in the view, the audit trail and the grant", async () => {
    const { agent, request } = await file("test.breakglass.deploy");
    expect(request).toMatchObject({ status: "pending", approvals: { required: 2 }, policy: { break_glass_groups: ["security"] }, break_glass: null });
    expect(await breakGlassBlockedReason(await signedIn(sam), request)).toBeNull();

    const done = await breakGlass(request.id, sam, `  ${REASON}  `);
    expect(done.status).toBe("approved");
    expect(done.break_glass).toMatchObject({ name: "sam", reason: REASON, review: { state: "pending", by: null, note: null, at: null } });
    expect(done.approvals.count).toBe(1);
    expect(await types(request.id)).toEqual(["request.created", "request.break_glass", "request.approved"]);
    const events = await selectEventsForRequest(await getDb(), request.id);
    expect(events.find((e) => e.type === "request.break_glass")).toMatchObject({ channel: "console", payload: { reason: REASON } });
    expect(events.find((e) => e.type === "request.approved")).toMatchObject({ payload: { break_glass: true } });

    // The approval is real: the agent claims it, and the grant names who approved.
    const executed = await claimApproval(agent, request.id);
    const claims = decodeJwt(executed.grant) as { approvals?: { person_id: string; name: string }[] };
    expect(claims.approvals).toEqual([expect.objectContaining({ person_id: await personOf(sam), name: "sam" })]);
    // Flagged for ever, whatever happens next.
    expect((await getRequestView(request.id))!.break_glass?.reason).toBe(REASON);
  });

  it("refused where the rule does not allow it, to people outside its groups, to auditors, and on one's own request", async () => {
    const plain = await file("deploy.service.release"); // everything-else: no break_glass
    expect(plain.request.policy.break_glass_groups).toBeNull();
    expect(await errorCode(breakGlass(plain.request.id, sam, REASON))).toBe("break_glass_not_allowed");
    expect(await breakGlassBlockedReason(await signedIn(sam), plain.request)).toMatch(/does not allow break-glass/);

    const { request } = await file("test.breakglass.deploy");
    expect(await errorCode(breakGlass(request.id, riley, REASON))).toBe("not_eligible"); // an approver, not in security
    expect(await errorCode(breakGlass(request.id, audrey, REASON))).toBe("forbidden");
    const mine = await file("test.breakglass.deploy", { on_behalf_of: "petra@acme.test" });
    expect(await errorCode(breakGlass(mine.request.id, petra, REASON))).toBe("self_approval");
    const owned = await createRequest((await makeAgent("ada@acme.test")).agent, requestBody({ action: "test.breakglass.owned" }));
    expect(await errorCode(breakGlass(owned.request.id, ada, REASON))).toBe("self_approval");

    // Nothing changed: still pending, no event beyond the filing.
    for (const id of [plain.request.id, request.id, mine.request.id, owned.request.id]) {
      expect((await getRequestView(id))!).toMatchObject({ status: "pending", break_glass: null });
      expect(await types(id)).toEqual(["request.created"]);
    }
  });

  it("the reviewer API's door (a personal token with decide scope) runs the same command, on channel api", async () => {
    const { request } = await file("test.breakglass.api");
    const tokenOf = async (who: TestReviewer) => (await createReviewerToken(await signedIn(who), { name: "cli", scopes: ["read", "decide"] })).token;
    const call = async (token: string, body: unknown) => {
      const res = await callAgentApi(apiRequest("POST", `/api/v1/reviews/${request.id}/break-glass`, { key: token, body }));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const samToken = await tokenOf(sam);
    expect(await call(samToken, { reason: "too short" })).toMatchObject({ status: 400, body: { error: { code: "invalid_request", issues: [{ path: "reason" }] } } });
    expect(await call(samToken, {})).toMatchObject({ status: 400, body: { error: { code: "invalid_request", issues: [{ path: "reason" }] } } });
    expect(await call(await tokenOf(riley), { reason: REASON })).toMatchObject({ status: 403, body: { error: { code: "not_eligible" } } });
    expect(await types(request.id)).toEqual(["request.created"]);
    expect(await call(samToken, { reason: REASON })).toMatchObject({ status: 200, body: { status: "approved", break_glass: { name: "sam", reason: REASON } } });
    const events = await selectEventsForRequest(await getDb(), request.id);
    expect(events.find((e) => e.type === "request.break_glass")).toMatchObject({ channel: "api" });
    expect(await call(samToken, { reason: REASON })).toMatchObject({ status: 409, body: { error: { code: "already_decided" } } });
  });

  it("needs a reason of at least 20 characters (the error names the field), and a pending request", async () => {
    const { request } = await file("test.breakglass.deploy");
    for (const reason of [undefined, "", "too short, sorry    ", "x".repeat(19)]) {
      const err = await breakGlass(request.id, sam, reason).catch((e: unknown) => e as { code: string; issues: unknown });
      expect(err).toMatchObject({ code: "invalid_request", issues: [{ path: "reason", message: "must be at least 20 characters" }] });
    }
    expect(await types(request.id)).toEqual(["request.created"]);
    await breakGlass(request.id, sam, REASON);
    expect(await errorCode(breakGlass(request.id, ada, REASON))).toBe("already_decided");
    const denied = await file("test.breakglass.deploy");
    await decideAs(denied.request.id, riley, "deny", "no", "console");
    expect(await errorCode(breakGlass(denied.request.id, sam, REASON))).toBe("already_decided");
  });

  it("notifies every channel: Slack message flagged, thread reply, break-glass channel, approver DMs; webhook and the requester's DM", async () => {
    const { request } = await file("test.breakglass.notify", { callback_url: `${receiver.url}/hooks/bg`, on_behalf_of: "someone@acme.test" });
    await settle([request.id]);
    await breakGlass(request.id, sam, REASON);
    expect(await kinds(request.id)).toEqual(
      ["slack.post", "slack.update", "slack.thread", "slack.dm_groups", "slack.channel", "slack.dm_requester", "webhook", "webhook"].sort(),
    );
    await settle([request.id]);

    const update = calls.find((c) => c.method === "chat.update")!;
    expect(update.args.blocks).toContain("BREAK-GLASS by sam");
    expect(threadReplies(), JSON.stringify(threadReplies())).toHaveLength(1);
    expect(threadReplies()[0]!.args.text).toContain("Break-glass: sam approved test.breakglass.notify");
    expect(posts().filter((c) => c.args.channel === "#test-break-glass")).toHaveLength(1);
    // Every approver group (platform-oncall and the break-glass group security) hears it; not the one who broke the glass.
    for (const u of ["U_ADA", "U_RILEY", "U_ROWAN", "U_PETRA"]) expect(dmsTo(u).map((c) => c.args.text).join()).toContain("Break-glass");
    expect(dmsTo("U_SAM")).toEqual([]);

    const hooks = receiver.received.map((h) => JSON.parse(h.body) as { type: string; request: { id: string } }).filter((h) => h.request.id === request.id);
    const approved = hooks.find((h) => h.type === "request.approved");
    expect(approved).toMatchObject({ request: { status: "approved", break_glass: { by: "sam", reason: REASON, review: "pending" } } });
  });

  it("owes a retrospective review: listed in the inbox, not by the one who broke the glass, acknowledged or flagged (with a note) by another approver", async () => {
    const a = await file("test.breakglass.retro");
    const b = await file("test.breakglass.retro");
    await breakGlass(a.request.id, sam, REASON);
    await breakGlass(b.request.id, sam, REASON);

    const owed = await listRetrospectiveReviews(await signedIn(riley));
    expect(owed.map((i) => i.id)).toEqual(expect.arrayContaining([a.request.id, b.request.id]));
    expect(owed.find((i) => i.id === a.request.id)).toMatchObject({ reviewable: true });
    expect((await listRetrospectiveReviews(await signedIn(sam))).find((i) => i.id === a.request.id)).toMatchObject({ reviewable: false });

    const viewA = (await getRequestView(a.request.id))!;
    expect(await retrospectiveBlockedReason(await signedIn(sam), viewA)).toMatch(/another approver must review it/);
    expect(await retrospectiveBlockedReason(await signedIn(riley), viewA)).toBeNull();
    expect(await errorCode(retro(a.request.id, sam, "acknowledged"))).toBe("self_approval");
    expect(await errorCode(retro(a.request.id, audrey, "acknowledged"))).toBe("forbidden");
    const noNote = await retro(b.request.id, riley, "flagged", "  ").catch((e: unknown) => e as { code: string; issues: unknown });
    expect(noNote).toMatchObject({ code: "invalid_request", issues: [{ path: "note" }] });

    const acked = await retro(a.request.id, riley, "acknowledged", "Checked the incident ticket.");
    expect(acked.break_glass?.review).toMatchObject({ state: "acknowledged", name: "riley", note: "Checked the incident ticket." });
    const flagged = await retro(b.request.id, rowan, "flagged", "No incident on record.");
    expect(flagged.break_glass?.review).toMatchObject({ state: "flagged", name: "rowan" });
    expect(await errorCode(retro(a.request.id, rowan, "flagged", "again"))).toBe("no_review_owed");
    expect(await types(a.request.id)).toEqual(["request.created", "request.break_glass", "request.approved", "break_glass.reviewed"]);

    const left = (await listRetrospectiveReviews(await signedIn(riley))).map((i) => i.id);
    expect(left).not.toContain(a.request.id);
    expect(left).not.toContain(b.request.id);
    const plain = await file("deploy.service.release");
    expect(await errorCode(retro(plain.request.id, riley, "acknowledged"))).toBe("no_review_owed");
  });

  it("an unreviewed break-glass escalates once after review_within; a reviewed one does not", async () => {
    const t0 = new Date();
    const open = await file("test.breakglass.late", {}, t0);
    const done = await file("test.breakglass.late", {}, t0);
    await breakGlass(open.request.id, sam, REASON, t0);
    await breakGlass(done.request.id, sam, REASON, t0);
    await retro(done.request.id, riley, "acknowledged", undefined, new Date(t0.getTime() + MIN));

    expect((await runDueFollowUps({ now: new Date(t0.getTime() + 119 * MIN) })).review_overdue).toBe(0);
    await settle([open.request.id, done.request.id]);
    calls.length = 0;
    const late = new Date(t0.getTime() + 121 * MIN);
    // (Break-glass approvals of the tests above are overdue by now too.)
    expect((await runDueFollowUps({ now: late })).review_overdue).toBeGreaterThanOrEqual(1);
    expect((await runDueFollowUps({ now: late })).review_overdue).toBe(0);
    expect((await types(open.request.id)).filter((t) => t === "break_glass.review_overdue")).toHaveLength(1);
    expect(await types(done.request.id)).not.toContain("break_glass.review_overdue");
    await settle([open.request.id], late);
    expect(dmsTo("U_RILEY").map((c) => c.args.text).join()).toContain("Break-glass review overdue");
    expect(threadReplies().map((c) => c.args.text).join()).toContain("review overdue");
    // Still owed until someone reviews it.
    expect((await getRequestView(open.request.id))!.break_glass?.review.state).toBe("pending");
  });
});

// ── reminders and escalation ───────────────────────────────────────────────────────────────────

describe("reminders and escalation", () => {
  it("reminds once after remind_after (thread reply + DMs to eligible approvers), escalates once after escalate_after", async () => {
    const t0 = new Date();
    const { request } = await file("test.followup.deploy", {}, t0);
    await settle([request.id]);
    calls.length = 0;
    const at = (m: number) => new Date(t0.getTime() + m * MIN);

    expect(await runDueFollowUps({ now: at(9) })).toMatchObject({ remind: 0, escalate: 0 });
    expect(await runDueFollowUps({ now: at(11) })).toMatchObject({ remind: 1, escalate: 0 });
    expect(await runDueFollowUps({ now: at(12) })).toMatchObject({ remind: 0, escalate: 0 });
    await settle([request.id], at(12));
    expect(threadReplies().map((c) => c.args.text)).toEqual([expect.stringContaining("Reminder: test.followup.deploy")]);
    expect(dmsTo("U_RILEY")).toHaveLength(1);
    expect(dmsTo("U_ROWAN")).toHaveLength(1);
    expect(dmsTo("U_SAM")).toEqual([]); // not eligible yet

    // security was not eligible before the escalation…
    expect(await errorCode(decideAs(request.id, sam, "approve", undefined, "console", { now: at(15) }))).toBe("not_eligible");
    calls.length = 0;
    expect(await runDueFollowUps({ now: at(21) })).toMatchObject({ remind: 0, escalate: 1 });
    expect(await runDueFollowUps({ now: at(22) })).toMatchObject({ remind: 0, escalate: 0 });
    expect((await getRequestView(request.id, at(22)))!.escalated_to).toEqual(["security"]);
    await settle([request.id], at(22));
    expect(dmsTo("U_SAM").map((c) => c.args.text).join()).toContain("Escalated to security");
    expect(dmsTo("U_RILEY")).toEqual([]); // the escalation notifies the group it adds
    const events = await selectEventsForRequest(await getDb(), request.id);
    expect(events.filter((e) => e.type === "request.reminded")).toHaveLength(1);
    expect(events.find((e) => e.type === "request.escalated")).toMatchObject({ channel: "system", payload: { to: "security" } });

    // …and is now.
    const decided = await decideAs(request.id, sam, "approve", undefined, "console", { now: at(23) });
    expect(decided.status).toBe("approved");
  });

  it("a request decided before its reminder is never reminded", async () => {
    const t0 = new Date();
    const { request } = await file("test.followup.quick", {}, t0);
    await decideAs(request.id, riley, "approve", undefined, "console", { now: t0 });
    expect(await runDueFollowUps({ now: new Date(t0.getTime() + 30 * MIN) })).toMatchObject({ remind: 0, escalate: 0 });
    expect(await types(request.id)).toEqual(["request.created", "review.approved", "request.approved"]);
  });

  it("the requester (on_behalf_of) hears the outcome in Slack: approved, denied, expired; nobody else does", async () => {
    const t0 = new Date();
    const approved = await file("test.followup.outcome", { on_behalf_of: "petra@acme.test" }, t0);
    const denied = await file("test.followup.outcome", { on_behalf_of: "PETRA@acme.test" }, t0);
    const lapsed = await file("test.followup.outcome", { on_behalf_of: "petra@acme.test" }, t0);
    const unknown = await file("test.followup.outcome", { on_behalf_of: "nobody@acme.test" }, t0);
    await decideAs(approved.request.id, riley, "approve", undefined, "console", { now: t0 });
    await decideAs(denied.request.id, riley, "deny", "Not during the freeze.", "console", { now: t0 });
    await decideAs(unknown.request.id, riley, "approve", undefined, "console", { now: t0 });
    const later = new Date(t0.getTime() + 61 * MIN);
    expect((await getRequestView(lapsed.request.id, later))!.status).toBe("expired");
    await expireDueRequests({ now: later });
    await settle([approved.request.id, denied.request.id, lapsed.request.id, unknown.request.id], later);
    const about = (r: { agent: { name: string } }) => dmsTo("U_PETRA").map((c) => c.args.text!).filter((t) => t.includes(` by ${r.agent.name} `));
    expect(about(approved.request)).toEqual([expect.stringContaining("was approved")]);
    expect(about(denied.request)).toEqual([expect.stringContaining("was denied: Not during the freeze.")]);
    expect(about(lapsed.request)).toEqual([expect.stringContaining("was expired")]);
    expect(posts().filter((c) => c.args.channel?.startsWith("U_") && c.args.text?.includes(unknown.request.agent.name))).toEqual([]);
  });
});
