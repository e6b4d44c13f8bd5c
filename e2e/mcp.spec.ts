// The MCP side (issue: MCP gateway and tools server) against a real `npm start` server on real
// PostgreSQL, driven by the MCP SDK's own Client over stdio. The gateway runs a fake downstream
// MCP server (e2e/fixtures/mcp/fake-server.mjs) that logs every call it receives, so "forwarded
// once, with exactly the approved arguments" and "never forwarded" are read from what reached it:
// tools/list passes through unchanged; a held call answers "pending approval" and its repeat
// returns the outcome (forwarded once after an approval, never after a denial, an expiry or a
// policy refusal); `--wait` returns the result in the same call; other arguments never ride on an
// old approval; pass-through and auto-approved tools run at once. The tools server completes
// request → approve → wait → claim (grant verified) → report.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type TestInfo } from "@playwright/test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import postgres from "postgres";
import { Countersign, paramsHash, verifyGrant } from "@countersign/sdk";
import { startAgentSide, type AgentSide } from "./support/agent-side";
import { REPO_ROOT, sleep } from "./support/servers";

test.describe.configure({ mode: "serial" });

const CLI = path.join(REPO_ROOT, "sdk", "bin", "countersign.js");
const FAKE = path.join(REPO_ROOT, "e2e", "fixtures", "mcp", "fake-server.mjs");
const MAP = path.join(REPO_ROOT, "e2e", "fixtures", "mcp", "map.yaml");
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

type Connected = { client: Client; stderr: () => string; logFile: string };

let side: AgentSide;
let cs: Countersign;
let sql: postgres.Sql;
let dir: string;
let gateway: Connected;
let waiting: Connected;
const opened: Connected[] = [];

/** Spawns `countersign mcp …` as an agent's MCP client would, and connects to it. */
async function connect(args: string[], logFile = ""): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "mcp", ...args],
    cwd: REPO_ROOT,
    // The gateway's environment: the agent key, and the downstream's credential (FAKE_OPS_TOKEN).
    env: { ...(process.env as Record<string, string>), ...side.agentEnv, FAKE_OPS_TOKEN: "ops-secret" },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(transport);
  const connected = { client, stderr: () => err, logFile };
  opened.push(connected);
  return connected;
}

function startGateway(name: string, extra: string[] = []): Promise<Connected> {
  const logFile = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(logFile, "");
  return connect(["gateway", "--server", "fake", "--map", MAP, ...extra, "--", process.execPath, FAKE, logFile], logFile);
}

/** What reached the downstream server: one entry per tools/call it received. */
function received(g: Connected, tool?: string): { tool: string; arguments: Record<string, unknown> }[] {
  const lines = fs.readFileSync(g.logFile, "utf8").split("\n").filter(Boolean);
  return lines.map((l) => JSON.parse(l)).filter((e) => !tool || e.tool === tool);
}

async function call(g: Connected, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await g.client.callTool({ name, arguments: args })) as CallToolResult;
}

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** A "pending approval" answer: not an error, names the request and its console page. Returns the request id. */
function pendingId(r: CallToolResult): string {
  const text = textOf(r);
  expect(r.isError ?? false, text).toBe(false);
  expect(text).toContain("Pending approval");
  const id = text.match(new RegExp(`Request: (${UUID.source})`))?.[1];
  expect(id, text).toBeTruthy();
  expect(text).toContain(`${side.url}/requests/${id}`);
  return id!;
}

/** Requests the gateway filed for one tool call's arguments (a count in the database, not a belief). */
async function filedFor(tool: string, args: Record<string, unknown>) {
  return sql<{ id: string; status: string; action: string }[]>`
    select id, status, action from requests
    where context = ${sql.json({ tool, arguments: args } as postgres.JSONValue)} order by created_at`;
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-mcp-"));
  side = await startAgentSide({ prefix: "countersign_e2e_mcp" });
  cs = new Countersign({ url: side.url, key: side.agent.key });
  sql = postgres(side.database.url, { max: 2, onnotice: () => {} });
  [gateway, waiting] = await Promise.all([startGateway("gateway"), startGateway("waiting", ["--wait", "20"])]);
});

test.afterEach(async ({}, testInfo: TestInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const [i, c] of opened.entries()) await testInfo.attach(`mcp-${i}.stderr`, { body: c.stderr(), contentType: "text/plain" });
  for (const s of side.servers) await testInfo.attach(`server-${s.name}.log`, { body: s.output(), contentType: "text/plain" });
});

test.afterAll(async () => {
  for (const c of opened) await c.client.close().catch(() => undefined);
  await sql?.end({ timeout: 5 });
  await side?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("tools/list through the gateway equals the downstream server's own list", async () => {
  const direct = new Client({ name: "e2e-direct", version: "1.0.0" });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [FAKE, path.join(dir, "direct.jsonl")], cwd: REPO_ROOT }));
  try {
    const own = await direct.listTools();
    expect(own.tools.length).toBeGreaterThan(3);
    expect(await gateway.client.listTools()).toEqual(own);
  } finally {
    await direct.close();
  }
});

test("a held call answers pending, its repeat forwards once after the approval, and a further repeat needs a new one", async () => {
  const args = { service: "web", version: "1.2.3" };
  const id = pendingId(await call(gateway, "deploy", args));
  expect(pendingId(await call(gateway, "deploy", args))).toBe(id);
  expect(received(gateway, "deploy")).toEqual([]);
  expect(await filedFor("deploy", args)).toEqual([{ id, status: "pending", action: "mcp.fake.deploy" }]);

  await side.approve(id);
  const done = await call(gateway, "deploy", args);
  expect(done.isError ?? false).toBe(false);
  expect(textOf(done)).toBe("deployed web@1.2.3");
  expect(received(gateway, "deploy").map((e) => e.arguments)).toEqual([args]);
  const executed = await cs.getRequest(id);
  expect(executed.status).toBe("executed");
  expect(executed.result?.status).toBe("succeeded");

  // Spent: the same call again is a new request, and nothing more reaches the server.
  const again = pendingId(await call(gateway, "deploy", args));
  expect(again).not.toBe(id);
  expect(received(gateway, "deploy")).toHaveLength(1);
});

test("other arguments never run under an approval: they file their own request", async () => {
  const approved = { service: "shop", version: "2.0.0" };
  const id = pendingId(await call(gateway, "deploy", approved));
  // Same arguments in another key order are the same call.
  expect(pendingId(await call(gateway, "deploy", { version: "2.0.0", service: "shop" }))).toBe(id);
  await side.approve(id);

  const swapped = { service: "shop", version: "6.6.6" };
  const other = pendingId(await call(gateway, "deploy", swapped));
  expect(other).not.toBe(id);
  expect(received(gateway, "deploy").filter((e) => e.arguments.service === "shop")).toEqual([]);
  expect((await cs.getRequest(id)).status).toBe("approved");

  expect(textOf(await call(gateway, "deploy", approved))).toBe("deployed shop@2.0.0");
  expect(received(gateway, "deploy").filter((e) => e.arguments.service === "shop").map((e) => e.arguments)).toEqual([approved]);
  expect((await cs.getRequest(other)).status).toBe("pending");
});

test("--wait: an approval during the wait is forwarded once and answered in the same call", async () => {
  const args = { service: "api", version: "3.0.0" };
  const started = Date.now();
  const pending = call(waiting, "deploy", args);
  let filed: { id: string }[] = [];
  await expect.poll(async () => (filed = await filedFor("deploy", args)).length, { timeout: 10_000 }).toBe(1);
  await sleep(500);
  await side.approve(filed[0]!.id);
  const result = await pending;
  expect(textOf(result)).toBe("deployed api@3.0.0");
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(received(waiting, "deploy").map((e) => e.arguments)).toEqual([args]);
  expect((await cs.getRequest(filed[0]!.id)).status).toBe("executed");
});

test("a denial is a tool error with the reviewer's note, and the call never reaches the server", async () => {
  const args = { service: "billing", version: "4.0.0" };
  const id = pendingId(await call(gateway, "deploy", args));
  await side.deny(id, "Not during the change freeze");
  const denied = await call(gateway, "deploy", args);
  expect(denied.isError).toBe(true);
  expect(textOf(denied)).toContain("Not during the change freeze");
  expect(textOf(denied)).toContain("Rita Reviewer");
  expect(received(gateway, "deploy").filter((e) => e.arguments.service === "billing")).toEqual([]);
});

test("an expired request is a tool error and never reaches the server", async () => {
  const args = { service: "cache" };
  const id = pendingId(await call(gateway, "restart", args));
  await expect.poll(async () => (await cs.getRequest(id)).status, { timeout: 10_000, intervals: [500] }).toBe("expired");
  const expired = await call(gateway, "restart", args);
  expect(expired.isError).toBe(true);
  expect(textOf(expired)).toMatch(/deadline/i);
  expect(received(gateway, "restart")).toEqual([]);
});

test("a policy refusal is a tool error at once and never reaches the server", async () => {
  const refused = await call(gateway, "drop_table", { table: "orders" });
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toContain("Refused by policy rule no-prod-db-drops");
  expect(received(gateway, "drop_table")).toEqual([]);
  expect(await filedFor("drop_table", { table: "orders" })).toEqual([expect.objectContaining({ status: "denied", action: "db.orders.drop" })]);
});

test("a pass tool runs at once with the gateway's credentials; an auto-approved tool runs at once, filed and claimed", async () => {
  const status = await call(gateway, "read_status", { service: "web" });
  expect(textOf(status)).toBe("status of web: ok; token present; countersign key withheld");
  expect(received(gateway, "read_status").map((e) => e.arguments)).toEqual([{ service: "web" }]);
  expect(await filedFor("read_status", { service: "web" })).toEqual([]);

  const logs = await call(gateway, "get_logs", { service: "web", lines: 20 });
  expect(textOf(logs)).toBe("logs of web: all quiet");
  expect(received(gateway, "get_logs").map((e) => e.arguments)).toEqual([{ service: "web", lines: 20 }]);
  const [filed, ...more] = await filedFor("get_logs", { service: "web", lines: 20 });
  expect(more).toEqual([]);
  expect(filed).toMatchObject({ status: "executed", action: "mcp.fake.logs.read" });
  expect((await cs.getRequest(filed!.id)).result?.status).toBe("succeeded");
});

test("--http: the gateway serves the same tools over streamable HTTP on loopback, and holds calls the same way", async () => {
  const logFile = path.join(dir, "http.jsonl");
  fs.writeFileSync(logFile, "");
  const child = spawn(process.execPath, [CLI, "mcp", "gateway", "--http", "0", "--server", "fake", "--map", MAP, "--", process.execPath, FAKE, logFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...side.agentEnv, FAKE_OPS_TOKEN: "ops-secret" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const client = new Client({ name: "e2e-http", version: "1.0.0" });
  try {
    let err = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        const m = err.match(/http:\/\/127\.0\.0\.1:\d+\/mcp/);
        if (m) resolve(m[0]);
      });
      child.once("exit", (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect(await client.listTools()).toEqual(await gateway.client.listTools());
    const http: Connected = { client, stderr: () => err, logFile };
    const args = { service: "edge", version: "7.0.0" };
    const id = pendingId(await call(http, "deploy", args));
    expect(pendingId(await call(http, "deploy", args))).toBe(id);
    await side.approve(id);
    expect(textOf(await call(http, "deploy", args))).toBe("deployed edge@7.0.0");
    expect(received(http).map((e) => e.arguments)).toEqual([args]);
  } finally {
    await client.close().catch(() => undefined);
    child.kill("SIGTERM");
  }
});

test("the tools server: request_approval → approve → wait_for_decision → claim_approval (grant verifies) → report_result", async () => {
  const tools = await connect(["tools"]);
  const names = (await tools.client.listTools()).tools.map((t) => t.name).sort();
  expect(names).toEqual(["claim_approval", "get_request", "report_result", "request_approval", "wait_for_decision"]);
  const use = async (name: string, args: Record<string, unknown>) => {
    const r = (await tools.client.callTool({ name, arguments: args })) as CallToolResult;
    return { isError: r.isError ?? false, body: JSON.parse(textOf(r)) as Record<string, unknown> };
  };

  const request = { action: "deploy.service", resource: "svc://mcp-tools", environment: "staging", intent: "Roll out 5.0", context: { image: "shop:5.0" } };
  const filed = await use("request_approval", request);
  expect(filed.isError).toBe(false);
  const id = filed.body.id as string;
  expect(filed.body).toMatchObject({ status: "pending", console_url: `${side.url}/requests/${id}` });

  const early = await use("wait_for_decision", { id, timeout_seconds: 1 });
  expect(early.body).toMatchObject({ outcome: "pending", status: "pending" });

  await side.approve(id, { note: "Ship it" });
  const decided = await use("wait_for_decision", { id, timeout_seconds: 10 });
  expect(decided.body).toMatchObject({ outcome: "approved", status: "approved" });

  // Parameters other than the approved ones are refused before anything is claimed.
  const mismatch = await use("claim_approval", { id, context: { image: "shop:evil" } });
  expect(mismatch).toMatchObject({ isError: true, body: { error: "params_mismatch" } });
  expect((await cs.getRequest(id)).status).toBe("approved");

  const claimed = await use("claim_approval", { id, context: { image: "shop:5.0" } });
  expect(claimed.isError).toBe(false);
  const verified = await verifyGrant(claimed.body.grant as string, {
    url: side.url,
    expect: { request_id: id, params_hash: await paramsHash(request), action: request.action },
  });
  expect(verified.ok).toBe(true);
  expect(await use("claim_approval", { id })).toMatchObject({ isError: true });

  const reported = await use("report_result", { id, status: "succeeded", detail: { replicas: 3 } });
  expect(reported.isError).toBe(false);
  const done = await use("get_request", { id });
  expect(done.body).toMatchObject({ status: "executed", result: { status: "succeeded", detail: { replicas: 3 } } });
});
