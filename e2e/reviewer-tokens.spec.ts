// Personal tokens end to end through the real account page: a reviewer signed in through the OIDC
// flow creates a token from the keyboard (a mistake is shown at its field with what was typed
// kept), sees it once, decides a request with it over the reviewer API, finds it listed with its
// last use, and revokes it, after which the API refuses it. Production build, real PostgreSQL.
import { expect, test } from "@playwright/test";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import { expectAccessible } from "./support/axe";

const riley = person("riley", ["platform-oncall"]);
let stack: ConsoleStack;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_reviewer_tokens", agentOwner: "priya@acme.test" });
});

test.afterAll(async () => {
  await stack?.stop();
});

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("create a personal token on the account page, decide with it, see its last use, revoke it", async ({ page }) => {
  await signInWithOkta(page, stack, riley);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Personal tokens" })).toBeVisible();
  await expect(page.getByText("You have no personal tokens.")).toBeVisible();

  // From the keyboard: a name, no scope at all → the error sits at the scopes, the name stays.
  const form = page.getByRole("form", { name: "Create a personal token" });
  await form.getByLabel("Name").fill("laptop CLI");
  await form.getByRole("checkbox", { name: /read/ }).uncheck();
  await form.getByRole("checkbox", { name: /decide/ }).uncheck();
  await form.getByLabel("Expires in").selectOption("7");
  await form.getByRole("button", { name: "Create token" }).focus();
  await page.keyboard.press("Enter");
  await expect(form.getByText("choose at least one scope")).toBeVisible();
  await expect(form.getByLabel("Name")).toHaveValue("laptop CLI");
  await expect(form.getByLabel("Expires in")).toHaveValue("7");

  await form.getByRole("checkbox", { name: /read/ }).check();
  await form.getByRole("checkbox", { name: /decide/ }).focus();
  await page.keyboard.press("Space");
  await form.getByRole("button", { name: "Create token" }).focus();
  await page.keyboard.press("Enter");
  const shown = page.getByTestId("new-reviewer-token");
  await expect(shown).toHaveText(/^csr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  const token = (await shown.textContent())!;
  await expect(page.getByRole("status")).toContainText("shown only once");

  const row = page.getByTestId("reviewer-token");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("laptop CLI");
  await expect(row).toContainText(`${token.slice(0, 16)}…`);
  await expect(row).toContainText("read, decide");
  await expect(row).toContainText("never");
  await expect(row).not.toContainText(token.slice(17));
  await expectAccessible(page);

  // The token decides over the reviewer API, as riley.
  const filed = await fetch(`${stack.server.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service.release", resource: "svc/tokens", environment: "staging", intent: "Release through a token" }),
  });
  const { id } = (await filed.json()) as { id: string };
  const listed = await api("GET", "/api/v1/reviews", token);
  expect(listed.status).toBe(200);
  expect((listed.body.items as { id: string }[]).map((i) => i.id)).toContain(id);
  const approved = await api("POST", `/api/v1/reviews/${id}/approve`, token, { note: "from my terminal" });
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: "approved", reviews: [{ name: "Riley", channel: "api", note: "from my terminal" }] });

  // Listed with its last use; a reload no longer shows the token itself.
  await page.reload();
  await expect(page.getByTestId("new-reviewer-token")).toHaveCount(0);
  await expect(row).not.toContainText("never");

  // Revoke from the keyboard: the row says so, and the API refuses the token at once.
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke the token laptop CLI" }).focus();
  await page.keyboard.press("Enter");
  await expect(row).toContainText("revoked");
  await expect(page.getByRole("button", { name: "Revoke the token laptop CLI" })).toHaveCount(0);
  const refused = await api("GET", "/api/v1/reviews", token);
  expect(refused).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
});
