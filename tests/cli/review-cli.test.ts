// `countersign review` as a reviewer runs it: the real CLI in its own process (the SDK's source,
// through tsx) against the reviewer API served over HTTP by the same routing table `npm start`
// serves, on an embedded database. The token comes from the account page's core; every refusal is
// the server's, printed, with a non-zero exit.
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentApi } from "@/app/api/_lib/agent-api";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { createReviewerToken } from "@/lib/auth/reviewer-tokens";
import { resetEnvCache } from "@/lib/config/env";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { createRequest } from "@/lib/requests/lifecycle";
import { getRequestView } from "@/lib/requests/read";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import { makeAgent, personOf, requestBody, reviewer, viewerAs } from "../support/fixtures";

const exec = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-review-cli-"));
let server: http.Server;
let url = "";

beforeAll(async () => {
  process.env.COUNTERSIGN_KEYS_DIR = path.join(tmp, "keys");
  process.env.COUNTERSIGN_DATA_DIR = "memory://";
  resetEnvCache();
  wireRequestEffects();
  const policyPath = path.join(process.cwd(), "tests", "fixtures", "policy.yaml");
  setActivePolicyForTests(parsePolicy(fs.readFileSync(policyPath, "utf8"), policyPath));
  const handle = await openDatabase({ dataDir: "memory://" });
  await migrateDatabase(handle);
  setDatabaseForProcess(handle);
  server = http.createServer(getRequestListener(agentApi.fetch, { overrideGlobalObjects: false }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await closeDatabase();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function review(args: string[], token: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, COUNTERSIGN_URL: url, COUNTERSIGN_REVIEWER_TOKEN: token };
  if (token === undefined) delete env.COUNTERSIGN_REVIEWER_TOKEN;
  try {
    const { stdout, stderr } = await exec(path.resolve("node_modules/.bin/tsx"), ["sdk/src/cli/main.ts", "review", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function tokenOf(name: string, groups: string[], scopes: ("read" | "decide")[] = ["read", "decide"]) {
  const who = reviewer(name, groups);
  const viewer = { ...(await viewerAs(who)), personId: await personOf(who) };
  return { who, token: (await createReviewerToken(viewer, { name: "terminal", scopes })).token };
}

describe("countersign review", () => {
  it("list prints a table of what you may decide; show prints the request whole; approve decides it", async () => {
    const { token } = await tokenOf("riley", ["platform-oncall"]);
    const { agent } = await makeAgent();
    const context = { image: "payments-api:v2.41.0", steps: ["drain", "deploy", "verify"], nested: { deep: { value: 42 } } };
    const { request } = await createRequest(agent, requestBody({ environment: "staging", context }));

    const list = await review(["list"], token);
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+ACTION\s+RESOURCE\s+ENVIRONMENT\s+RISK\s+APPROVALS\s+DEADLINE\s+YOU MAY$/);
    const row = rows.find((r) => r.startsWith(request.id));
    expect(row).toMatch(new RegExp(`^${request.id}\\s+deploy\\.service\\.release\\s+svc/payments-api\\s+staging\\s+\\w+ \\d+\\s+0/1\\s+in \\d+m\\s+approve/deny$`));

    const json = JSON.parse((await review(["list", "--json"], token)).stdout) as { items: { id: string }[] };
    expect(json.items.map((i) => i.id)).toContain(request.id);

    const shown = await review(["show", request.id], token);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(JSON.stringify(context, null, 2));
    expect(shown.stdout).toContain("you may approve: yes");

    const approved = await review(["approve", request.id, "--note", "checked the image"], token);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`You approved ${request.id}`);
    expect(approved.stdout).toContain("now approved");
    const view = await getRequestView(request.id);
    expect(view?.reviews).toEqual([expect.objectContaining({ decision: "approve", note: "checked the image", channel: "api" })]);

    // Again: the server's refusal, printed, exit 1.
    const again = await review(["approve", request.id], token);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already approved.*already_decided/);
  });

  it("refusals exit non-zero with the server's words: self-approval, not eligible, step-up, deny without a note", async () => {
    const { who, token } = await tokenOf("sam", ["platform-oncall"]);
    const mine = (await createRequest((await makeAgent(who.email)).agent, requestBody({ environment: "staging" }))).request;
    const self = await review(["approve", mine.id], token);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/you own the agent that filed it.*self_approval/);

    const iam = (await createRequest((await makeAgent()).agent, requestBody({ action: "iam.role.update", environment: "staging" }))).request;
    const notEligible = await review(["approve", iam.id, "--json"], token);
    expect(notEligible.code).toBe(1);
    expect(JSON.parse(notEligible.stderr)).toMatchObject({ error: { code: "not_eligible" } });

    const secret = (await createRequest((await makeAgent()).agent, requestBody({ action: "secrets.kv.rotate", environment: "staging" }))).request;
    const stepUp = await review(["approve", secret.id], token);
    expect(stepUp.code).toBe(1);
    expect(stepUp.stderr).toMatch(/personal token cannot give: approve it in the Countersign console/);

    const noNote = await review(["deny", secret.id], token);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toMatch(/--note/);
    const denied = await review(["deny", secret.id, "--note", "not this week"], token);
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stdout).toContain("now denied");
  });

  it("a missing or refused token is a usage error (exit 2), and a read token cannot vote (exit 1)", async () => {
    const missing = await review(["list"], undefined);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/COUNTERSIGN_REVIEWER_TOKEN is not set/);
    const unknown = await review(["list"], `csr_zzzzzzzzzzzz_${"A".repeat(43)}`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/reviewer token \(COUNTERSIGN_REVIEWER_TOKEN\) was refused: Unknown reviewer token/);

    const { token } = await tokenOf("rey", ["platform-oncall"], ["read"]);
    const request = (await createRequest((await makeAgent()).agent, requestBody({ environment: "staging" }))).request;
    const refused = await review(["approve", request.id], token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/insufficient_scope/);
  });
});
