// The reviewer console end to end: real Chromium, a production build, real PostgreSQL, and sign-in
// through a real OIDC authorization-code flow (PKCE, signed ID token with a `groups` claim) against
// a local provider standing in for Okta.
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import postgres from "postgres";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import type { OidcUser } from "./support/oidc";
import type { RegisteredAgent } from "./support/servers";
import { expectAccessible } from "./support/axe";

const riley = person("riley", ["platform-oncall"]);
const priya = person("priya", ["platform-oncall"]); // owns the agent
const sam = person("sam", ["security-team"]);
const sid = person("sid", ["security-team"]);
const audrey = person("audrey", ["compliance"]);

let stack: ConsoleStack;
let base = "";
let agent: RegisteredAgent;
let sql: postgres.Sql;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_console", agentOwner: priya.email });
  ({ base, agent } = stack);
  sql = postgres(stack.db.url, { max: 2, onnotice: () => {} });
});

test.afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await stack?.stop();
});

async function fileRequest(body: Record<string, unknown>): Promise<{ id: string; status: string }> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      resource: "svc/payments-api",
      environment: "production",
      intent: "Release payments-api v2.41.0",
      context: { image: "payments-api:v2.41.0", diff: "- v2.40.3\n+ v2.41.0" },
      ...body,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string };
}

async function agentGet(id: string, wait = 0): Promise<{ status: string; approvals: { count: number } }> {
  const res = await fetch(`${base}/api/v1/requests/${id}${wait ? `?wait=${wait}` : ""}`, {
    headers: { authorization: `Bearer ${agent.key}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; approvals: { count: number } };
}

async function signIn(page: Page, user: OidcUser): Promise<void> {
  const before = stack.oidc.tokenRequests();
  await signInWithOkta(page, stack, user);
  expect(stack.oidc.tokenRequests()).toBe(before + 1);
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: "image/png" });
}

test("a reviewer signs in through OIDC, approves, and the agent's long-poll returns approved", async ({ page }, info) => {
  const request = await fileRequest({ action: "deploy.service.release" });
  const polling = (async () => {
    const body = await agentGet(request.id, 30);
    return { body, at: Date.now() };
  })();

  await signIn(page, riley);
  const row = page.locator(`[data-request-id="${request.id}"]`);
  await expect(row).toContainText("Your decision");
  await expectAccessible(page);
  await screenshot(page, info, "inbox");

  await row.getByRole("link", { name: "deploy.service.release" }).click();
  await expect(page.getByTestId("intent")).toHaveText("Release payments-api v2.41.0");
  await expectAccessible(page);
  await screenshot(page, info, "request-page");

  const clicked = Date.now();
  await approveOnPage(page);
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  const { body, at } = await polling;
  expect(body.status).toBe("approved");
  expect(at - clicked).toBeLessThan(5_000);

  const signedIn = await sql`select actor from audit_events where type = 'auth.signed_in' and actor->>'subject' = ${riley.sub}`;
  expect(signedIn[0]?.actor).toMatchObject({ idp: "okta", groups: ["platform-oncall"] });
  const approved = await sql`select channel from audit_events where type = 'request.approved' and request_id = ${request.id}`;
  expect(approved.map((r) => r.channel)).toEqual(["console"]);
});

test("a second reviewer completes a 2-approval quorum", async ({ browser }) => {
  const request = await fileRequest({ action: "iam.policy.update", resource: "role/analytics-readonly" });
  for (const [i, user] of [sam, sid].entries()) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, user);
    await page.goto(`${base}/requests/${request.id}`);
    await expect(page.getByTestId("approval-progress")).toContainText(`${i} of 2 approvals`);
    await approveOnPage(page);
    await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText(
      i === 0 ? "pending (1 of 2 approvals)" : "approved (2 of 2 approvals)",
    );
    await context.close();
    expect((await agentGet(request.id)).status).toBe(i === 0 ? "pending" : "approved");
  }
});

test("a deny needs a note; the server's refusal is shown verbatim, then the deny lands with its note", async ({ page }) => {
  const request = await fileRequest({ action: "deploy.service.rollback" });
  await signIn(page, riley);
  await page.goto(`${base}/requests/${request.id}`);
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByTestId("decision-error")).toHaveText("A note is required to deny a request.");
  expect((await agentGet(request.id)).status).toBe("pending");

  await page.getByLabel(/Note/).fill("Rollback not needed: error rate recovered.");
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("denied");
  expect((await agentGet(request.id)).status).toBe("denied");
  await page.reload();
  await expect(page.getByTestId("history")).toContainText("Rollback not needed: error rate recovered.");
});

test("the inbox updates live, without a reload, when requests arrive and are decided elsewhere", async ({ page }) => {
  await signIn(page, riley);
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));

  const request = await fileRequest({ action: "deploy.service.restart", resource: "svc/live-test" });
  const row = page.locator(`[data-request-id="${request.id}"]`);
  await expect(row).toBeVisible();

  // Decided through another path (the agent withdraws it): it leaves the inbox.
  const cancelled = await fetch(`${base}/api/v1/requests/${request.id}/cancel`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}` },
  });
  expect(cancelled.status).toBe(200);
  await expect(row).toHaveCount(0);
  // Same document all along: no navigation or reload happened.
  expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);
});

test("the requester cannot approve their own request — not in the UI, and not by forcing the form", async ({ page }) => {
  const request = await fileRequest({ action: "deploy.service.release", resource: "svc/self" });
  await signIn(page, priya);
  await expect(page.locator(`[data-request-id="${request.id}"]`).getByTestId("blocked-reason")).toHaveText(
    /you own the agent that filed it/,
  );
  await page.goto(`${base}/requests/${request.id}`);
  await expect(page.getByRole("button", { name: "Approve" })).toBeDisabled();
  // Denying is not self-approval: the owner may still stop their own agent's request, in the console as in Slack.
  await expect(page.getByRole("button", { name: "Deny" })).toBeEnabled();

  // Defeat the UI: the server still refuses.
  await page.evaluate(() => document.querySelectorAll("[disabled]").forEach((el) => el.removeAttribute("disabled")));
  await approveOnPage(page);
  await expect(page.getByTestId("decision-error")).toContainText("You cannot approve this request: you own the agent that filed it.");
  expect((await agentGet(request.id)).approvals.count).toBe(0);
});

test("an auditor sees requests and history but never a decision button", async ({ page }) => {
  const request = await fileRequest({ action: "deploy.service.release", resource: "svc/audited" });
  await signIn(page, audrey);
  await page.goto(`${base}/requests/${request.id}`);
  await expect(page.getByTestId("history")).toContainText("request.created");
  await expect(page.getByTestId("read-only")).toContainText("does not decide requests");
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Deny" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Agents" })).toHaveCount(0);
});

test("signing out is audited and ends the session", async ({ page }) => {
  await signIn(page, riley);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto(`${base}/`);
  await expect(page).toHaveURL(/\/signin/);
  const rows = await sql`select count(*)::int as n from audit_events where type = 'auth.signed_out' and actor->>'subject' = ${riley.sub}`;
  expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
});

test("the tab shows the Countersign icon, which a signed-out browser can fetch too", async ({ page }) => {
  await page.goto(`${base}/signin`);
  const named = await page
    .locator('head link[rel="icon"], head link[rel="apple-touch-icon"]')
    .evaluateAll((links) => links.map((l) => `${l.getAttribute("rel")} ${l.getAttribute("href")}`));
  expect(named.sort()).toEqual(["apple-touch-icon /apple-touch-icon.png", "icon /favicon.ico", "icon /icon.svg"]);
  for (const [path, type] of [
    ["/icon.svg", /^image\/svg\+xml/],
    ["/favicon.ico", /^image\/(x-icon|vnd\.microsoft\.icon)/],
    ["/apple-touch-icon.png", /^image\/png/],
  ] as const) {
    const res = await fetch(`${base}${path}`, { redirect: "manual" });
    expect(res.status, path).toBe(200);
    expect(res.headers.get("content-type"), path).toMatch(type);
  }
});
