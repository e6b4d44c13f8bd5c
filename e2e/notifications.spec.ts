// The request page shows each webhook delivery and its attempts (issue 5, "What it must show"):
// a production server on PostgreSQL, a real OIDC sign-in, and a local receiver standing in for the
// agent's endpoint that fails the first delivery (HTTP 500) and then accepts.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { agentWebhookSecret, verifyWebhook } from "@/lib/notify/webhook-signature";
import { startWebhookReceiver, type WebhookReceiver } from "../tests/support/webhook-receiver";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import type { OidcUser } from "./support/oidc";
import { E2E_WEBHOOK_SECRET, type RegisteredAgent } from "./support/servers";

const riley = person("riley", ["platform-oncall"]);
// The first delivery's 500 asks for a retry this far out, so the page can be seen "retrying"
// before the retry lands (the plain backoff would retry after 1 s).
const RETRY_AFTER_SECONDS = 8;

let stack: ConsoleStack;
let receiver: WebhookReceiver;
let agent: RegisteredAgent;
let base = "";

test.beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // Only the very first delivery fails.
  receiver.respond(() =>
    receiver.received.length === 0 ? { status: 500, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } } : { status: 200 },
  );
  stack = await startConsole({ prefix: "countersign_notify", agentOwner: "priya@acme.test", env: { COUNTERSIGN_OUTBOX_INTERVAL_MS: "250" } });
  ({ base, agent } = stack);
});

test.afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const signIn = (page: Page, user: OidcUser) => signInWithOkta(page, stack, user);

/** Reloads until `check` passes: delivery status is not pushed to the page, only request changes are. */
async function reloadUntil(page: Page, check: () => Promise<void>, timeout = 15_000): Promise<void> {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout, intervals: [250, 500, 1000] });
}

const deliveryOf = (card: Locator, eventType: string) => card.getByTestId("delivery").filter({ hasText: eventType });

test("the request page shows webhook delivery status: retrying after a 500, then delivered", async ({ page }, info) => {
  test.setTimeout(40_000);
  await signIn(page, riley);

  const filed = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      action: "deploy.service.release",
      resource: "svc/payments-api",
      environment: "production",
      intent: "Release payments-api v2.41.0",
      context: { image: "payments-api:v2.41.0" },
      callback_url: `${receiver.url}/hooks/countersign`,
    }),
  });
  expect(filed.status).toBe(201);
  const { id } = (await filed.json()) as { id: string };

  await page.goto(`${base}/requests/${id}`);
  const card = page.getByRole("region", { name: "Notifications" });
  const created = deliveryOf(card, "request.created");
  await reloadUntil(page, async () => {
    await expect(created).toHaveAttribute("data-status", "retrying", { timeout: 500 });
  });
  await expect(created.getByTestId("delivery-status")).toHaveText("retrying");
  await expect(created).toContainText("1 attempt");
  await expect(created).toContainText("Next attempt");
  await expect(created.getByTestId("delivery-error")).toHaveText("Last error: receiver answered 500");
  await expect(created.getByTestId("delivery-attempts")).toContainText("HTTP 500");
  await expect(created).toContainText(`${receiver.url}/hooks/countersign`);
  const a11y = await new AxeBuilder({ page }).include("#notifications").analyze();
  expect(a11y.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  await approveOnPage(page);
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");

  const approved = deliveryOf(card, "request.approved");
  await reloadUntil(page, async () => {
    await expect(created).toHaveAttribute("data-status", "delivered", { timeout: 500 });
    await expect(approved).toHaveAttribute("data-status", "delivered", { timeout: 500 });
  }, (RETRY_AFTER_SECONDS + 10) * 1000);
  await expect(created).toContainText("2 attempts");
  await expect(created.getByTestId("delivery-attempts").locator("tbody tr")).toHaveText([/HTTP 500/, /HTTP 200/]);
  await expect(created.getByTestId("delivery-error")).toHaveCount(0);
  await expect(approved).toContainText("1 attempt");
  await expect(approved.getByTestId("delivery-attempts")).toContainText("HTTP 200");

  // What the receiver saw: the approval at once, the first event again after its Retry-After (each
  // delivery stands alone: a retried event can arrive after a later one), all signed with this
  // agent's secret and carrying their event id.
  const secret = agentWebhookSecret(E2E_WEBHOOK_SECRET, agent.id);
  const typeOf = (h: { body: string }) => (JSON.parse(h.body) as { type: string }).type;
  expect(receiver.received.map((h) => [typeOf(h), h.answered])).toEqual([
    ["request.created", 500],
    ["request.approved", 200],
    ["request.created", 200],
  ]);
  const [first, retry] = receiver.deliveriesOf(receiver.received[0]!.eventId);
  expect(retry).toBeDefined();
  expect(retry!.at - first!.at).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - 1000);
  expect(new Set(receiver.received.map((h) => h.eventId)).size).toBe(2);
  for (const hit of receiver.received) {
    expect(verifyWebhook(secret, hit.body, hit.signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(JSON.parse(hit.body)).toMatchObject({ id: hit.eventId, request: { id } });
  }
  await expect(card.getByTestId("delivery")).toHaveCount(2);
  const shot = info.outputPath("notifications.png");
  await card.screenshot({ path: shot });
  await info.attach("notifications card", { path: shot, contentType: "image/png" });
});

test("a request without callback_url says so", async ({ page }) => {
  await signIn(page, riley);
  const filed = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service.restart", resource: "svc/no-callback", environment: "staging", intent: "Restart", context: {} }),
  });
  expect(filed.status).toBe(201);
  const { id } = (await filed.json()) as { id: string };
  await page.goto(`${base}/requests/${id}`);
  await expect(page.getByRole("region", { name: "Notifications" })).toContainText("No notifications: the agent gave no callback_url.");
});
