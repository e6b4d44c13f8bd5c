// Auditor tools end to end (issue 14): the production build in Chromium at 1440 and 390 px, real
// PostgreSQL, sign-in through the local OIDC provider. Agents file requests through the API, a
// reviewer approves one in the console; then an auditor reads the inbox with filters from a link,
// finds one request's events on the timeline by its id (the filter form and free text) and by its
// params_hash, steps through events with previous/next, switches times between UTC and the
// browser's zone, and pages and filters the Requests list beyond 100 rows.
import { expect, test, type Browser, type BrowserContext, type Locator, type Page, type TestInfo } from "@playwright/test";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";
import { createAgentWithCli, type RegisteredAgent } from "./support/servers";
import { expectAccessible } from "./support/axe";

const riley = person("riley", ["platform-oncall"]);
const audrey = person("audrey", ["compliance"]);

const DESKTOP = { width: 1440, height: 900 };
const MOBILE = { width: 390, height: 844 };
/** A zone far from UTC, with a half-hour offset, so local times cannot match UTC by chance. */
const ZONE = "Asia/Kolkata";
/** Enough requests that the Requests list needs three pages of 50 (the old page stopped at 100). */
const BATCH = 104;

type ApiEvent = { id: number; seq: number | null; event_id: string; type: string; request_id: string | null; occurred_at: string };

let stack: ConsoleStack;
let base = "";
let deployBot: RegisteredAgent;
let reportBot: RegisteredAgent;
/** The request the reviewer approves in the console, and its twin (same parameters, so the same params_hash). */
let approvedId = "";
let twinId = "";
let paramsHash = "";
let totalRequests = 0;
let auditorState: Awaited<ReturnType<BrowserContext["storageState"]>> | undefined;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startConsole({ prefix: "countersign_auditor", agentOwner: "priya@acme.test" });
  ({ base } = stack);
  deployBot = stack.agent;
  reportBot = await createAgentWithCli(stack.db.url, { name: "report-bot", owner: "priya@acme.test" });
  await seed(browser);
});

test.afterAll(async () => {
  await stack?.stop();
});

async function file(agent: RegisteredAgent, body: Record<string, unknown>): Promise<{ id: string; status: string; params_hash: string }> {
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ resource: "svc/payments-api", environment: "production", intent: "Ship it", ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string; params_hash: string };
}

async function seed(browser: Browser): Promise<void> {
  const release = { action: "deploy.service.release", resource: "svc/ledger", context: { image: "ledger:v7" }, on_behalf_of: "dev@acme.test" };
  const approved = await file(deployBot, release);
  const twin = await file(deployBot, release);
  expect(twin.params_hash).toBe(approved.params_hash);
  await file(deployBot, { ...release, context: { image: "ledger:v8" } }); // another params_hash
  // Pending in staging (the inbox link's filter) and auto-approved reads in "qa" (no pending request there).
  await file(deployBot, { action: "deploy.service.restart", environment: "staging", resource: "svc/cart" });
  await file(reportBot, { action: "deploy.service.restart", environment: "staging", resource: "svc/search" });
  expect((await file(reportBot, { action: "db.orders.read", environment: "qa", resource: "db/orders" })).status).toBe("approved");
  // The bulk of the list: development batch jobs. The first is a first use of the action (medium
  // risk, +10); the rest, filed in parallel bursts after it, are low.
  await file(reportBot, { action: "batch.job.run", environment: "development", resource: "job/first", intent: "First batch" });
  for (let i = 1; i < BATCH; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, BATCH - i) }, (_, k) =>
        file(reportBot, { action: "batch.job.run", environment: "development", resource: `job/${i + k}`, intent: `Nightly batch ${i + k}` }),
      ),
    );
  }
  totalRequests = 6 + BATCH;

  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithOkta(page, stack, riley);
  await page.goto(`${base}/requests/${approved.id}`);
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  await context.close();
  approvedId = approved.id;
  twinId = twin.id;
  paramsHash = approved.params_hash;
}

/** The auditor in a new browser context: signed in through the OIDC flow once, then with the saved session. */
async function auditorPage(browser: Browser, viewport = DESKTOP, opts: { timezoneId?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, ...opts, ...(auditorState ? { storageState: auditorState } : {}) });
  const page = await context.newPage();
  if (!auditorState) {
    await signInWithOkta(page, stack, audrey);
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

/** Waits until every event is sealed (the timeline shows the chain) and returns them all. */
async function sealedEvents(page: Page): Promise<ApiEvent[]> {
  let events: ApiEvent[] = [];
  await expect(async () => {
    const health = await page.request.get(`${base}/api/audit/events?limit=1`);
    expect(health.status()).toBe(200);
    events = await apiEvents(page, {});
    // Each request has its request.created; the approved one its vote and approval.
    expect(events.filter((e) => e.type === "request.created").length).toBe(totalRequests);
    expect(events.some((e) => e.type === "request.approved" && e.request_id === approvedId)).toBe(true);
  }).toPass({ timeout: 15_000 });
  return events;
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

/** `YYYY-MM-DD HH:mm:ss` of an instant in a zone, as the console writes it. */
function wallClock(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

for (const [label, viewport] of [
  ["1440", DESKTOP],
  ["390", MOBILE],
] as const) {
  test(`inbox at ${label} px: the filter menus show the URL's filters, and rows have a visible focus ring`, async ({ browser }, info) => {
    const page = await auditorPage(browser, viewport);
    await page.goto(`${base}/?environment=staging`);
    await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();
    const filters = page.getByRole("group", { name: "Filters" });
    await expect(filters.getByLabel("Environment")).toHaveValue("staging");
    await expect(filters.getByLabel("Environment").locator("option:checked")).toHaveText("staging");
    await expect(page.getByTestId("inbox-item")).toHaveCount(2);
    for (const item of await page.getByTestId("inbox-item").all()) await expect(item).toContainText("staging");

    // A value no pending request has (reads in qa were auto-approved) still shows, over an empty list.
    await page.goto(`${base}/?environment=qa&risk=low&agent=${reportBot.id}`);
    await expect(filters.getByLabel("Environment").locator("option:checked")).toHaveText("qa");
    await expect(filters.getByLabel("Risk")).toHaveValue("low");
    await expect(filters.getByLabel("Agent").locator("option:checked")).toHaveText("report-bot");
    await expect(page.getByText("Nothing matches these filters.")).toBeVisible();

    // Choosing from a menu writes the URL, and the menus follow the URL when it changes.
    await page.goto(`${base}/?environment=staging`);
    await filters.getByLabel("Agent").selectOption({ label: "report-bot" });
    await expect(page).toHaveURL(new RegExp(`agent=${reportBot.id}`));
    await expect(page.getByTestId("inbox-item")).toHaveCount(1);
    await expect(filters.getByLabel("Environment")).toHaveValue("staging");
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await expect(page).toHaveURL(`${base}/`);
    await expect(filters.getByLabel("Agent")).toHaveValue("");
    await expect(filters.getByLabel("Environment")).toHaveValue("");
    await page.goto(`${base}/?environment=staging`);

    // Keyboard focus on a row's link draws a ring around the whole row.
    const first = page.getByTestId("inbox-item").first();
    await first.getByRole("link").focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    await expect(first.getByRole("link")).toBeFocused();
    const ring = await first.evaluate((el) => {
      const s = getComputedStyle(el);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor };
    });
    expect(ring.style).toBe("solid");
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(ring.color).not.toBe("rgba(0, 0, 0, 0)");
    await expectAccessible(page);
    await screenshot(page, info, `inbox-${label}`);
    await page.context().close();
  });
}

test("timeline: the request-id filter typed into the form shows exactly that request's events; free text finds them by the id; params_hash filter", async ({ browser }, info) => {
  const page = await auditorPage(browser);
  const everything = await sealedEvents(page);
  const mine = everything.filter((e) => e.request_id === approvedId);
  expect(new Set(mine.map((e) => e.type))).toEqual(new Set(["request.created", "review.approved", "request.approved"]));

  await page.goto(`${base}/audit`);
  const requestField = page.getByLabel("Request ID");
  // Half an id is refused in place, and the view does not change.
  await requestField.fill(approvedId.slice(0, 13));
  await requestField.press("Enter");
  await expect(page.getByText("A request id is a whole UUID")).toBeVisible();
  await expect(requestField).toHaveAttribute("aria-invalid", "true");
  expect(new URL(page.url()).search).toBe("");
  await requestField.fill(approvedId);
  await requestField.press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]request=${approvedId}(&|$)`));
  await expectRows(page, mine);
  expect(await apiEvents(page, { request: approvedId })).toEqual(mine);
  await expectAccessible(page);
  await screenshot(page, info, "timeline-request-1440");

  // Free text: the id pasted into the search finds the same events.
  await page.getByRole("button", { name: "Reset" }).click();
  await expect(page).toHaveURL(`${base}/audit`);
  const search = page.getByLabel("Search events");
  await search.fill(approvedId);
  await search.press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]q=${approvedId}(&|$)`));
  await expectRows(page, mine);

  // params_hash: the events of both requests filed with the same parameters, and no other.
  await page.getByRole("button", { name: "Reset" }).click();
  const twins = everything.filter((e) => e.request_id === approvedId || e.request_id === twinId);
  expect(twins.length).toBeGreaterThan(mine.length);
  const hashField = page.getByLabel("Params hash");
  await hashField.fill(paramsHash);
  await hashField.press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]params_hash=${paramsHash}(&|$)`));
  await expectRows(page, twins);
  await expect(hashField).toHaveValue(paramsHash);
  await page.context().close();

  // The same view on a phone.
  const phone = await auditorPage(browser, MOBILE);
  await phone.goto(`${base}/audit?request=${approvedId}`);
  await expectRows(phone, mine);
  await expect(phone.getByLabel("Request ID")).toHaveValue(approvedId);
  // The table scrolls inside its own named, focusable region; the page itself does not widen.
  const scroller = phone.getByRole("region", { name: "Audit events table" });
  await scroller.focus();
  await expect(scroller).toBeFocused();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(MOBILE.width);
  await expectAccessible(phone);
  await screenshot(phone, info, "timeline-request-390");
  await phone.context().close();
});

test("event page: previous and next step through the filtered view in chain order, or through the whole chain", async ({ browser }) => {
  const page = await auditorPage(browser);
  const mine = (await sealedEvents(page)).filter((e) => e.request_id === approvedId).sort((a, b) => a.seq! - b.seq!);
  await page.goto(`${base}/audit?request=${approvedId}`);
  await rowsOf(page).filter({ has: page.locator('td[data-column="type"]', { hasText: /^request\.created$/ }) }).click();
  await expect(page.getByTestId("event-type")).toHaveText("request.created");
  await expect(page.getByTestId("step-scope")).toContainText(`request=${approvedId}`);
  await expect(page.getByTestId("previous-event")).toHaveText(/No previous event/);
  for (const e of mine.slice(1)) {
    await page.getByRole("link", { name: /Next event/ }).click();
    await expect(page.getByTestId("event-type")).toHaveText(e.type);
    await expect(page.getByTestId("event-seq")).toHaveText(`#${e.seq}`);
    await expect(page).toHaveURL(new RegExp(`/audit/${e.id}\\?request=${approvedId}$`));
  }
  await expect(page.getByTestId("next-event")).toHaveText(/No next event/);
  await page.getByRole("link", { name: /Previous event/ }).click();
  await expect(page.getByTestId("event-seq")).toHaveText(`#${mine[mine.length - 2]!.seq}`);
  await expectAccessible(page);

  // Without filters: the neighbours in the whole chain, one position either side.
  const middle = mine[1]!;
  await page.goto(`${base}/audit/${middle.id}`);
  await expect(page.getByTestId("step-scope")).toHaveText(/through the whole timeline/);
  await expect(page.getByTestId("previous-event")).toContainText(`#${middle.seq! - 1}`);
  await expect(page.getByTestId("next-event")).toContainText(`#${middle.seq! + 1}`);
  await page.getByRole("link", { name: /Next event/ }).click();
  await expect(page.getByTestId("event-seq")).toHaveText(`#${middle.seq! + 1}`);

  // The event page links to its request's events, which the filter form then shows.
  await page.goto(`${base}/audit/${middle.id}`);
  await page.getByTestId("request-events-link").click();
  await expect(page).toHaveURL(`${base}/audit?request=${approvedId}`);
  await expect(page.getByLabel("Request ID")).toHaveValue(approvedId);
  await page.context().close();
});

test("times: UTC by default; Local shows the browser's zone, persists, and the export stays UTC", async ({ browser }) => {
  const page = await auditorPage(browser, DESKTOP, { timezoneId: ZONE });
  // Hydration mismatches (React error #418/#423/#425 in production) would show here.
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && /hydrat|#41[89]|#42[35]/i.test(m.text())) problems.push(m.text());
  });
  await page.goto(`${base}/audit?request=${approvedId}`);
  const toggle = page.getByTestId("time-zone-toggle");
  await expect(page.getByRole("radio", { name: "UTC" })).toBeChecked();
  await expect(toggle).toHaveAttribute("data-zone", "UTC");
  await expect(page.getByRole("columnheader", { name: /Time \(UTC\)/ })).toBeVisible();
  const time = page.getByTestId("event-time").first();
  const iso = (await time.getAttribute("datetime"))!;
  const shown = async () => ((await time.textContent()) ?? "").replace(/\s+/g, "");
  const compact = (s: string) => s.replace(" ", "").replace(/\s+/g, "");
  // The cell shows the time, then the date.
  expect(await shown()).toBe(compact(`${wallClock(iso, "UTC").slice(11)}${wallClock(iso, "UTC").slice(0, 10)}`));

  // The browser names its zone as its ICU does (Chromium says Asia/Calcutta for Asia/Kolkata).
  const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  expect(["Asia/Kolkata", "Asia/Calcutta"]).toContain(browserZone);
  await toggle.locator("label", { hasText: /^Local/ }).click();
  await expect(toggle).toHaveAttribute("data-zone", browserZone);
  await expect(page.getByRole("radio", { name: `Local (${browserZone})` })).toBeChecked();
  await expect(page.getByRole("columnheader", { name: `Time (${browserZone})` })).toBeVisible();
  const local = wallClock(iso, ZONE);
  expect(local).not.toBe(wallClock(iso, "UTC"));
  await expect.poll(shown).toBe(compact(`${local.slice(11)}${local.slice(0, 10)}`));

  // The choice persists (a cookie): a reload and the event page use it too.
  await page.reload();
  await expect(page.getByRole("radio", { name: /Local/ })).toBeChecked();
  await expect.poll(shown).toBe(compact(`${local.slice(11)}${local.slice(0, 10)}`));
  await rowsOf(page).first().click();
  // The timeline's rows carry event-time too: wait for the event page before reading it.
  await expect(page).toHaveURL(/\/audit\/\d+/);
  await expect(page.getByTestId("event-time")).toContainText("UTC+05:30");
  const eventIso = (await page.getByTestId("event-time").getAttribute("datetime"))!;
  await expect(page.getByTestId("event-time")).toHaveText(`${wallClock(eventIso, ZONE)} UTC+05:30`);
  await page.goBack();

  // The export is unchanged: UTC instants.
  const href = await page.getByRole("link", { name: "Export NDJSON" }).getAttribute("href");
  const exported = await page.request.get(`${base}${href}`);
  expect(exported.status()).toBe(200);
  const rows = (await exported.text()).trim().split("\n").slice(0, -1).map((l) => JSON.parse(l) as { occurred_at: string });
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // Back to UTC; a new browser (no cookie) starts in UTC.
  await toggle.locator("label", { hasText: /^UTC$/ }).click();
  await expect(toggle).toHaveAttribute("data-zone", "UTC");
  await expect.poll(shown).toBe(compact(`${wallClock(iso, "UTC").slice(11)}${wallClock(iso, "UTC").slice(0, 10)}`));
  await expectAccessible(page);
  expect(problems).toEqual([]);
  await page.context().close();
});

test("Requests: not clipped at 1440 px, filters in the URL, and pages beyond 100 with a total", async ({ browser }, info) => {
  const page = await auditorPage(browser);
  await page.goto(`${base}/requests`);
  await expect(page.getByRole("heading", { name: "Requests" })).toBeVisible();
  const region = page.getByRole("region", { name: "Requests table" });
  const rows = page.getByTestId("request-row");
  await expect(rows).toHaveCount(50);
  const fit = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right }));
  expect(fit.scroll).toBeLessThanOrEqual(fit.client);
  expect(fit.right).toBeLessThanOrEqual(DESKTOP.width);
  const summary = page.getByTestId("requests-summary");
  await expect(summary).toHaveText(`1–50 of ${totalRequests} requests, newest first.`);
  await expectAccessible(page);
  await screenshot(page, info, "requests-1440");

  // Page through all of it: each request once, newest first.
  const seen: string[] = [];
  const ids = () => rows.evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.requestId!));
  seen.push(...(await ids()));
  await page.getByRole("link", { name: /Older/ }).click();
  await expect(summary).toHaveText(`51–100 of ${totalRequests} requests, newest first.`);
  seen.push(...(await ids()));
  await page.getByRole("link", { name: /Older/ }).click();
  await expect(summary).toHaveText(`101–${totalRequests} of ${totalRequests} requests, newest first.`);
  await expect(rows).toHaveCount(totalRequests - 100);
  seen.push(...(await ids()));
  expect(new Set(seen).size).toBe(totalRequests);
  await expect(page.getByText("Older", { exact: false }).last()).toHaveAttribute("aria-disabled", "true");
  await page.getByRole("link", { name: /Newer/ }).click();
  await expect(summary).toHaveText(`51–100 of ${totalRequests} requests, newest first.`);
  expect(await ids()).toEqual(seen.slice(50, 100));

  // Filters: each one written to the URL, the rows and the total follow.
  const filters = page.getByRole("group", { name: "Filters" });
  await filters.getByLabel("Environment").selectOption("staging");
  await expect(page).toHaveURL(/[?&]environment=staging(&|$)/);
  await expect(page).not.toHaveURL(/after=|before=/);
  await expect(summary).toHaveText("1–2 of 2 requests matching the filters, newest first.");
  await filters.getByLabel("Agent").selectOption({ label: "report-bot" });
  await expect(page).toHaveURL(new RegExp(`agent=${reportBot.id}`));
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("svc/search");
  await filters.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(`${base}/requests`);

  await filters.getByLabel("Status").selectOption("approved");
  await expect(page).toHaveURL(/[?&]status=approved(&|$)/);
  await expect(rows).toHaveCount(2); // the approved release and the auto-approved read
  for (const row of await rows.all()) await expect(row.locator('td[data-column="status"]')).toHaveText("approved");
  await filters.getByLabel("Status").selectOption("");
  await filters.getByLabel("Risk").selectOption("low");
  await expect(page).toHaveURL(/[?&]risk=low(&|$)/);
  const action = filters.getByLabel("Action contains");
  await action.fill("BATCH.job");
  await action.press("Enter");
  await expect(page).toHaveURL(/[?&]action=BATCH\.job(&|$)/);
  const low = BATCH - 1; // all but the first use
  await expect(summary).toHaveText(`1–50 of ${low} requests matching the filters, newest first.`);
  await page.getByRole("link", { name: /Older/ }).click();
  await expect(summary).toHaveText(`51–100 of ${low} requests matching the filters, newest first.`);
  await page.getByRole("link", { name: /Older/ }).click();
  await expect(summary).toHaveText(`101–${low} of ${low} requests matching the filters, newest first.`);
  for (const cell of await page.locator('[data-testid="request-row"] td[data-column="action"] a').allTextContents()) expect(cell).toBe("batch.job.run");
  // The URL alone reproduces the view, menus included.
  const shared = page.url();
  const other = await auditorPage(browser);
  await other.goto(shared);
  await expect(other.getByTestId("requests-summary")).toHaveText(`101–${low} of ${low} requests matching the filters, newest first.`);
  await expect(other.getByRole("group", { name: "Filters" }).getByLabel("Risk")).toHaveValue("low");
  await expect(other.getByRole("group", { name: "Filters" }).getByLabel("Action contains")).toHaveValue("BATCH.job");
  await other.context().close();
  await page.context().close();

  // On a phone the table scrolls sideways in a named region that takes keyboard focus.
  const phone = await auditorPage(browser, MOBILE);
  await phone.goto(`${base}/requests`);
  const phoneRegion = phone.getByRole("region", { name: "Requests table" });
  await expect(phone.getByTestId("request-row")).toHaveCount(50);
  const narrow = await phoneRegion.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(narrow.scroll).toBeGreaterThan(narrow.client);
  await phoneRegion.focus();
  await expect(phoneRegion).toBeFocused();
  await phone.keyboard.press("ArrowRight");
  await expect.poll(() => phoneRegion.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
  const outside = await phone.evaluate(() => document.documentElement.scrollWidth);
  expect(outside).toBeLessThanOrEqual(MOBILE.width);
  await expectAccessible(phone);
  await screenshot(phone, info, "requests-390");
  await phone.context().close();
});
