// Reviewer authority in the browser, against a production build and the local OIDC provider standing
// in for Okta: a step-up rule sends the reviewer back to the provider (max_age=0) before Approve
// works; a copied session cookie is dead after sign-out; `callbackUrl` tricks land on `/`; an e-mail
// Okta does not vouch for signs nobody in.
import { expect, test, type Page } from "@playwright/test";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";

const riley = person("riley", ["platform-oncall"]);
const priya = person("priya", ["platform-oncall"]); // owns the agent

let stack: ConsoleStack;
let base = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_identity", agentOwner: priya.email });
  base = stack.base;
});

test.afterAll(async () => {
  await stack?.stop();
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach("server.log", { body: stack.server.output(), contentType: "text/plain" });
});

async function fileRequest(action: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action, resource: "vault/kv/payments", environment: "staging", intent: "Rotate the payments API token", context: { path: "kv/payments/token" } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function agentStatus(id: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/requests/${id}`, { headers: { authorization: `Bearer ${stack.agent.key}` } });
  return ((await res.json()) as { status: string }).status;
}

const sessionCookies = async (page: Page) => (await page.context().cookies()).filter((c) => c.name.includes("authjs.session-token"));

test("a step-up rule forces a fresh sign-in at the provider before Approve works", async ({ page }) => {
  const id = await fileRequest("secrets.token.rotate");
  // Riley's session at the provider is 20 minutes old: Countersign sees that auth_time.
  stack.oidc.nextUser(riley, { authenticatedAt: new Date(Date.now() - 20 * 60_000) });
  await page.goto(`${base}/`);
  await page.getByRole("button", { name: "Sign in with Okta" }).click();
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();

  await page.goto(`${base}/requests/${id}`);
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toBeDisabled();
  await expect(page.getByTestId("step-up")).toBeVisible();
  await expect(page.getByText(/needs a fresh sign-in/).first()).toBeVisible();

  // Re-authenticating goes through the provider with max_age=0 and prompt=login, and comes back here.
  stack.oidc.nextUser(riley); // the provider authenticates Riley now
  const authorizeBefore = stack.oidc.authorizeRequests().length;
  await page.getByRole("button", { name: "Re-authenticate to approve" }).click();
  // Back on the request, signed in afresh: the step-up box is gone.
  await expect(page.getByTestId("step-up")).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`/requests/${id}$`));
  const asked = stack.oidc.authorizeRequests().slice(authorizeBefore);
  expect(asked).toHaveLength(1);
  expect(asked[0]!.get("max_age")).toBe("0");
  expect(asked[0]!.get("prompt")).toBe("login");

  await approveOnPage(page);
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  expect(await agentStatus(id)).toBe("approved");
});

test("after sign-out, a copy of the old session cookie reads and decides nothing", async ({ page, browser }) => {
  await signInWithOkta(page, stack, riley);
  const stolen = await sessionCookies(page);
  expect(stolen.length).toBeGreaterThan(0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);

  // Someone who copied the cookie before sign-out replays it from another browser.
  const other = await browser.newContext();
  await other.addCookies(stolen);
  const replay = await other.newPage();
  await replay.goto(`${base}/`);
  await expect(replay).toHaveURL(/\/signin/);
  const id = await fileRequest("deploy.service.release");
  await replay.goto(`${base}/requests/${id}`);
  await expect(replay).toHaveURL(/\/signin/);
  await other.close();
  expect(await agentStatus(id)).toBe("pending");
});

test("callbackUrl tricks all land on / (same-origin paths only, parsed as URLs)", async ({ page }) => {
  await signInWithOkta(page, stack, riley);
  const cookie = (await sessionCookies(page)).map((c) => `${c.name}=${c.value}`).join("; ");
  for (const trick of ["/\\evil.example", "/%5Cevil.example", "/%09/evil.example", "%09//evil.example", "//evil.example", "https://evil.example/", "/\\/evil.example"]) {
    const res = await fetch(`${base}/signin?callbackUrl=${trick.replace(/\\/g, "%5C")}`, { headers: { cookie }, redirect: "manual" });
    expect([303, 307, 308], trick).toContain(res.status);
    const location = res.headers.get("location") ?? "";
    expect(new URL(location, base).origin, trick).toBe(new URL(base).origin);
    expect(new URL(location, base).pathname, trick).toBe("/");
  }
  // `http:evil.example` is, against an http origin, the relative path /evil.example: it stays here.
  const relative = await fetch(`${base}/signin?callbackUrl=http:evil.example`, { headers: { cookie }, redirect: "manual" });
  expect(new URL(relative.headers.get("location") ?? "", base).origin).toBe(new URL(base).origin);
  // A real same-origin path is kept.
  const ok = await fetch(`${base}/signin?callbackUrl=${encodeURIComponent("/audit?type=request.created")}`, { headers: { cookie }, redirect: "manual" });
  expect(new URL(ok.headers.get("location") ?? "", base).pathname).toBe("/audit");
});

test("an e-mail the provider does not vouch for (email_verified false) signs nobody in", async ({ page }) => {
  stack.oidc.nextUser({ ...person("mallory", ["platform-oncall"]), emailVerified: false });
  await page.goto(`${base}/`);
  await page.getByRole("button", { name: "Sign in with Okta" }).click();
  await expect(page).toHaveURL(/\/signin\?error=EmailNotVerified/);
  await expect(page.getByRole("alert").filter({ hasText: "Sign-in refused" })).toContainText("did not vouch for your e-mail");
  await page.goto(`${base}/`);
  await expect(page).toHaveURL(/\/signin/);
});
