// The request page as a decision document (issue 14): the parameters whole and wrapped, a
// confirmation that restates what a high-risk approval binds to, an outcome summary instead of the
// form once decided, the decision panel first and nothing wider than the screen on a phone, axe
// clean in every state — at desktop 1440 and mobile 390, in the production build, signed in
// through the local OIDC provider, with requests filed through the agent API.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page, type TestInfo } from "@playwright/test";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import { expectAccessible } from "./support/axe";

const riley = person("riley", ["platform-oncall"]);
const priya = person("priya", ["platform-oncall"]); // owns the agent

// The spec's own policy: the rules it needs (an auto-approval whose grant window ends almost at
// once) and the links section under test.
const POLICY = `version: 1
roles:
  reviewer: [platform-oncall]
  auditor: [compliance]
approver_groups:
  platform-oncall: [platform-oncall]
environment_risk: { production: 25, staging: 10, development: 0 }
rules:
  - name: cache-flush-auto
    match: { action: "cache.*.flush" }
    decision: auto_approve
    risk: 0
    grant_window: 1s
  - name: everything-else
    decision: require_approval
    risk: 20
    approvers: [platform-oncall]
links:
  run_id: "https://ci.example.com/runs/{value}"
  ticket: "https://jira.example.com/browse/{value}"
`;

const WIDTHS = { desktop: { width: 1440, height: 900 }, mobile: { width: 390, height: 844 } } as const;
type Width = keyof typeof WIDTHS;

// A helm upgrade of about 400 characters whose last flag is the one a reviewer must not miss.
const LAST_FLAG = "resources.limits.memory=16Gi";
const ARGV = [
  "helm", "upgrade", "--install", "search-api", "oci://registry.acme.test/charts/search-api", "--version", "4.18.2",
  "--namespace", "search", "--set", "image.repository=registry.acme.test/search/search-api", "--set", "image.tag=v2026.11.30-rc.7",
  "--set", "replicaCount=12", "--set", "autoscaling.maxReplicas=48", "--set", "podDisruptionBudget.minAvailable=9",
  "--set", "env.SEARCH_SHARD_COUNT=24", "--set", "resources.requests.memory=12Gi", "--description", "Q4 peak resize (OPS-812)",
  "--set", LAST_FLAG,
];

let stack: ConsoleStack;
let base = "";
let policyDir = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  policyDir = await mkdtemp(path.join(tmpdir(), "countersign-request-page-"));
  const policyPath = path.join(policyDir, "policy.yaml");
  await writeFile(policyPath, POLICY);
  stack = await startConsole({ prefix: "countersign_request_page", agentOwner: priya.email, env: { COUNTERSIGN_POLICY: policyPath } });
  base = stack.base;
});

test.afterAll(async () => {
  await stack?.stop();
  if (policyDir) await rm(policyDir, { recursive: true, force: true });
});

type Filed = { id: string; status: string; params_hash: string; risk: { level: string } };

async function agentCall(method: "GET" | "POST", url: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function fileRequest(body: Record<string, unknown>): Promise<Filed> {
  const res = await agentCall("POST", "/api/v1/requests", {
    resource: "search-api",
    environment: "production",
    intent: "Resize search-api for the Q4 peak.",
    ...body,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Filed;
}

async function statusOf(id: string): Promise<{ status: string; approvals: { count: number } }> {
  const res = await agentCall("GET", `/api/v1/requests/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; approvals: { count: number } };
}

/** A signed-in reviewer's page at one of the two widths (mobile: a touch phone's viewport). */
async function reviewerPage(browser: Browser, width: Width): Promise<Page> {
  const context = await browser.newContext({
    viewport: WIDTHS[width],
    ...(width === "mobile" ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  const page = await context.newPage();
  await signInWithOkta(page, stack, riley);
  return page;
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}

/** Nothing wider than the viewport; on a phone the decision panel comes before the history. */
async function expectFits(page: Page, width: Width): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(innerWidth).toBe(WIDTHS[width].width);
  expect(scrollWidth).toBeLessThanOrEqual(WIDTHS[width].width);
  if (width === "mobile") {
    const panel = await page.getByTestId("decision-panel").boundingBox();
    const history = await page.getByRole("region", { name: "History" }).boundingBox();
    expect(panel && history && panel.y + panel.height <= history.y).toBe(true);
  }
}

async function openRequest(page: Page, id: string): Promise<void> {
  await page.goto(`${base}/requests/${id}`);
  await expect(page.getByTestId("intent")).toBeVisible();
}

test("a 400-character argv is readable whole, with the policy's links, at 1440 and 390", async ({ browser }, info) => {
  const commandLine = ARGV.join(" ");
  expect(commandLine.length).toBeGreaterThanOrEqual(400);
  const request = await fileRequest({
    action: "deploy.helm.upgrade",
    context: {
      argv: ARGV,
      cwd: "/srv/deploy/search",
      diff: "  replicaCount: 6\n- memory: 8Gi\n+ memory: 16Gi",
      ticket: "OPS-812",
    },
    origin: { run_id: "gh-run/88412", trace_id: "4bf92f3577b34da6", model: "claude-sonnet-4.5" },
  });

  for (const width of ["desktop", "mobile"] as const) {
    const page = await reviewerPage(browser, width);
    await openRequest(page, request.id);
    await expect(page).toHaveTitle("deploy.helm.upgrade on search-api — Countersign");

    const argv = page.getByTestId("param-argv");
    await expect(argv).toHaveText(ARGV.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" "));
    await expect(argv).toContainText("--description 'Q4 peak resize (OPS-812)' --set resources.limits.memory=16Gi");
    const { scrollWidth, clientWidth } = await argv.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    const lastFlag = argv.locator("[data-arg]").last();
    await expect(lastFlag).toHaveText(LAST_FLAG);
    await lastFlag.scrollIntoViewIfNeeded();
    await expect(lastFlag).toBeInViewport({ ratio: 1 });

    // The diff is its own block, line by line; the rest of the context is wrapped JSON.
    await expect(page.getByTestId("param-diff")).toContainText("+ memory: 16Gi");
    await expect(page.getByTestId("param-json")).toContainText('"cwd": "/srv/deploy/search"');
    // Links where the policy has a template (run id, ticket), text where it has none (trace id).
    await expect(page.getByTestId("param-tickets").getByRole("link", { name: "OPS-812" })).toHaveAttribute("href", "https://jira.example.com/browse/OPS-812");
    await expect(page.getByTestId("origin-run_id").getByRole("link")).toHaveAttribute("href", "https://ci.example.com/runs/gh-run%2F88412");
    await expect(page.getByTestId("origin-trace_id")).toHaveText("4bf92f3577b34da6");
    await expect(page.getByTestId("origin-trace_id").getByRole("link")).toHaveCount(0);

    // Every scrollable block can be reached with the keyboard.
    await argv.focus();
    await expect(argv).toBeFocused();

    await expectFits(page, width);
    await expectAccessible(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, info, `pending-${width}`);
    await page.context().close();
  }
});

test("approving a high-risk request asks for a confirmation that restates it; cancel does nothing, confirm approves", async ({ browser }, info) => {
  const request = await fileRequest({ action: "db.migrate", resource: "orders", context: { sql: "alter table orders add column region text not null default 'eu';" } });
  expect(request.risk.level).toBe("high");
  const page = await reviewerPage(browser, "mobile");
  await openRequest(page, request.id);
  await expect(page).toHaveTitle("db.migrate on orders — Countersign");
  await expect(page.getByTestId("param-sql")).toContainText("alter table orders add column region");

  await page.getByRole("button", { name: "Approve", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Approve a high-risk request?" });
  await expect(dialog).toBeVisible();
  const facts = dialog.getByTestId("confirm-facts");
  await expect(facts).toContainText("db.migrate");
  await expect(facts).toContainText("orders");
  await expect(facts).toContainText("production");
  await expect(facts).toContainText(request.params_hash.slice(0, 12));
  await expectAccessible(page);
  await screenshot(page, info, "confirm-mobile");

  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(await statusOf(request.id)).toMatchObject({ status: "pending", approvals: { count: 0 } });
  await expect(page.getByTestId("approval-progress")).toContainText("0 of 1 approvals");

  // Escape closes it too, and sends nothing.
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect((await statusOf(request.id)).status).toBe("pending");

  await page.getByLabel(/Note/).fill("Default backfills in one statement; table is 40k rows.");
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await dialog.getByRole("button", { name: "Confirm approval" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved (1 of 1 approvals)");
  expect((await statusOf(request.id)).status).toBe("approved");

  // Approved: the outcome, with the grant window counting down, replaces the form.
  const outcome = page.getByTestId("outcome");
  await expect(outcome.getByTestId("outcome-decision")).toContainText("Approved by Riley (console)");
  await expect(outcome.getByTestId("outcome-decision")).toContainText("Default backfills in one statement");
  await expect(page.getByTestId("grant-countdown")).toHaveText(/\d+m \d+s left/);
  await expect(outcome.getByTestId("outcome-execution")).toHaveText("Not claimed yet.");
  await expect(page.getByLabel(/Note/)).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Approve|Deny)$/ })).toHaveCount(0);
  await expectFits(page, "mobile");
  await expectAccessible(page);
  await page.context().close();
});

test("a medium-risk request is approved in one click, without a confirmation", async ({ browser }) => {
  const request = await fileRequest({ action: "deploy.service.restart", environment: "staging", on_behalf_of: "jonas@acme.test" });
  expect(request.risk.level).toBe("medium");
  const page = await reviewerPage(browser, "desktop");
  await openRequest(page, request.id);
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  expect((await statusOf(request.id)).status).toBe("approved");
  await page.context().close();
});

test("an executed request shows the result the agent reported, and no note box or buttons", async ({ browser }, info) => {
  const request = await fileRequest({ action: "deploy.helm.rollback", context: { argv: ["helm", "rollback", "search-api", "41"] } });
  const page = await reviewerPage(browser, "desktop");
  await openRequest(page, request.id);
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm approval" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  await page.context().close();

  expect((await agentCall("POST", `/api/v1/requests/${request.id}/execute`)).status).toBe(200);
  const reported = await agentCall("POST", `/api/v1/requests/${request.id}/result`, {
    status: "failed",
    detail: { exit_code: 1, stderr: "Error: release search-api: revision 41 not found" },
  });
  expect(reported.status).toBe(200);
  const { result } = (await (await agentCall("GET", `/api/v1/requests/${request.id}`)).json()) as { result: { at: string } };

  for (const width of ["desktop", "mobile"] as const) {
    const p = await reviewerPage(browser, width);
    await openRequest(p, request.id);
    const outcome = p.getByTestId("outcome");
    await expect(p.getByRole("region", { name: "Outcome" })).toBeVisible();
    await expect(outcome.getByTestId("outcome-execution")).toContainText("Claimed by deploy-bot at");
    const shown = outcome.getByTestId("outcome-result");
    await expect(shown).toContainText("failed");
    await expect(shown).toContainText(`reported at ${result.at.replace("T", " ").slice(0, 19)} UTC`);
    await expect(outcome.getByTestId("outcome-result-detail")).toContainText('"stderr": "Error: release search-api: revision 41 not found"');
    await expect(outcome.getByTestId("outcome-grant")).toContainText("Closed at");
    await expect(p.getByLabel(/Note/)).toHaveCount(0);
    await expect(p.locator("textarea")).toHaveCount(0);
    await expect(p.getByRole("button", { name: /^(Approve|Deny)$/ })).toHaveCount(0);
    await expectFits(p, width);
    await expectAccessible(p);
    await screenshot(p, info, `executed-${width}`);
    await p.context().close();
  }
});

test("an auto-approved request that expired says so, never '0 of 0 approvals'; a denied one names who and why", async ({ browser }) => {
  const auto = await fileRequest({ action: "cache.search.flush", resource: "search-cache", intent: "Flush the search cache after the reindex." });
  expect(auto.status).toBe("approved");
  const denied = await fileRequest({ action: "iam.role.attach", resource: "role/search-admin" });
  await expect.poll(async () => (await statusOf(auto.id)).status, { timeout: 10_000 }).toBe("expired");

  for (const width of ["desktop", "mobile"] as const) {
    const page = await reviewerPage(browser, width);
    await openRequest(page, auto.id);
    await expect(page.locator("h1")).toContainText("expired");
    await expect(page.locator("main")).not.toContainText("0 of 0");
    await expect(page.getByRole("region", { name: "Why no approval was needed" })).toContainText("cache-flush-auto");
    await expect(page.getByRole("region", { name: "Why approval is needed" })).toHaveCount(0);
    await expect(page.getByTestId("outcome-decision")).toContainText("Approved automatically by rule cache-flush-auto");
    await expect(page.getByTestId("outcome-grant")).toContainText("Closed unused at");
    await expect(page.getByLabel(/Note/)).toHaveCount(0);
    await expectFits(page, width);
    await expectAccessible(page);
    await page.context().close();
  }

  const page = await reviewerPage(browser, "mobile");
  await openRequest(page, denied.id);
  await page.getByLabel(/Note/).fill("Nobody needs admin on search; use the read role.");
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("denied");
  await expect(page.getByTestId("outcome-decision")).toContainText("Denied by Riley (console)");
  await expect(page.getByTestId("outcome-decision")).toContainText("Nobody needs admin on search");
  await expect(page.getByTestId("outcome-grant")).toHaveCount(0);
  await expect(page.getByLabel(/Note/)).toHaveCount(0);
  await expectFits(page, "mobile");
  await expectAccessible(page);
  await page.context().close();
});
