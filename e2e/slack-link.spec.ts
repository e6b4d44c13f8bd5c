// Linking a Slack account end to end: a signed Slack click from an unlinked member gets a private
// one-time link (posted to a local stand-in for Slack's response_url); the link, opened in Chromium
// signed out, goes through the OIDC sign-in and back to the link page, which binds nothing until the
// person confirms; the member's next click then votes; the account page lists and unlinks it; used
// and expired links say so. Production build, real PostgreSQL, real OIDC authorization-code flow.
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import postgres from "postgres";
import { person, startConsole, type ConsoleStack } from "./support/console";
import type { OidcUser } from "./support/oidc";
import { expectAccessible } from "./support/axe";

const SECRET = "e2e-slack-signing-secret";
const TEAM = "T0E2E";
const MEMBER = "U0RILEY";
const riley = person("riley", ["platform-oncall"]);

let stack: ConsoleStack;
let base = "";
let sql: postgres.Sql;
let standIn: http.Server;
let standInUrl = "";
/** Ephemeral replies Countersign posted to response_url, in order. */
const replies: { response_type?: string; text?: string }[] = [];

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  standIn = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/response/")) replies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as (typeof replies)[number]);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
  standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
  stack = await startConsole({
    prefix: "countersign_slack_link",
    agentOwner: "priya@acme.test",
    env: { SLACK_BOT_TOKEN: "xoxb-e2e", SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: `${standInUrl}/api/` },
  });
  base = stack.base;
  sql = postgres(stack.db.url, { max: 2, onnotice: () => {} });
});

test.afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await stack?.stop();
  await new Promise((resolve) => standIn?.close(resolve));
});

async function fileRequest(resource: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service.release", resource, environment: "production", intent: "Release", context: { image: "v2" } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const statusOf = async (id: string) =>
  ((await (await fetch(`${base}/api/v1/requests/${id}`, { headers: { authorization: `Bearer ${stack.agent.key}` } })).json()) as { status: string }).status;

let clicks = 0;
/** A Slack Approve click, signed as Slack signs it, from MEMBER of TEAM. */
async function slackApprove(requestId: string): Promise<void> {
  clicks++;
  const payload = {
    type: "block_actions",
    user: { id: MEMBER, username: "riley", team_id: TEAM },
    trigger_id: `trigger-${clicks}`,
    response_url: `${standInUrl}/response/${clicks}`,
    actions: [{ type: "button", action_id: "countersign_approve", value: requestId }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac("sha256", SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
  const res = await fetch(`${base}/api/integrations/slack/interactions`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": signature },
    body,
  });
  expect(res.status).toBe(200);
}

/** The one-time link in the latest ephemeral reply. */
function latestLink(): string {
  const reply = replies.at(-1);
  expect(reply?.response_type).toBe("ephemeral");
  const url = /<(http[^|>]+\/slack\/link\?code=[^|>]+)\|/.exec(reply?.text ?? "")?.[1];
  expect(url, reply?.text).toBeTruthy();
  return url!.replace("127.0.0.1", "localhost");
}

const codeHash = (link: string) => createHash("sha256").update(new URL(link).searchParams.get("code")!).digest("hex");
const links = async () => (await sql`select team_id, user_id from slack_links`).map((r) => `${r.team_id}/${r.user_id}`);

/** Opens a link signed out: the console sends the browser through sign-in and back to it. */
async function openSignedOut(page: Page, link: string, user: OidcUser): Promise<void> {
  stack.oidc.nextUser(user);
  await page.goto(link);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  await page.getByRole("button", { name: "Sign in with Okta" }).click();
  await expect(page).toHaveURL(/\/slack\/link\?code=/);
}

async function expectNoSideways(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: "image/png" });
}

test("an unlinked Slack member links through the console (only on Confirm), then their click votes; unlink and stale links", async ({ page }, info) => {
  // 1. The click of an unlinked member: a private link, no vote.
  const first = await fileRequest("svc/slack-link-1");
  await slackApprove(first);
  const link = latestLink();
  expect(new URL(link).origin).toBe(base);
  expect(await statusOf(first)).toBe("pending");

  // 2. The link, opened signed out, comes back to the link page after sign-in. Opening it binds nothing.
  await openSignedOut(page, link, riley);
  await expect(page.getByRole("heading", { name: "Link your Slack account" })).toBeVisible();
  await expect(page.getByTestId("slack-user-id")).toHaveText(MEMBER);
  await expect(page.getByTestId("slack-team-id")).toHaveText(TEAM);
  await expect(page.getByRole("note")).toContainText("Only continue if you clicked a button in Slack yourself, just now.");
  await page.reload();
  expect(await links()).toEqual([]);
  expect((await sql`select used_at from slack_link_codes where code_hash = ${codeHash(link)}`)[0]?.used_at).toBeNull();
  await expectAccessible(page);
  await screenshot(page, info, "link-page");
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoSideways(page);
  await screenshot(page, info, "link-page-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  // 3. Confirm, from the keyboard.
  await page.getByRole("button", { name: "Confirm and link" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Slack account linked." })).toBeVisible();
  expect(await links()).toEqual([`${TEAM}/${MEMBER}`]);

  // 4. The member clicks again: it votes, as riley, with no reply.
  const repliesBefore = replies.length;
  await slackApprove(first);
  expect(await statusOf(first)).toBe("approved");
  expect(replies).toHaveLength(repliesBefore);
  const approved = await sql`select channel from audit_events where type = 'request.approved' and request_id = ${first}`;
  expect(approved.map((r) => r.channel)).toEqual(["slack"]);

  // 5. The used link says so.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Already linked" })).toBeVisible();

  // 6. The account page lists the identity and the Slack account; Unlink works from the keyboard.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  const identity = page.getByTestId("identity");
  await expect(identity).toHaveCount(1);
  await expect(identity).toContainText("Okta");
  await expect(identity).toContainText(stack.oidc.issuer);
  await expect(identity).toContainText("riley@acme.test");
  await expect(identity).toContainText("This session");
  await expect(page.getByTestId("slack-account")).toContainText(MEMBER);
  await expectAccessible(page);
  await screenshot(page, info, "account-page");
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoSideways(page);
  await screenshot(page, info, "account-page-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("button", { name: `Unlink Slack member ${MEMBER} in workspace ${TEAM}` }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByText("No Slack account is linked to you.")).toBeVisible();
  expect(await links()).toEqual([]);

  // 7. Unlinked again: a click on a new request records nothing and brings a new link…
  const second = await fileRequest("svc/slack-link-2");
  await slackApprove(second);
  const fresh = latestLink();
  expect(fresh).not.toBe(link);
  expect(await statusOf(second)).toBe("pending");

  // …the old one is spent…
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This link was already used" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Confirm and link" })).toHaveCount(0);

  // …and a link past its 15 minutes says so and offers nothing to confirm.
  await sql`update slack_link_codes set expires_at = now() - interval '1 minute' where code_hash = ${codeHash(fresh)}`;
  await page.goto(fresh);
  await expect(page.getByRole("heading", { name: "This link has expired" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Confirm and link" })).toHaveCount(0);
  await expectAccessible(page);
  expect(await links()).toEqual([]);
});
