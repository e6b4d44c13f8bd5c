// What the console specs share: a production server on its own PostgreSQL database, signed in to
// through the local OIDC provider standing in for Okta, with one agent registered by the CLI.
import { expect, type Page } from "@playwright/test";
import { startOidcProvider, type OidcProvider, type OidcUser } from "./oidc";
import { createAgentWithCli, createTestDatabase, startServers, stopServers, type AppServer, type RegisteredAgent, type TestDatabase } from "./servers";

/** A person at acme.test as the provider signs them in (Okta-style `groups` claim). */
export const person = (name: string, groups: string[]): OidcUser => ({
  sub: `00u${name}`,
  email: `${name}@acme.test`,
  name: name[0]!.toUpperCase() + name.slice(1),
  groups,
});

export type ConsoleStack = {
  oidc: OidcProvider;
  db: TestDatabase;
  server: AppServer;
  /** The server's URL on `localhost`: Next resolves redirects against it, and Auth.js cookies stay valid on one origin. */
  base: string;
  agent: RegisteredAgent;
  stop(): Promise<void>;
};

export async function startConsole(opts: { prefix: string; agentOwner: string; env?: Record<string, string> }): Promise<ConsoleStack> {
  const oidc = await startOidcProvider();
  const db = await createTestDatabase({ prefix: opts.prefix });
  let server: AppServer | undefined;
  const stop = async () => {
    if (server) await stopServers([server]);
    await db.drop();
    await oidc.stop();
  };
  try {
    [server] = await startServers(1, {
      databaseUrl: db.url,
      env: {
        AUTH_SECRET: "e2e-secret-e2e-secret-e2e-secret-e2e-secret",
        AUTH_OKTA_ID: "countersign-e2e",
        AUTH_OKTA_SECRET: "e2e-client-secret",
        AUTH_OKTA_ISSUER: oidc.issuer,
        ...opts.env,
      },
    });
    const agent = await createAgentWithCli(db.url, { name: "deploy-bot", owner: opts.agentOwner });
    return { oidc, db, server: server!, base: server!.url.replace("127.0.0.1", "localhost"), agent, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** Signs `user` in through the real authorization-code flow: redirected to sign-in, then back to the inbox. */
export async function signInWithOkta(page: Page, stack: Pick<ConsoleStack, "oidc" | "base">, user: OidcUser): Promise<void> {
  stack.oidc.nextUser(user);
  await page.goto(`${stack.base}/`);
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("button", { name: "Sign in with Okta" }).click();
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeVisible();
}

/**
 * Votes Approve on an open request page. High- and critical-risk approvals ask for a confirmation
 * first (the Approve button then opens a dialog, `aria-haspopup="dialog"`): this confirms it.
 */
export async function approveOnPage(page: Page): Promise<void> {
  const approve = page.getByRole("button", { name: "Approve", exact: true });
  const confirms = (await approve.getAttribute("aria-haspopup")) === "dialog";
  await approve.click();
  if (confirms) await page.getByRole("dialog").getByRole("button", { name: "Confirm approval" }).click();
}
