// Every console page, at a laptop's width (1440) and a phone's (390), signed in as someone who may
// see all of them (admin, reviewer and auditor at once): no page is wider than the viewport, and
// axe finds no serious or critical issue. The sign-in page is checked signed out. Production
// build, real PostgreSQL, real OIDC sign-in; the pages show real data (a pending request with a
// long command, an executed one, audit events).
import { expect, test, type Page } from "@playwright/test";
import postgres from "postgres";
import { expectAccessible } from "./support/axe";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";

const ada = person("ada", ["countersign-admins", "platform-oncall", "compliance"]);
let stack: ConsoleStack;
let pendingId = "";
let executedId = "";
let eventId = "";

test.describe.configure({ mode: "serial" });

async function file(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.server.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startConsole({ prefix: "countersign_pages", agentOwner: "priya@acme.test" });
  const argv = ["helm", "upgrade", "--install", "search-api", "charts/search-api", "--namespace", "search", ...Array.from({ length: 12 }, (_, i) => `--set=replicas.zone${i}=3`)];
  pendingId = await file({ action: "deploy.helm.upgrade", resource: "search-api", environment: "production", intent: "Scale search for the sale", context: { argv } });
  // logs.*.read is auto-approved by the test policy: claim it and report, so a page shows a result.
  executedId = await file({ action: "logs.service.read", resource: "svc/search", environment: "staging", intent: "Read the logs", context: { lines: 200 } });
  const auth = { authorization: `Bearer ${stack.agent.key}` };
  expect((await fetch(`${stack.server.url}/api/v1/requests/${executedId}/execute`, { method: "POST", headers: auth })).status).toBe(200);
  const reported = await fetch(`${stack.server.url}/api/v1/requests/${executedId}/result`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ status: "succeeded", detail: { lines: 200 } }),
  });
  expect(reported.status).toBe(200);
  const sql = postgres(stack.db.url, { max: 1, onnotice: () => {} });
  try {
    // An event that is sealed into the chain (the event page shows sealed events).
    await expect.poll(async () => (await sql<{ id: string }[]>`select id from audit_events where request_id = ${executedId} and seq is not null limit 1`).length).toBe(1);
    eventId = (await sql<{ id: string }[]>`select id from audit_events where request_id = ${executedId} and seq is not null order by seq limit 1`)[0]!.id;
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test.afterAll(async () => {
  await stack?.stop();
});

async function check(page: Page, path: string, width: number): Promise<void> {
  const response = await page.goto(`${stack.base}${path}`);
  expect(response?.status(), path).toBeLessThan(400);
  await expect(page.locator("main").first()).toBeVisible();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide, `${path}: page width at ${width} px`).toBeLessThanOrEqual(width);
  await expectAccessible(page, path);
}

for (const viewport of [
  { name: "laptop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
]) {
  test(`every console page at ${viewport.width} px: no wider than the screen, no serious or critical axe issue`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize(viewport);
    await check(page, "/signin", viewport.width);
    await signInWithOkta(page, stack, ada);
    const pages = [
      "/",
      "/?environment=production",
      "/requests",
      `/requests/${pendingId}`,
      `/requests/${executedId}`,
      "/audit",
      `/audit?request=${executedId}`,
      `/audit/${eventId}`,
      "/agents",
      "/people",
      "/policy",
      "/account",
    ];
    for (const path of pages) await check(page, path, viewport.width);
  });
}
