// Every console form submitted through its real page, as React posts it (hidden $ACTION_ fields
// and all): invalid input shows its error at its field with what was typed kept, valid input does
// what it says. Agents (register, rotate, revoke), people (end sessions, link), account (personal
// token, Slack unlink) and sign out. Production build, real PostgreSQL, real OIDC sign-in.
import { expect, test, type Browser, type Page } from "@playwright/test";
import postgres from "postgres";
import { person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";

const ada = person("ada", ["countersign-admins"]);
const riley = person("riley", ["platform-oncall"]);
const rachel = person("rachel", ["platform-oncall"]);
let stack: ConsoleStack;
let sql: postgres.Sql;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_forms", agentOwner: "priya@acme.test" });
  sql = postgres(stack.db.url, { max: 2, onnotice: () => {} });
});

test.afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await stack?.stop();
});

/** Records the bodies of the form posts the page makes (server actions, with or without JavaScript). */
function actionPosts(page: Page): string[] {
  const posts: string[] = [];
  page.on("request", (req) => {
    if (req.method() === "POST" && req.url().startsWith(stack.base)) posts.push(req.postData() ?? "");
  });
  return posts;
}

/** A key's standing with the agent API: 404 for an unknown request means the key was accepted. */
async function keyStatus(key: string): Promise<number> {
  const res = await fetch(`${stack.server.url}/api/v1/requests/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${key}` } });
  return res.status;
}

async function signedIn(browser: Browser, who: typeof ada): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInWithOkta(page, stack, who);
  return page;
}

test("agents: register (errors at their fields, typed input kept), rotate the key, revoke", async ({ page, browser }) => {
  const posts = actionPosts(page);
  await signInWithOkta(page, stack, ada);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Agents" }).click();
  await expect(page).toHaveTitle("Agents — Countersign");
  const form = page.getByRole("form", { name: "Register an agent" });
  const name = form.getByLabel("Name");
  const owner = form.getByLabel("Owner e-mail");
  const description = form.getByLabel("Description");

  // Invalid name and owner: each error at its field, nothing typed is lost.
  await name.fill("Nightly Report!");
  await owner.fill("not-an-email");
  await description.fill("Ships the nightly revenue report");
  await form.getByRole("button", { name: "Register agent" }).click();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(/lower-case letters, digits, dot, dash and underscore/);
  await expect(owner).toHaveAttribute("aria-invalid", "true");
  await expect(owner).toHaveAccessibleDescription(/.+/);
  await expect(description).not.toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveValue("Nightly Report!");
  await expect(owner).toHaveValue("not-an-email");
  await expect(description).toHaveValue("Ships the nightly revenue report");

  // A name already taken: said at the name.
  await name.fill("deploy-bot");
  await owner.fill("marco@acme.test");
  await form.getByRole("button", { name: "Register agent" }).click();
  await expect(name).toHaveAccessibleDescription(/an agent named "deploy-bot" already exists/);
  await expect(owner).not.toHaveAttribute("aria-invalid", "true");
  await expect(owner).toHaveValue("marco@acme.test");

  // Valid: registered, the key shown once and working, the form cleared.
  await name.fill("nightly-report");
  await form.getByRole("button", { name: "Register agent" }).click();
  const key = (await page.getByTestId("new-agent-key").textContent()) ?? "";
  expect(key).toMatch(/^cs_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole("status")).toContainText("Agent nightly-report registered");
  await expect(name).toHaveValue("");
  await expect(description).toHaveValue("");
  expect(await keyStatus(key)).toBe(404);
  const row = page.getByRole("row", { name: /nightly-report/ });
  await expect(row).toContainText("marco@acme.test");

  // Rotate: confirmed, a new key shown once; the old key stops working.
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Rotate the key of nightly-report" }).click();
  const rotated = (await page.getByTestId("rotated-agent-key").textContent()) ?? "";
  expect(rotated).toMatch(/^cs_/);
  expect(rotated).not.toBe(key);
  expect(await keyStatus(key)).toBe(401);
  expect(await keyStatus(rotated)).toBe(404);

  // Cancelling the confirmation sends nothing.
  const before = posts.length;
  page.once("dialog", (d) => void d.dismiss());
  await row.getByRole("button", { name: "Revoke nightly-report" }).click();
  await expect(row).toContainText("active");
  expect(posts.length).toBe(before);

  // Revoke from a second tab, then rotate on this (stale) page: the refusal is shown at that form.
  const other = await signedIn(browser, ada);
  await other.goto(`${stack.base}/agents`);
  other.once("dialog", (d) => void d.accept());
  await other.getByRole("row", { name: /nightly-report/ }).getByRole("button", { name: "Revoke nightly-report" }).click();
  await expect(other.getByRole("row", { name: /nightly-report/ })).toContainText("revoked");
  expect(await keyStatus(rotated)).toBe(401);
  await other.context().close();

  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Rotate the key of nightly-report" }).click();
  await expect(page.getByRole("form", { name: "Rotate the key of nightly-report" }).getByRole("alert")).toContainText('Agent "nightly-report" is revoked.');
});

test("a form posted before the page hydrates carries React's $ACTION_ fields, and is accepted", async ({ page, browser }) => {
  await signInWithOkta(page, stack, ada);
  // The app's script bundles never load (as on a slow `next dev` page, before hydration): the
  // server-rendered form posts natively, hidden $ACTION_ fields and all.
  const noJs = await browser.newContext({ storageState: await page.context().storageState() });
  await noJs.route("**/_next/static/chunks/**", (route) => route.abort());
  const plain = await noJs.newPage();
  const posts = actionPosts(plain);
  await plain.goto(`${stack.base}/agents`);
  const form = plain.getByRole("form", { name: "Register an agent" });
  await form.getByLabel("Name").fill("Not Valid");
  await form.getByLabel("Owner e-mail").fill("marco@acme.test");
  await form.getByRole("button", { name: "Register agent" }).click();
  await expect(plain.getByRole("form", { name: "Register an agent" }).getByLabel("Name")).toHaveAccessibleDescription(/lower-case letters/);
  expect(posts.at(-1)).toContain("$ACTION_");

  await plain.getByRole("form", { name: "Register an agent" }).getByLabel("Name").fill("prehydration-bot");
  await plain.getByRole("form", { name: "Register an agent" }).getByLabel("Owner e-mail").fill("marco@acme.test");
  await plain.getByRole("form", { name: "Register an agent" }).getByRole("button", { name: "Register agent" }).click();
  expect(posts.at(-1)).toContain("$ACTION_");
  const key = (await plain.getByTestId("new-agent-key").textContent()) ?? "";
  expect(await keyStatus(key)).toBe(404);
  await noJs.close();
});

test("people: end a person's sessions; link two people (errors at their fields, choices kept)", async ({ page, browser }) => {
  const rileyPage = await signedIn(browser, riley);
  const rachelPage = await signedIn(browser, rachel);
  await rachelPage.context().close();
  await signInWithOkta(page, stack, ada);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "People" }).click();
  await expect(page).toHaveTitle("People — Countersign");

  await page.getByRole("button", { name: "End every session of Riley" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Ended 1 session\./ })).toBeVisible();
  await rileyPage.reload();
  await expect(rileyPage).toHaveURL(/\/signin/);
  await rileyPage.context().close();

  const form = page.getByRole("form", { name: "Link two people" });
  const from = form.getByLabel("This person…");
  const into = form.getByLabel("…is the same person as");
  await form.getByRole("button", { name: "Link" }).click();
  await expect(from).toHaveAccessibleDescription("choose the person to link");
  await expect(into).toHaveAccessibleDescription("choose who they are");

  await from.selectOption({ label: "Riley — riley@acme.test" });
  await into.selectOption({ label: "Riley — riley@acme.test" });
  await form.getByRole("button", { name: "Link" }).click();
  await expect(into).toHaveAccessibleDescription("choose someone other than the person on the left");
  await expect(from).not.toHaveAttribute("aria-invalid", "true");
  await expect(from.locator("option:checked")).toHaveText("Riley — riley@acme.test");

  await into.selectOption({ label: "Rachel — rachel@acme.test" });
  await form.getByRole("button", { name: "Link" }).click();
  await expect(form.getByRole("status")).toHaveText("Linked: their identities now count as one person.");
  await expect(into).not.toHaveAttribute("aria-invalid", "true");
  const merged = await sql`select count(*)::int as n from people where merged_into is not null`;
  expect(merged[0]!.n).toBe(1);
});

test("account: a personal token (errors at their fields, typed input kept) and unlinking a Slack account", async ({ page, browser }) => {
  await signInWithOkta(page, stack, ada);
  const [identity] = await sql<{ person_id: string }[]>`select person_id from identities where subject = ${ada.sub}`;
  await sql`insert into slack_links (team_id, user_id, person_id, linked_at) values ('T0FORMS', 'U0ADA', ${identity!.person_id}, now())`;
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Account" }).click();
  await expect(page).toHaveTitle("Account — Countersign");

  const form = page.getByRole("form", { name: "Create a personal token" });
  const name = form.getByLabel("Name");
  await form.getByRole("checkbox", { name: /read/ }).uncheck();
  await form.getByRole("checkbox", { name: /decide/ }).uncheck();
  await form.getByLabel("Expires in").selectOption("90");
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(name).toHaveAccessibleDescription("give the token a name");
  await expect(form.getByText("choose at least one scope")).toBeVisible();
  await expect(form.getByLabel("Expires in")).toHaveValue("90");
  await expect(form.getByRole("checkbox", { name: /read/ })).not.toBeChecked();

  await name.fill("forms laptop");
  await form.getByRole("checkbox", { name: /read/ }).check();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-reviewer-token")).toHaveText(/^cst_|^cs/);
  await expect(name).toHaveValue("");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke the token forms laptop" }).click();
  await expect(page.getByRole("button", { name: "Revoke the token forms laptop" })).toHaveCount(0);

  // Unlink from a stale second tab after this one unlinked: the refusal is said at that form.
  const stale = await signedIn(browser, ada);
  await stale.goto(`${stack.base}/account`);
  await page.getByRole("button", { name: "Unlink Slack member U0ADA in workspace T0FORMS" }).click();
  await expect(page.getByRole("button", { name: "Unlink Slack member U0ADA in workspace T0FORMS" })).toHaveCount(0);
  expect(await sql`select 1 from slack_links where user_id = 'U0ADA'`).toHaveLength(0);
  await stale.getByRole("button", { name: "Unlink Slack member U0ADA in workspace T0FORMS" }).click();
  await expect(stale.getByRole("form", { name: "Unlink Slack member U0ADA" }).getByRole("alert")).toHaveText("That Slack account is not linked to you.");
  await stale.context().close();
});

test("a vote on the request page: a denial without a note errors at the note; with one it is recorded", async ({ page }) => {
  const filed = await fetch(`${stack.server.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service", resource: "svc/forms", environment: "staging", intent: "Forms spec: a vote", context: { version: "1.2.3" } }),
  });
  expect(filed.status).toBe(201);
  const { id } = (await filed.json()) as { id: string };
  await signInWithOkta(page, stack, riley);
  await page.goto(`${stack.base}/requests/${id}`);
  const note = page.getByLabel(/^Note/);
  // Whitespace is no note: the server says so at the field, and what was typed stays.
  await note.fill("   ");
  await page.getByRole("button", { name: "Deny", exact: true }).click();
  await expect(page.locator("#note-error")).toContainText("required");
  await expect(note).toHaveAttribute("aria-invalid", "true");
  await expect(note).toHaveValue("   ");
  await note.fill("Staging is frozen for the load test.");
  await page.getByRole("button", { name: "Deny", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("request is denied");
  const [row] = await sql<{ status: string }[]>`select status from requests where id = ${id}`;
  expect(row!.status).toBe("denied");
});

test("sign out ends the session", async ({ page }) => {
  await signInWithOkta(page, stack, ada);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto(`${stack.base}/agents`);
  await expect(page).toHaveURL(/\/signin/);
});

test("on a phone (390 px): the agent form's errors sit at their fields, in view, with what was typed", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInWithOkta(page, stack, ada);
  await page.goto(`${stack.base}/agents`);
  const form = page.getByRole("form", { name: "Register an agent" });
  await form.getByLabel("Name").fill("Phone Bot");
  await form.getByLabel("Owner e-mail").fill("marco@acme.test");
  await form.getByRole("button", { name: "Register agent" }).click();
  const error = form.getByText("lower-case letters, digits, dot, dash and underscore");
  await expect(error).toBeInViewport();
  await expect(form.getByLabel("Name")).toHaveValue("Phone Bot");
  await expect(form.getByLabel("Owner e-mail")).toHaveValue("marco@acme.test");
  const box = await form.getByLabel("Name").boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
});
