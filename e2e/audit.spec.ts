// The audit timeline end to end: real Chromium, a production build, real PostgreSQL, sign-in through
// the local OIDC provider. Activity is filed through the agent API and decided in the console by a
// reviewer; an auditor then filters by action and risk with the UI, shares the URL with a second
// browser context, and exports CSV and NDJSON whose rows must be exactly the filtered view.
import fs from "node:fs";
import { expect, test, type Browser, type BrowserContext, type Locator, type Page, type TestInfo } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import type { OidcUser } from "./support/oidc";
import type { RegisteredAgent } from "./support/servers";
import { expectAccessible } from "./support/axe";

const riley = person("riley", ["platform-oncall"]);
const audrey = person("audrey", ["compliance"]);

const ACTION = "deploy.service.release";
const RISK = "medium";

type ApiEvent = {
  id: number;
  seq: number | null;
  event_id: string;
  type: string;
  actor: { kind: string; id: string; display: string; idp?: string; groups?: string[] };
  request_id: string | null;
  action: string | null;
  risk_level: string | null;
};
type ExportTrailer = {
  filter: Record<string, string>;
  rows: number;
  exported_by: { person: string; name: string; email: string | null };
  chain_head: { seq: number; hash: string } | null;
};

let stack: ConsoleStack;
let base = "";
let agent: RegisteredAgent;
/** The request the reviewer approved in the console (its events match the filter). */
let approvedId = "";
/** The filtered view's URL, as the auditor shared it. */
let sharedUrl = "";
/** The auditor's signed-in browser state, reused by the later tests once sign-in has been shown twice. */
let auditorState: Awaited<ReturnType<BrowserContext["storageState"]>> | undefined;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(90_000);
  stack = await startConsole({ prefix: "countersign_audit", agentOwner: "priya@acme.test" });
  ({ base, agent } = stack);
  await seedActivity(browser);
});

test.afterAll(async () => {
  await stack?.stop();
});

async function fileRequest(body: Record<string, unknown>): Promise<{ id: string; status: string }> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ resource: "svc/payments-api", environment: "production", intent: "Ship it", ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string };
}

/**
 * Risk (test policy): base 20, production +25, first use of an action +10, production with nobody
 * on whose behalf +5. So the filter's action occurs at medium and low risk, and medium risk occurs
 * with other actions too: the filter must really combine both.
 */
async function seedActivity(browser: Browser): Promise<void> {
  const onBehalf = { on_behalf_of: "dev@acme.test" };
  const approved = await fileRequest({ action: ACTION, ...onBehalf }); // 55 medium
  const cancelled = await fileRequest({ action: ACTION, resource: "svc/ledger", ...onBehalf }); // 45 medium
  await fileRequest({ action: ACTION, environment: "development", resource: "svc/sandbox" }); // 20 low
  await fileRequest({ action: "deploy.service.restart", ...onBehalf }); // 55 medium
  await fileRequest({ action: "iam.policy.update", resource: "role/analytics-readonly" }); // critical
  expect((await fileRequest({ action: "db.orders.read", environment: "staging", resource: "db/orders" })).status).toBe("approved");
  const cancel = await fetch(`${base}/api/v1/requests/${cancelled.id}/cancel`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ reason: "superseded" }),
  });
  expect(cancel.status).toBe(200);

  // A reviewer decides in the console, so the trail has a human decision with IdP and groups.
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, riley);
  await page.goto(`${base}/requests/${approved.id}`);
  await approveOnPage(page);
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  await context.close();
  approvedId = approved.id;
}

const signIn = (page: Page, user: OidcUser) => signInWithOkta(page, stack, user);

/** A new browser context for the auditor: signed in through the OIDC flow, or with a saved session. */
async function auditorPage(browser: Browser, opts: { freshSignIn?: boolean } = {}): Promise<Page> {
  const reuse = !opts.freshSignIn && auditorState;
  const context = await browser.newContext({ acceptDownloads: true, ...(reuse ? { storageState: auditorState } : {}) });
  const page = await context.newPage();
  if (!reuse) {
    await signIn(page, audrey);
    auditorState = await context.storageState();
  }
  return page;
}

async function apiEvents(page: Page, params: Record<string, string>): Promise<ApiEvent[]> {
  const res = await page.request.get(`${base}/api/audit/events?${new URLSearchParams({ ...params, limit: "200" })}`);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { events: ApiEvent[]; nextCursor: string | null };
  expect(body.nextCursor).toBeNull();
  return body.events;
}

const rowsOf = (page: Page): Locator => page.getByTestId("audit-row");
const shownIds = (page: Page) => rowsOf(page).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.eventId!));

async function expectRows(page: Page, events: ApiEvent[]): Promise<void> {
  await expect(rowsOf(page)).toHaveCount(events.length);
  expect(await shownIds(page)).toEqual(events.map((e) => e.event_id));
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: "image/png" });
}

test("an auditor filters by action and risk with the UI, and the shared URL shows the same rows", async ({ browser }, info) => {
  const page = await auditorPage(browser);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByRole("heading", { name: "Audit timeline" })).toBeVisible();
  // The sealer chains events within milliseconds; the badge reflects the last verification pass.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("chain-status")).toHaveAttribute("data-state", "verified", { timeout: 1_000 });
    await expect(page.getByTestId("chain-status")).toContainText(/^Chain verified up to #\d+/, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });

  const everything = await apiEvents(page, {});
  const expected = everything.filter((e) => e.action === ACTION && e.risk_level === RISK);
  // The filter must cut both ways: same action at another risk, same risk for another action.
  expect(everything.some((e) => e.action === ACTION && e.risk_level !== RISK)).toBe(true);
  expect(everything.some((e) => e.action !== ACTION && e.risk_level === RISK)).toBe(true);
  expect(new Set(expected.map((e) => e.type))).toEqual(
    new Set(["request.created", "review.approved", "request.approved", "request.cancelled"]),
  );
  await expect(rowsOf(page)).toHaveCount(everything.length);

  const action = page.getByLabel("Action", { exact: true });
  await action.fill(ACTION);
  await action.press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]action=${ACTION.replaceAll(".", "\\.")}(&|$)`));
  await page.getByLabel("Risk level").selectOption(RISK);
  await expect(page).toHaveURL(/[?&]risk=medium(&|$)/);
  await expect(page).toHaveURL(new RegExp(`action=${ACTION.replaceAll(".", "\\.")}`));

  // The table shows exactly what the API returns for the same filters, which is the subset above.
  expect((await apiEvents(page, { action: ACTION, risk: RISK })).map((e) => e.event_id)).toEqual(expected.map((e) => e.event_id));
  await expectRows(page, expected);
  for (const cell of await page.locator('[data-testid="audit-row"] td[data-column="action"]').allTextContents()) expect(cell).toBe(ACTION);
  for (const cell of await page.locator('[data-testid="audit-row"] td[data-column="risk"]').allTextContents()) expect(cell).toBe(RISK);
  await expect(page.getByTestId("page-summary")).toContainText(`${expected.length} events`);

  await expectAccessible(page);
  await screenshot(page, info, "audit-filtered");

  // Shared view: the URL alone reproduces it for another signed-in auditor.
  sharedUrl = page.url();
  const other = await auditorPage(browser, { freshSignIn: true });
  await other.goto(sharedUrl);
  await expectRows(other, expected);
  await expect(other.getByLabel("Action", { exact: true })).toHaveValue(ACTION);
  await expect(other.getByLabel("Risk level")).toHaveValue(RISK);
  await other.context().close();
  await page.context().close();
});

test("CSV and NDJSON exports hold exactly the filtered rows, with a trailer naming the filter and chain head", async ({ browser }) => {
  const page = await auditorPage(browser);
  await page.goto(sharedUrl);
  const expected = await apiEvents(page, { action: ACTION, risk: RISK });
  await expectRows(page, expected);
  const ids = expected.map((e) => e.event_id);

  const csvLink = page.getByRole("link", { name: "Export CSV" });
  const csvHref = new URL((await csvLink.getAttribute("href"))!, base);
  expect(Object.fromEntries(csvHref.searchParams)).toEqual({ format: "csv", action: ACTION, risk: RISK });

  const [csvDownload] = await Promise.all([page.waitForEvent("download"), csvLink.click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/^countersign-audit-.+\.csv$/);
  const csv = parse(fs.readFileSync((await csvDownload.path())!, "utf8"), { relax_column_count: true }) as string[][];
  const [header, ...records] = csv;
  const trailerRecord = records.pop()!;
  expect(trailerRecord[0]).toBe("#export");
  const csvTrailer = JSON.parse(trailerRecord[1]!) as ExportTrailer;
  const col = (name: string) => header!.indexOf(name);
  expect(records.map((r) => r[col("event_id")])).toEqual(ids);
  expect(records.every((r) => r[col("action")] === ACTION && r[col("risk_level")] === RISK)).toBe(true);
  expect(csvTrailer.rows).toBe(records.length);
  expect(csvTrailer.filter).toEqual({ action: ACTION, risk: RISK });
  expect(csvTrailer.exported_by).toEqual({ person: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Audrey", email: audrey.email });
  expect(csvTrailer.chain_head?.hash).toMatch(/^[0-9a-f]{64}$/);

  const [ndjsonDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export NDJSON" }).click()]);
  expect(ndjsonDownload.suggestedFilename()).toMatch(/^countersign-audit-.+\.ndjson$/);
  const lines = fs
    .readFileSync((await ndjsonDownload.path())!, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ApiEvent & { _export?: ExportTrailer });
  const ndjsonTrailer = lines.pop()!._export!;
  expect(lines.map((e) => e.event_id)).toEqual(ids);
  expect(lines.map((e) => e.id)).toEqual(expected.map((e) => e.id));
  expect(ndjsonTrailer.rows).toBe(lines.length);
  expect(ndjsonTrailer.filter).toEqual({ action: ACTION, risk: RISK });
  expect(ndjsonTrailer.chain_head?.hash).toMatch(/^[0-9a-f]{64}$/);

  // Exporting is itself on the record: reset the filters and pick the type from the menu.
  await page.getByRole("button", { name: "Reset" }).click();
  await expect(page).toHaveURL(`${base}/audit`);
  await page.getByLabel("Event type").selectOption("audit.exported");
  await expect(page).toHaveURL(/[?&]type=audit\.exported(&|$)/);
  await expect(rowsOf(page)).toHaveCount(2);
  await expect(page.locator('[data-testid="audit-row"] td[data-column="type"]')).toHaveText(["audit.exported", "audit.exported"]);
  await expect(page.locator('[data-testid="audit-row"] td[data-column="actor"]').first()).toContainText("Audrey");

  // Rows are links: open the newest export from the keyboard.
  await rowsOf(page).first().getByRole("link").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("event-type")).toHaveText("audit.exported");
  const payload = JSON.parse((await page.getByTestId("event-payload").textContent())!) as { format: string; filter: Record<string, string> };
  expect(payload).toMatchObject({ format: "ndjson", filter: { action: ACTION, risk: RISK } });
  await expect(page.getByTestId("actor-idp")).toHaveText("okta");
  await expect(page.getByTestId("actor-groups")).toHaveText("compliance");
  await expect(page.getByTestId("event-request")).toHaveText("—");
  await page.context().close();
});

test("an event page shows the actor's groups at the time, the hashes, and links to its request", async ({ browser }, info) => {
  const page = await auditorPage(browser);
  await page.goto(sharedUrl);
  const approval = rowsOf(page).filter({ has: page.locator('td[data-column="type"]', { hasText: /^review\.approved$/ }) });
  await expect(approval).toHaveCount(1);
  await approval.click(); // anywhere on the row opens it
  await expect(page.getByTestId("event-type")).toHaveText("review.approved");
  await expect(page.getByTestId("actor-idp")).toHaveText("okta");
  await expect(page.getByTestId("actor-groups")).toHaveText("platform-oncall");
  await expect(page.getByTestId("event-seq")).toHaveText(/^#\d+$/);
  await expect(page.getByTestId("event-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId("event-prev-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await expectAccessible(page);
  await screenshot(page, info, "audit-event");

  await page.getByTestId("event-request").getByRole("link").click();
  await expect(page).toHaveURL(`${base}/requests/${approvedId}`);
  await expect(page.getByTestId("history")).toContainText("review.approved");

  await page.goto(`${base}/audit/999999999`);
  await expect(page.getByRole("heading", { name: "No such audit event" })).toBeVisible();
  await page.context().close();
});

test("sorting and keyset pages live in the URL; unknown filters are ignored with a notice", async ({ browser }, info) => {
  const page = await auditorPage(browser);
  const expected = await apiEvents(page, { action: ACTION, risk: RISK });

  // Pages of two: walk forward with Next, then back to the first page.
  await page.goto(`${sharedUrl}&limit=2`);
  const seen: string[] = [];
  for (let pages = 1; ; pages++) {
    await expect(rowsOf(page).first()).toBeVisible();
    const ids = await shownIds(page);
    expect(ids.length).toBeLessThanOrEqual(2);
    seen.push(...ids);
    const next = page.getByRole("link", { name: /Next page/ });
    if ((await next.count()) === 0) break;
    expect(pages).toBeLessThan(10);
    await next.click();
    await expect(page).toHaveURL(/[?&]after=/);
    await expect.poll(async () => (await shownIds(page))[0]).not.toBe(ids[0]);
  }
  expect(seen).toEqual(expected.map((e) => e.event_id));
  await page.getByRole("link", { name: /First page/ }).click();
  await expect(page).not.toHaveURL(/[?&]after=/);
  expect(await shownIds(page)).toEqual(seen.slice(0, 2));

  // Sort by type, ascending first; the server orders and the cursor resets.
  await page.goto(sharedUrl);
  await page.getByRole("button", { name: /^Type/ }).click();
  await expect(page).toHaveURL(/[?&]sort=type&dir=asc/);
  await expect(page.getByRole("columnheader", { name: /Type/ })).toHaveAttribute("aria-sort", "ascending");
  const types = await page.locator('[data-testid="audit-row"] td[data-column="type"]').allTextContents();
  expect(types).toEqual([...types].sort());
  expect(types).toHaveLength(expected.length);

  // Free text is applied after a pause; typing on after that lands in the same field, and a term
  // that matches nothing gives the empty state.
  const search = page.getByLabel("Search events");
  await search.pressSequentially("no-such");
  await expect(page).toHaveURL(/[?&]q=no-such(&|$)/);
  await expect(rowsOf(page)).toHaveCount(0);
  await search.pressSequentially("-thing-anywhere");
  await expect(search).toBeFocused();
  await expect(search).toHaveValue("no-such-thing-anywhere");
  await expect(page).toHaveURL(/[?&]q=no-such-thing-anywhere(&|$)/);
  await expect(page.getByTestId("audit-empty")).toHaveText(/No events match these filters/);

  await page.goto(`${base}/audit?risk=extreme&action=${ACTION}`);
  await expect(page.getByTestId("ignored-params")).toContainText("risk");
  await expect(rowsOf(page).first()).toBeVisible();
  expect(await page.locator('[data-testid="audit-row"] td[data-column="action"]').allTextContents()).toEqual(
    (await apiEvents(page, { action: ACTION })).map(() => ACTION),
  );

  await page.goto(`${base}/audit`);
  await expectAccessible(page);
  await screenshot(page, info, "audit-timeline");
  await page.context().close();
});
