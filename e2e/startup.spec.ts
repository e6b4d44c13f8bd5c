// Start-up refuses bad configuration with a message a human can act on, and exits non-zero
// (production build, real `next start` processes).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { freePort, PLACEHOLDER_SIGN_IN, serverEnv, START_ARGS, startProcess } from "./support/servers";
const UNUSED_DB = "postgres://postgres@127.0.0.1:5432/countersign_never_opened";

async function startAndWaitForExit(env: Record<string, string | undefined>) {
  const port = await freePort();
  const server = startProcess("bad-config", port, START_ARGS, serverEnv(UNUSED_DB, port, env));
  const exit = await Promise.race([
    server.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running:\n${server.output()}`)), 30_000)),
  ]);
  return { exit, output: server.output() };
}

test("a bad policy file stops the server with one line per problem", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cs-policy-")), "policy.yaml");
  fs.writeFileSync(
    file,
    [
      "version: 1",
      "roles: {admin: [a], reviewer: [b], auditor: [c]}",
      "approver_groups: {security: [b]}",
      "rules:",
      "  - name: iam",
      '    match: {action: "iam.**"}',
      "    decision: require_approval",
      "    risk: 60",
      "    approvers: [secuirty]",
      "    grant_window: forever",
    ].join("\n"),
  );
  const { exit, output } = await startAndWaitForExit({ COUNTERSIGN_POLICY: file });
  expect(exit.code).toBe(1);
  expect(output).toContain("Countersign failed to start");
  expect(output).toMatch(/policy\.yaml:10:\d+ rules\[0\]\.grant_window: /);
  expect(output).not.toMatch(/\n\s+at .*\(.*\.js:\d+/); // no stack trace
});

test("production without a sign-in provider or AUTH_SECRET refuses to start and names the variables", async () => {
  const { exit, output } = await startAndWaitForExit({
    AUTH_SECRET: undefined,
    AUTH_OKTA_ID: undefined,
    AUTH_OKTA_SECRET: undefined,
    AUTH_OKTA_ISSUER: undefined,
    AUTH_GITHUB_ID: undefined,
    AUTH_GITHUB_SECRET: undefined,
  });
  expect(exit.code).toBe(1);
  expect(output).toContain("AUTH_SECRET is required in production");
  expect(output).toContain("No sign-in provider is configured");
  expect(output).toContain("AUTH_OKTA_ISSUER");
});

test("production with GitHub sign-in but no AUTH_GITHUB_ORGS refuses to start: any GitHub user could sign in", async () => {
  const { exit, output } = await startAndWaitForExit({ ...PLACEHOLDER_SIGN_IN, AUTH_GITHUB_ORGS: undefined });
  expect(exit.code).toBe(1);
  expect(output).toContain("AUTH_GITHUB_ORGS is required in production with GitHub sign-in");
  expect(output).not.toMatch(/\n\s+at .*\(.*\.js:\d+/);
});

test("production without COUNTERSIGN_WEBHOOK_SECRET refuses to start and says how to make one", async () => {
  const { exit, output } = await startAndWaitForExit({ COUNTERSIGN_WEBHOOK_SECRET: undefined });
  expect(exit.code).toBe(1);
  expect(output).toContain("Countersign failed to start");
  expect(output).toContain("COUNTERSIGN_WEBHOOK_SECRET: required in production (openssl rand -base64 33)");
});

test("production on PostgreSQL without COUNTERSIGN_SIGNING_KEY refuses to start and says how to make one", async () => {
  const { exit, output } = await startAndWaitForExit({
    COUNTERSIGN_SIGNING_KEY: undefined,
    COUNTERSIGN_SIGNING_KEY_ID: undefined,
    COUNTERSIGN_AUDIT_MAC_KEY: undefined,
  });
  expect(exit.code).toBe(1);
  expect(output).toContain("Countersign failed to start");
  expect(output).toContain("COUNTERSIGN_SIGNING_KEY: required in production with PostgreSQL");
  expect(output).toContain("openssl genpkey -algorithm ed25519");
  expect(output).not.toMatch(/\n\s+at .*\(.*\.js:\d+/);
});
