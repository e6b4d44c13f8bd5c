// The command gate (`countersign run -- <command>`), as an agent's operator runs it: the real CLI
// (sdk/bin, built) as a child process against real `npm start` servers on PostgreSQL, reviewers
// deciding from this process. The gated command is a small `node -e` script that appends to a
// file, so "it ran exactly once" and "it never ran" are read off the disk, not the gate's word.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import canonicalize from "canonicalize";
import { compactVerify, createRemoteJWKSet } from "jose";
import postgres from "postgres";
import { startOidcIssuer, type OidcIssuer } from "../tests/support/oidc-issuer";
import { startAgentSide, type AgentSide } from "./support/agent-side";
import { REPO_ROOT, sleep, TEST_POLICY } from "./support/servers";

test.describe.configure({ mode: "serial" });

const BIN = path.join(REPO_ROOT, "sdk", "bin", "countersign.js");
const NODE = process.execPath;

let side: AgentSide;
let work: string;
/** A local OIDC issuer the servers trust for the agent "gate-pipeline" (--oidc-token-file). */
let issuer: OidcIssuer;
let sql: postgres.Sql;
const gates: ChildProcess[] = [];

test.beforeAll(async () => {
  test.setTimeout(90_000);
  if (!fs.existsSync(path.join(REPO_ROOT, "sdk", "dist", "cli", "main.js"))) throw new Error("Build the SDK first: npm run build -w @countersign/sdk");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-gate-"));
  issuer = await startOidcIssuer();
  const policy = path.join(work, "policy.yaml");
  fs.writeFileSync(
    policy,
    `${fs.readFileSync(TEST_POLICY, "utf8")}\nworkload_identities:\n  - issuer: ${issuer.url}\n    audience: countersign\n    match: { repository: "acme/*" }\n    agent: gate-pipeline\n`,
  );
  side = await startAgentSide({ prefix: "gate", env: { COUNTERSIGN_POLICY: policy, COUNTERSIGN_OIDC_ALLOW_LOOPBACK_HTTP_ISSUERS: "true" } });
  sql = postgres(side.database.url, { max: 1, onnotice: () => {} });
});

test.afterEach(() => {
  for (const g of gates.splice(0)) if (g.exitCode === null && g.signalCode === null) g.kill("SIGKILL");
});

test.afterAll(async () => {
  await sql?.end();
  await side?.close();
  await issuer?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

type Gate = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The request id from `countersign: filed request <id>`, once printed. */
  filedId: () => Promise<string>;
  /** Resolves once `pattern` appears on the stream. */
  waitFor: (stream: "stdout" | "stderr", pattern: RegExp) => Promise<void>;
};

/** `countersign <args>` as the agent (agentEnv), stdin fed `stdin` then closed. */
function countersign(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}): Gate {
  const child = spawn(NODE, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, ...side.agentEnv, ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  gates.push(child);
  child.stdin!.end(opts.stdin ?? "");
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = async (stream: "stdout" | "stderr", pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (pattern.test(stream === "stdout" ? out : err)) return;
      if (done || Date.now() > deadline) throw new Error(`never saw ${pattern} on ${stream} (exited: ${done}):\nstdout: ${out}\nstderr: ${err}`);
      await sleep(25);
    }
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor,
    async filedId() {
      await waitFor("stderr", /filed request [0-9a-f-]{36}/);
      return /filed request ([0-9a-f-]{36})/.exec(err)![1]!;
    },
  };
}

/** `run` with the required flags; `command` after `--`. */
const run = (flags: string[], command: string[], opts?: Parameters<typeof countersign>[1]) => countersign(["run", "--intent", "e2e: gate spec", ...flags, "--", ...command], opts);

/** A script that appends one JSON line (its stdin, grant, request id, one marker arg) to `file`, echoes, and exits `code`. */
const RECORDER = `
const fs = require("fs");
const [file, code] = process.argv.slice(1);
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  fs.appendFileSync(file, JSON.stringify({ input, grant: process.env.COUNTERSIGN_GRANT, id: process.env.COUNTERSIGN_REQUEST_ID, mode: process.env.MODE }) + "\\n");
  process.stdout.write("out:" + input.toUpperCase());
  process.stderr.write("err:from-the-command\\n");
  process.exit(Number(code));
});`;

const recorder = (file: string, code = 0) => [NODE, "-e", RECORDER, file, String(code)];
const tempFile = (name: string) => path.join(work, `${name}-${Math.random().toString(36).slice(2, 8)}.log`);
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);

type View = {
  id: string;
  status: string;
  params_hash: string;
  resource: string;
  context: Record<string, unknown>;
  result: { status: string; detail: Record<string, unknown> | null } | null;
};

async function getRequest(id: string): Promise<View> {
  const res = await fetch(`${side.url}/api/v1/requests/${id}`, { headers: { authorization: `Bearer ${side.agent.key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

async function fileRequest(action: string): Promise<View> {
  const res = await fetch(`${side.url}/api/v1/requests`, {
    method: "POST",
    headers: { authorization: `Bearer ${side.agent.key}`, "content-type": "application/json" },
    body: JSON.stringify({ action, resource: "orders", environment: "staging", intent: "e2e: status and wait", context: { n: Math.random() } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as View;
}

/** params_hash computed here, independently of the SDK: SHA-256 of RFC 8785 JSON. */
const hashOf = (p: { action: string; resource: string; environment: string; context: unknown }) =>
  createHash("sha256").update(canonicalize({ action: p.action, resource: p.resource, environment: p.environment, context: p.context })!).digest("hex");

const requestCount = async () => Number((await sql`select count(*)::int as n from requests where agent_id = ${side.agent.id}`)[0]!.n);

// ── the gate ──────────────────────────────────────────────────────────────────────────────────

test("--oidc-token-file: with no agent key at all, the workload's token files, claims and reports; a bad token exits before anything runs", async () => {
  const pipeline = await side.newAgent("gate-pipeline");
  const tokenFile = path.join(work, "oidc-token");
  fs.writeFileSync(tokenFile, await issuer.sign({ sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app" }));
  const file = tempFile("oidc");
  const gate = run(["--oidc-token-file", tokenFile, "--action", "logs.service.read", "--env", "staging", "--json"], recorder(file, 0), {
    env: { COUNTERSIGN_KEY: undefined },
  });
  expect(await gate.exited).toEqual({ code: 0, signal: null });
  expect(lines(file)).toHaveLength(1);
  const [row] = await sql<{ agent_id: string; status: string; result_status: string; workload_identity: Record<string, unknown> }[]>`
    select agent_id, status, result_status, workload_identity from requests where agent_id = ${pipeline.id}`;
  expect(row).toMatchObject({ status: "executed", result_status: "succeeded", workload_identity: { kind: "oidc", issuer: issuer.url, claims: { repository: "acme/app" } } });

  // Another org's token: the exchange is refused (401, the failing check named), nothing runs or is filed.
  fs.writeFileSync(tokenFile, await issuer.sign({ repository: "evil/app" }));
  const refused = run(["--oidc-token-file", tokenFile, "--action", "logs.service.read", "--env", "staging"], recorder(file, 0), { env: { COUNTERSIGN_KEY: undefined } });
  const exit = await refused.exited;
  expect(exit.code).not.toBe(0);
  expect(refused.stderr()).toMatch(/no_matching_identity/);
  expect(lines(file)).toHaveLength(1);
  expect((await sql`select count(*)::int as n from requests where agent_id = ${pipeline.id}`)[0]!.n).toBe(1);
});

test("approved: the command runs once after the claim, with the verified grant, its stdio, and its exit code reported", async () => {
  const file = tempFile("approved");
  const argv = recorder(file, 3);
  const gate = run(["--action", "db.migrate", "--env", "staging"], argv, { stdin: "hello gate\n" });
  const id = await gate.filedId();
  await gate.waitFor("stderr", /waiting for approval · 0 of 1 approvals · from platform-oncall · (1:00:00|59:\d\d) left/);
  expect(gate.stderr()).toContain(`review it at ${side.url}/requests/${id}`);
  expect(lines(file)).toEqual([]); // nothing runs before the approval
  await side.approve(id, { note: "Go ahead" });

  const exit = await gate.exited;
  expect(exit).toEqual({ code: 3, signal: null });
  // stdout is the command's alone; the gate spoke on stderr, around the command's own stderr.
  expect(gate.stdout()).toBe("out:HELLO GATE\n");
  expect(gate.stderr()).toContain("approved by Rita Reviewer (1 of 1)");
  expect(gate.stderr()).toContain("err:from-the-command\n");
  expect(gate.stderr()).toMatch(/command exited 3 after [\d.]+ s; reported failed/);

  const ran = lines(file).map((l) => JSON.parse(l) as { input: string; grant: string; id: string });
  expect(ran).toHaveLength(1);
  expect(ran[0]!.input).toBe("hello gate\n");
  expect(ran[0]!.id).toBe(id);

  // The grant in COUNTERSIGN_GRANT verifies with the server's JWKS and binds this exact argv and cwd.
  const view = await getRequest(id);
  const expected = hashOf({ action: "db.migrate", resource: "node", environment: "staging", context: { argv, cwd: work, env: {} } });
  expect(view.params_hash).toBe(expected);
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", side.url));
  const { payload, protectedHeader } = await compactVerify(ran[0]!.grant, jwks, { algorithms: ["EdDSA"] });
  const claims = JSON.parse(new TextDecoder().decode(payload)) as { sub: string; params_hash: string };
  expect(protectedHeader.typ).toBe("countersign-grant+jwt");
  expect(claims.sub).toBe(id);
  expect(claims.params_hash).toBe(expected);

  expect(view.status).toBe("executed");
  expect(view.result?.status).toBe("failed");
  expect(view.result?.detail).toMatchObject({ exit_code: 3, signal: null });
  expect(typeof view.result?.detail?.duration_ms).toBe("number");
});

test("auto-approved, --json, --env-var and --context: runs at once, exit 0 reported succeeded, the choices bound", async () => {
  const file = tempFile("read");
  const ctx = path.join(work, "ctx.json");
  fs.writeFileSync(ctx, JSON.stringify({ table: "orders", rows: 10 }));
  const argv = recorder(file, 0);
  const gate = run(["--action", "db.orders.read", "--env", "production", "--resource", "orders-db", "--env-var", "MODE=dry-run", "--context", ctx, "--json"], argv);
  expect(await gate.exited).toEqual({ code: 0, signal: null });
  expect(gate.stdout()).toBe("out:");

  const events = gate
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { event: string; id?: string; exit_code?: number; reported?: string });
  expect(events.map((e) => e.event)).toEqual(["filed", "approved", "running", "exit"]);
  const id = events[0]!.id!;
  expect(events[3]).toMatchObject({ exit_code: 0, reported: "succeeded" });
  expect(gate.stderr()).toContain("err:from-the-command\n");

  expect(lines(file).map((l) => (JSON.parse(l) as { mode: string }).mode)).toEqual(["dry-run"]);
  const view = await getRequest(id);
  expect(view.resource).toBe("orders-db");
  expect(view.context).toEqual({ argv, cwd: work, env: { MODE: "dry-run" }, params: { table: "orders", rows: 10 } });
  expect(view.status).toBe("executed");
  expect(view.result?.status).toBe("succeeded");
  expect(view.result?.detail).toMatchObject({ exit_code: 0 });
});

test("denied: the command never runs; the gate exits 3 naming the reviewer and their note", async () => {
  const file = tempFile("denied");
  const gate = run(["--action", "db.migrate", "--env", "staging"], recorder(file));
  const id = await gate.filedId();
  await side.deny(id, "Not during the freeze");
  expect((await gate.exited).code).toBe(3);
  expect(gate.stderr()).toContain('denied by Rita Reviewer: "Not during the freeze". Nothing ran.');
  expect(gate.stdout()).toBe("");
  expect(fs.existsSync(file)).toBe(false);
  expect((await getRequest(id)).status).toBe("denied");
});

test("expired: nobody decides before the deadline; the command never runs, exit 4", async () => {
  const file = tempFile("expired");
  const gate = run(["--action", "test.short.deadline", "--env", "staging"], recorder(file));
  const id = await gate.filedId();
  expect((await gate.exited).code).toBe(4);
  expect(gate.stderr()).toMatch(/nobody decided before the decision deadline \([^)]+\); the request expired\. Nothing ran\./);
  expect(fs.existsSync(file)).toBe(false);
  expect((await getRequest(id)).status).toBe("expired");
});

test("refused by policy: a prod db drop never runs, exit 5 naming the rule", async () => {
  const file = tempFile("refused");
  const gate = run(["--action", "db.orders.drop", "--env", "production"], recorder(file));
  expect((await gate.exited).code).toBe(5);
  expect(gate.stderr()).toContain("Refused by policy rule no-prod-db-drops");
  expect(fs.existsSync(file)).toBe(false);
});

test("signals: SIGTERM to the gate reaches the running command (exit 143, reported); SIGINT while waiting withdraws the request (exit 130)", async () => {
  const file = tempFile("signal");
  const script = `
const fs = require("fs");
const file = process.argv[1];
process.on("SIGTERM", () => {
  fs.appendFileSync(file, "got SIGTERM\\n");
  process.removeAllListeners("SIGTERM");
  process.kill(process.pid, "SIGTERM");
});
fs.appendFileSync(file, "started\\n");
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);`;
  const gate = run(["--action", "db.migrate", "--env", "staging"], [NODE, "-e", script, file]);
  const id = await gate.filedId();
  await side.approve(id);
  await gate.waitFor("stdout", /ready/);
  gate.child.kill("SIGTERM");
  expect(await gate.exited).toEqual({ code: 143, signal: null });
  expect(lines(file)).toEqual(["started", "got SIGTERM"]);
  const view = await getRequest(id);
  expect(view.result?.status).toBe("failed");
  expect(view.result?.detail).toMatchObject({ exit_code: null, signal: "SIGTERM" });

  const neverFile = tempFile("interrupted");
  const waiting = run(["--action", "db.migrate", "--env", "staging"], recorder(neverFile));
  const pendingId = await waiting.filedId();
  await waiting.waitFor("stderr", /waiting for approval/);
  waiting.child.kill("SIGINT");
  expect(await waiting.exited).toEqual({ code: 130, signal: null });
  expect(waiting.stderr()).toContain(`withdrew request ${pendingId}`);
  expect((await getRequest(pendingId)).status).toBe("cancelled");
  expect(fs.existsSync(neverFile)).toBe(false);
});

test("status and wait: a summary and the raw view; wait exits 0 on approval and 3 on denial", async () => {
  const pending = await fileRequest("deploy.service");
  const status = countersign(["status", pending.id]);
  expect((await status.exited).code).toBe(0);
  expect(status.stdout()).toMatch(new RegExp(`Request\\s+${pending.id}`));
  expect(status.stdout()).toMatch(/Status\s+pending \(waiting for approval · 0 of 1 approvals/);
  expect(status.stdout()).toMatch(/Action\s+deploy\.service on orders in staging/);

  const raw = countersign(["status", pending.id, "--json"]);
  expect((await raw.exited).code).toBe(0);
  expect(JSON.parse(raw.stdout())).toMatchObject({ id: pending.id, status: "pending", approvals: { count: 0, required: 1 } });

  const waiter = countersign(["wait", pending.id]);
  await waiter.waitFor("stderr", /waiting for approval/);
  await side.approve(pending.id, { as: "sam" });
  expect((await waiter.exited).code).toBe(0);
  expect(waiter.stderr()).toContain("approved by Sam Second (1 of 1)");

  const denied = await fileRequest("deploy.service");
  await side.deny(denied.id, "Wrong cluster");
  const waitDenied = countersign(["wait", denied.id]);
  expect((await waitDenied.exited).code).toBe(3);
  expect(waitDenied.stderr()).toContain('denied by Rita Reviewer: "Wrong cluster"');

  const missing = countersign(["status", "00000000-0000-4000-8000-000000000000"]);
  expect((await missing.exited).code).toBe(1);
});

test("idempotency: the same command under the same key is one request, and it runs once", async () => {
  const file = tempFile("idem");
  const key = `gate-idem-${Date.now()}`;
  const args = ["--action", "db.migrate", "--env", "staging", "--idempotency-key", key];
  const first = run(args, recorder(file));
  const id = await first.filedId();
  await side.approve(id);
  expect((await first.exited).code).toBe(0);

  const again = run(args, recorder(file));
  expect((await again.exited).code).toBe(7);
  expect(await again.filedId()).toBe(id);
  expect(again.stderr()).toContain("this approval was already used");
  expect(lines(file)).toHaveLength(1);
  expect(Number((await sql`select count(*)::int as n from requests where idempotency_key = ${key}`)[0]!.n)).toBe(1);
});

test("attacker's view: an approval for argv A cannot run argv B under the same key; A itself still runs", async () => {
  const fileA = tempFile("argv-a");
  const fileB = tempFile("argv-b");
  const key = `gate-bound-${Date.now()}`;
  const args = ["--action", "db.migrate", "--env", "staging", "--idempotency-key", key];

  // Filed for A; the gate gives up waiting (--timeout) and, under a key, leaves the request pending.
  const filing = run([...args, "--timeout", "1"], recorder(fileA));
  const id = await filing.filedId();
  expect((await filing.exited).code).toBe(9);
  expect((await getRequest(id)).status).toBe("pending");
  await side.approve(id);

  // B under A's key: refused before anything runs, and A's approval is not spent.
  const swapped = run(args, recorder(fileB));
  expect((await swapped.exited).code).toBe(7);
  expect(swapped.stderr()).toContain("already used for a different request");
  expect(fs.existsSync(fileB)).toBe(false);
  expect((await getRequest(id)).status).toBe("approved");

  // Same key, one extra argument: also a different request.
  const extended = run(args, [...recorder(fileB), "--force"]);
  expect((await extended.exited).code).toBe(7);
  expect(fs.existsSync(fileB)).toBe(false);

  const resumed = run(args, recorder(fileA));
  expect((await resumed.exited).code).toBe(0);
  expect(await resumed.filedId()).toBe(id);
  expect(lines(fileA)).toHaveLength(1);
  expect((await getRequest(id)).status).toBe("executed");
});

test("usage: no COUNTERSIGN_KEY, a missing flag or an unset --env-var exit 2, a program not on PATH 127, and nothing is filed", async () => {
  const file = tempFile("usage");
  const before = await requestCount();

  const noKey = run(["--action", "db.migrate", "--env", "staging"], recorder(file), { env: { COUNTERSIGN_KEY: undefined } });
  expect((await noKey.exited).code).toBe(2);
  expect(noKey.stderr()).toContain("COUNTERSIGN_KEY is not set");

  const noEnv = run(["--action", "db.migrate"], recorder(file));
  expect((await noEnv.exited).code).toBe(2);
  expect(noEnv.stderr()).toContain("required option '--env <environment>'");

  const unsetVar = run(["--action", "db.migrate", "--env", "staging", "--env-var", "COUNTERSIGN_E2E_UNSET"], recorder(file), { env: { COUNTERSIGN_E2E_UNSET: undefined } });
  expect((await unsetVar.exited).code).toBe(2);
  expect(unsetVar.stderr()).toContain("COUNTERSIGN_E2E_UNSET is not set");

  const badEnv = run(["--action", "db.migrate", "--env", "Prod!"], recorder(file));
  expect((await badEnv.exited).code).toBe(2);
  expect(badEnv.stderr()).toContain("environment");

  // A typo in the program is found before filing: no approval is spent on a command that cannot start.
  const typo = run(["--action", "db.migrate", "--env", "staging"], ["countersign-e2e-no-such-program", "--up"]);
  expect((await typo.exited).code).toBe(127);
  expect(typo.stderr()).toContain("countersign-e2e-no-such-program: no such executable on PATH; nothing was filed");

  expect(await requestCount()).toBe(before);
  expect(fs.existsSync(file)).toBe(false);
});
