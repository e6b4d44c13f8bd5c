// The admin CLI as an operator runs it: a real process on a fresh embedded database.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireDataDirLock } from "@/db/data-dir-lock";
import { resetEnvCache, webhookMasterSecret } from "@/lib/config/env";
import { agentWebhookSecret } from "@/lib/notify/webhook-signature";

const exec = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-cli-"));
const dataDir = path.join(tmp, "pglite");

async function cli(
  args: string[],
  dir = dataDir,
  extraEnv: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "", COUNTERSIGN_DATA_DIR: dir, COUNTERSIGN_POLICY: "tests/fixtures/policy.yaml", ...extraEnv };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  try {
    const { stdout, stderr } = await exec(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("countersign CLI", () => {
  let key = "";
  let agentId = "";
  beforeAll(async () => {
    const created = await cli(["--json", "agents", "create", "--name", "deploy-bot", "--owner", "Priya@Acme.test"]);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { id: string; key: string; owner: string; name: string };
    key = body.key;
    agentId = body.id;
    expect(body).toMatchObject({ name: "deploy-bot", owner: "priya@acme.test" });
  });

  it("prints the key once, in the documented format, and stores only its hash", async () => {
    expect(key).toMatch(/^cs_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const list = await cli(["--json", "agents", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(key.split("_")[2]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: "deploy-bot", status: "active" })]);
  });

  it("agents webhook-secret prints the agent's signing secret, derived from the master secret and the agent id", async () => {
    // This process and the CLI see the same environment: the configured master or the development default.
    resetEnvCache();
    const byName = await cli(["--json", "agents", "webhook-secret", "deploy-bot"]);
    expect(byName.code).toBe(0);
    const expected = agentWebhookSecret(webhookMasterSecret(), agentId);
    expect(JSON.parse(byName.stdout)).toEqual({ id: agentId, name: "deploy-bot", webhook_secret: expected });
    expect(expected).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const master = "another-master-secret-for-the-cli-test-0123456789";
    const byId = await cli(["agents", "webhook-secret", agentId], dataDir, { COUNTERSIGN_WEBHOOK_SECRET: master });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain(agentWebhookSecret(master, agentId));
    expect(byId.stdout).not.toContain(expected);

    // In production there is no development default: the command names the missing variable.
    const prod = await cli(["agents", "webhook-secret", agentId], dataDir, { NODE_ENV: "production", COUNTERSIGN_WEBHOOK_SECRET: undefined });
    expect(prod.code).toBe(1);
    expect(prod.stderr).toContain("COUNTERSIGN_WEBHOOK_SECRET: required in production");
    expect(prod.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(prod.stdout).not.toContain("whsec_");
  });

  it("refuses a duplicate name and invalid input with a clear message and exit code 1", async () => {
    const dup = await cli(["agents", "create", "--name", "deploy-bot", "--owner", "a@acme.test"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('An agent named "deploy-bot" already exists.');
    const bad = await cli(["--json", "agents", "create", "--name", "x", "--owner", "not-an-email"]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe("invalid_request");
  });

  it("revokes, and revoking twice is a conflict", async () => {
    const revoked = await cli(["--json", "agents", "revoke", "deploy-bot"]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).revoked_at).toMatch(/^\d{4}-/);
    const again = await cli(["agents", "revoke", "deploy-bot"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already revoked");
    const list = await cli(["--json", "agents", "list"]);
    expect(JSON.parse(list.stdout)[0].status).toBe("revoked");
  });

  it("policy check: ok for the shipped policy, one line per problem for a bad one", async () => {
    const ok = await cli(["--json", "policy", "check", "policy.yaml"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const badFile = path.join(tmp, "bad.yaml");
    fs.writeFileSync(badFile, "version: 1\nroles: {admin: [a], reviewer: [b], auditor: [c]}\napprover_groups: {x: [b]}\nrules:\n  - name: r\n    match: {action: 'a.*'}\n    decision: require_approval\n    risk: 500\n    approvers: [nope]\n");
    const bad = await cli(["policy", "check", badFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:8:\d+ rules\[0\]\.risk/);
  });

  it("audit verify walks the chain the CLI itself wrote", async () => {
    const res = await cli(["--json", "audit", "verify"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, unsealed: 0, broken: null });
    expect(JSON.parse(res.stdout).sealed).toBeGreaterThanOrEqual(2);
  });

  it("audit verify says what it checked; checkpoints go to the sink beside the embedded data directory", async () => {
    const res = await cli(["audit", "verify"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Checked:\n {2}chain {4}\d+ sealed events: hash links and each event's MAC\n/);
    expect(res.stdout).toMatch(/signed {3}\d+ checkpoints in the database, [1-9]\d* in the sink .*checkpoints\.jsonl/);
    expect(res.stdout).toMatch(/requests 0 rows reconciled with their sealed events/);
    expect(res.stdout).toMatch(/\nOK: chain verified up to #\d+ \(head [0-9a-f]{64}\); 0 events not yet sealed\.$/m);
    const sink = fs.readFileSync(path.join(tmp, "checkpoints", "checkpoints.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(sink[0]!)).toMatchObject({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/), jws: expect.any(String) });
  });

  it("audit verify runs in production without the webhook secret (it signs nothing)", async () => {
    const res = await cli(["--json", "audit", "verify"], dataDir, { NODE_ENV: "production", COUNTERSIGN_WEBHOOK_SECRET: undefined });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, broken: null });
  });

  it("will not open the embedded database while another process (the console) holds it", async () => {
    const dir = path.join(tmp, "busy");
    fs.mkdirSync(dir, { recursive: true });
    const lock = await acquireDataDirLock(dir);
    try {
      const res = await cli(["agents", "list"], dir);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("is in use by another Countersign process");
      const json = await cli(["--json", "agents", "list"], dir);
      expect(JSON.parse(json.stdout).error.code).toBe("database_in_use");
    } finally {
      await lock.release();
    }
  });
});
