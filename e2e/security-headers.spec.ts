// The console works under a strict, nonce-based Content-Security-Policy (no violation while a
// reviewer signs in through the OIDC stand-in and approves), a fresh nonce per page, and every kind
// of response — pages, Next's API routes, the agent API on its direct path — carries the security
// headers: no framing, no sniffing, a referrer policy, HSTS in production.
import { expect, test } from "@playwright/test";
import { approveOnPage, person, signInWithOkta, startConsole, type ConsoleStack } from "./support/console";

const riley = person("riley", ["platform-oncall"]);
let stack: ConsoleStack;
let base = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  stack = await startConsole({ prefix: "countersign_headers", agentOwner: "priya@acme.test" });
  base = stack.base;
});

test.afterAll(async () => {
  await stack?.stop();
});

const csp = (res: Response) => res.headers.get("content-security-policy") ?? "";
const nonceOf = (policy: string) => /'nonce-([^']+)'/.exec(policy)?.[1];

test("every response carries the security headers; pages get a strict CSP with a fresh nonce", async () => {
  const first = await fetch(`${base}/signin`);
  const second = await fetch(`${base}/signin`);
  for (const res of [first, second]) {
    expect(csp(res)).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'(;|$)/);
    expect(csp(res)).toContain("frame-ancestors 'none'");
    expect(csp(res)).toContain("object-src 'none'");
    expect(csp(res)).not.toContain("unsafe-eval");
  }
  expect(nonceOf(csp(first))).not.toBe(nonceOf(csp(second)));
  // The page's own scripts carry this response's nonce.
  const html = await (await fetch(`${base}/signin`)).text();
  expect(html).toMatch(/<script[^>]+nonce="[^"]+"/);

  const responses = {
    page: first,
    "api route": await fetch(`${base}/api/health`),
    "agent api (npm start's direct path)": await fetch(`${base}/api/v1/requests/${crypto.randomUUID()}`),
    openapi: await fetch(`${base}/api/openapi.json`),
  };
  for (const [what, res] of Object.entries(responses)) {
    expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(res.headers.get("x-frame-options"), what).toBe("DENY");
    expect(res.headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("strict-transport-security"), what).toContain("max-age=");
  }
});

test("the console works under the CSP: sign in through the provider, browse, approve — no violation", async ({ page }) => {
  // Chromium reports every violation on the console, on every page the test passes through.
  const reported: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) reported.push(`${page.url()}: ${m.text()}`);
  });
  await page.addInitScript(() => {
    (window as unknown as { __violations: string[] }).__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as unknown as { __violations: string[] }).__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const res = await fetch(`${base}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.service.release", resource: "svc/csp", environment: "staging", intent: "Release under a strict CSP", context: { v: 1 } }),
  });
  const { id } = (await res.json()) as { id: string };

  await signInWithOkta(page, stack, riley);
  await expect(page.getByText("Live")).toBeVisible(); // the event stream connected (connect-src)
  await page.goto(`${base}/requests/${id}`);
  await approveOnPage(page);
  await expect(page.getByRole("status").filter({ hasText: "Vote recorded" })).toContainText("approved");
  await page.goto(`${base}/audit`);
  await expect(page.getByRole("heading", { name: /audit/i }).first()).toBeVisible();
  await page.getByLabel("Risk level").selectOption("medium"); // client-side filter code (zod) runs
  await expect(page).toHaveURL(/risk=medium/);
  for (const path of ["/requests", "/policy", "/account"]) await page.goto(`${base}${path}`);
  expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
  expect(reported).toEqual([]);
});
