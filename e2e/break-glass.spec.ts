// Break-glass end to end through the real console: a security member signed in through the OIDC flow
// breaks the glass on a pending request (a short reason is refused at its field, what was typed is
// kept), the request is approved and flagged; an approver finds it under "Retrospective reviews" in
// the inbox, is told at the note that flagging needs one, and acknowledges it. Desktop 1440 and
// mobile 390, axe on both pages. Production build, real PostgreSQL.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import { expectAccessible } from "./support/axe";

const sam = person("sam", ["security-team"]);
const riley = person("riley", ["platform-oncall"]);
const REASON = "Checkout is down in production; rolling back cannot wait for two approvals.";
let stack: ConsoleStack;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_break_glass", agentOwner: "priya@acme.test" });
});

test.afterAll(async () => {
  await stack?.stop();
});

async function file(resource: string): Promise<string> {
  const res = await fetch(`${stack.server.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "test.breakglass.rollback", resource, environment: "production", intent: "Roll back checkout" }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function signedInPage(browser: Browser, who: typeof sam, width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 } });
  const page = await context.newPage();
  await signInWithOkta(page, stack, who);
  return page;
}

for (const width of [1440, 390]) {
  test(`break glass on the request page, then acknowledge it from the inbox (${width}px)`, async ({ browser }) => {
    const id = await file(`svc/checkout-${width}`);

    const page = await signedInPage(browser, sam, width);
    await page.goto(`${stack.base}/requests/${id}`);
    await expect(page.getByTestId("break-glass-badge")).toHaveCount(0);
    await page.getByText("Break glass", { exact: true }).click();
    const reason = page.getByLabel(/^Reason/);
    await reason.fill("it is urgent");
    await page.getByRole("button", { name: "Approve alone (break glass)" }).click();
    await expect(page.getByTestId("break-glass-reason-error")).toHaveText("Reason must be at least 20 characters.");
    await expect(reason).toHaveAttribute("aria-invalid", "true");
    await expect(reason).toHaveValue("it is urgent");
    await expectAccessible(page);

    await reason.fill(REASON);
    await reason.focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("break-glass-badge").first()).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("approved");
    await expect(page.getByTestId("break-glass-reason")).toHaveText(REASON);
    await expect(page.getByTestId("break-glass-review")).toContainText("Owed");
    // Who broke the glass does not review it.
    await expect(page.getByTestId("retrospective-form")).toHaveCount(0);
    await expectAccessible(page);
    await page.context().close();

    const reviewerPage = await signedInPage(browser, riley, width);
    const item = reviewerPage.locator(`[data-testid="retrospective-item"][data-request-id="${id}"]`);
    await expect(item).toBeVisible();
    await expect(item.getByTestId("break-glass-badge")).toBeVisible();
    await expect(item).toContainText(REASON);
    await expectAccessible(reviewerPage);
    await item.getByRole("button", { name: "Flag" }).click();
    await expect(item.getByRole("alert")).toHaveText("Note is required.");
    await item.getByLabel(/^Review note/).fill("Matches incident INC-7; fine.");
    await item.getByRole("button", { name: "Acknowledge" }).click();
    await expect(reviewerPage.locator(`[data-testid="retrospective-item"][data-request-id="${id}"]`)).toHaveCount(0);

    await reviewerPage.goto(`${stack.base}/requests/${id}`);
    await expect(reviewerPage.getByTestId("break-glass-review")).toHaveText("Acknowledged by Riley: “Matches incident INC-7; fine.”");
    await reviewerPage.context().close();
  });
}
