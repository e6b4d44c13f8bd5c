// Real processes for end-to-end specs and the bench: a fresh PostgreSQL database per run, N
// production server instances (`npm start`: server.ts) on it, agents registered through the admin CLI, and a SIGTERM
// shutdown that must end in a clean exit. No Playwright imports, so `scripts/bench` reuses it.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { resetEnvCache } from "@/lib/config/env";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TEST_POLICY = path.join(REPO_ROOT, "tests", "fixtures", "policy.yaml");
export const PG_ADMIN_URL = process.env.COUNTERSIGN_TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** What `npm start` runs: the production server (server.ts), Next.js plus the direct agent API. */
export const START_ARGS = ["--import", "tsx", path.join(REPO_ROOT, "server.ts")];
/** `next start` on the same build: Next.js's own server and routing, no direct agent-API path. */
export const NEXT_START_ARGS = [path.join(REPO_ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "--hostname", "127.0.0.1"];
const CLI = path.join(REPO_ROOT, "scripts", "countersign.ts");

// Whatever happens to the test or bench process, never leave a server behind on a port.
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

// ── databases ─────────────────────────────────────────────────────────────────────────────────

export type TestDatabase = { name: string; url: string; drop(): Promise<void> };

/** Database URL for `name` on the same server as the admin URL. */
function urlFor(name: string, adminUrl = PG_ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates an empty database named `<prefix>_<timestamp>_<pid>[_suffix]`. The app migrates it at
 * start-up; pass `migrate: true` when something else (the bench baseline) writes to it first.
 * `adminUrl` names another PostgreSQL server (a spec's private one) than the shared test server.
 */
export async function createTestDatabase(
  opts: { prefix?: string; suffix?: string; migrate?: boolean; adminUrl?: string } = {},
): Promise<TestDatabase> {
  const adminUrl = opts.adminUrl ?? PG_ADMIN_URL;
  const name = [opts.prefix ?? "countersign_e2e", Date.now(), process.pid, opts.suffix].filter(Boolean).join("_");
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = urlFor(name, adminUrl);
  if (opts.migrate) await migrate(url);
  return {
    name,
    url,
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

async function migrate(url: string): Promise<void> {
  const { openDatabase } = await import("@/db/client");
  const { migrateDatabase } = await import("@/db/migrate");
  const handle = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    await migrateDatabase(handle);
  } finally {
    await handle.close();
  }
}

// ── servers ───────────────────────────────────────────────────────────────────────────────────

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; afterMs: number };

export type AppServer = {
  name: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process exits, however that happens. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export type StartOptions = {
  databaseUrl: string;
  /** Extra or overriding environment for the servers. */
  env?: Record<string, string | undefined>;
  /** How long to wait for `/api/health` to answer 200. */
  readyTimeoutMs?: number;
  /** Names used in error messages and logs: "A", "B", … by default. */
  names?: string[];
  /** What node runs: START_ARGS (`npm start`) unless given, e.g. NEXT_START_ARGS. */
  args?: string[];
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A production server refuses to start without a sign-in provider and AUTH_SECRET. Agent-API specs
 * and the bench never sign in, so placeholders do; console specs pass their own (an OIDC stub).
 */
export const PLACEHOLDER_SIGN_IN: Record<string, string> = {
  AUTH_SECRET: "e2e-placeholder-secret-not-for-production-0123456789",
  AUTH_GITHUB_ID: "e2e-placeholder",
  AUTH_GITHUB_SECRET: "e2e-placeholder",
  AUTH_GITHUB_ORGS: "e2e-placeholder-org",
};

/** The master webhook secret of every e2e process (production refuses to start without one). */
export const E2E_WEBHOOK_SECRET = "e2e-webhook-master-secret-not-for-production-0123";

/**
 * The evidence keys of every process this module spawns (production on PostgreSQL refuses to start
 * without them): an Ed25519 signing key (PKCS#8 PEM, with a fixed kid), an audit MAC key, and the
 * public JWKS that verifies what the servers sign. Generated once per test or bench process.
 */
export const E2E_KEYS = (() => {
  const kid = "e2e-signing-key";
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signingKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const macKey = `e2e-mac:${randomBytes(32).toString("base64")}`;
  const { kty, crv, x } = publicKey.export({ format: "jwk" });
  return {
    kid,
    signingKeyPem,
    macKey,
    jwks: { keys: [{ kty: kty!, crv: crv!, x: x!, kid, alg: "EdDSA", use: "sig" }] },
    /** The variables that hand them to a process. */
    env: { COUNTERSIGN_SIGNING_KEY: signingKeyPem, COUNTERSIGN_SIGNING_KEY_ID: kid, COUNTERSIGN_AUDIT_MAC_KEY: macKey },
  };
})();

// Specs that also act through the domain modules in this process (a decision, a revocation) sign
// and MAC with the servers' keys, so one `audit verify` covers every event of the run.
Object.assign(process.env, E2E_KEYS.env);
resetEnvCache();

/** Environment for an app process: the test policy, quiet logs, no telemetry, the e2e keys. */
export function serverEnv(databaseUrl: string, port: number, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const configuresSignIn = Object.keys(extra).some((k) => k.startsWith("AUTH_")) || Object.keys(process.env).some((k) => k.startsWith("AUTH_"));
  const env: NodeJS.ProcessEnv = {
    ...(configuresSignIn ? {} : PLACEHOLDER_SIGN_IN),
    ...process.env,
    NODE_ENV: "production",
    NEXT_MANUAL_SIG_HANDLE: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    COUNTERSIGN_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
    ...E2E_KEYS.env,
    // The tests' webhook receivers listen on loopback.
    COUNTERSIGN_WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    DATABASE_URL: databaseUrl,
    COUNTERSIGN_POLICY: TEST_POLICY,
    LOG_LEVEL: "warn",
    PORT: String(port),
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/**
 * Starts `count` production servers (`npm start`, i.e. server.ts, unless `opts.args` says otherwise;
 * the build must exist) and waits until all are healthy.
 */
export async function startServers(count: number, opts: StartOptions): Promise<AppServer[]> {
  if (!fs.existsSync(path.join(REPO_ROOT, ".next", "BUILD_ID"))) {
    throw new Error("No production build in .next: run `npx next build` first (npm run test:e2e does).");
  }
  const servers: AppServer[] = [];
  try {
    // Start them together: they race to migrate, which the advisory lock must make safe.
    const starting = Array.from({ length: count }, async (_, i) => {
      const server = await spawnServer(opts.names?.[i] ?? String.fromCharCode(65 + i), opts);
      servers.push(server);
      await waitForHealth(server, opts.readyTimeoutMs ?? 60_000);
      return server;
    });
    return await Promise.all(starting);
  } catch (err) {
    await Promise.all(servers.map((s) => stopServer(s, { expectCleanExit: false }).catch(() => undefined)));
    throw err;
  }
}

async function spawnServer(name: string, opts: StartOptions): Promise<AppServer> {
  const port = await freePort();
  return startProcess(name, port, opts.args ?? START_ARGS, serverEnv(opts.databaseUrl, port, { HOSTNAME: "127.0.0.1", ...opts.env }));
}

/**
 * Spawns `node <args>` as an HTTP server on `port` (not waiting for it). The next servers and the
 * bench's baseline server both go through here, so they are stopped and reaped the same way.
 */
export function startProcess(name: string, port: number, args: string[], env: NodeJS.ProcessEnv): AppServer {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { name, port, url: `http://127.0.0.1:${port}`, pid: child.pid!, child, output: () => out, exited };
}

export async function waitForHealth(server: AppServer, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void server.exited.then((e) => (exit = e));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`server ${server.name} exited (${exit.code ?? exit.signal}) before it was healthy:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`server ${server.name} not healthy after ${timeoutMs} ms (${last}):\n${server.output()}`);
}

/**
 * SIGTERM, then wait for the exit. Throws if the process is still running after `timeoutMs` (it
 * is then killed) or, unless `expectCleanExit: false`, if it exits with anything but code 0.
 */
export async function stopServer(
  server: AppServer,
  opts: { timeoutMs?: number; expectCleanExit?: boolean } = {},
): Promise<ExitInfo> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const started = performance.now();
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
  const timedOut = Symbol("timeout");
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    server.exited,
    new Promise<typeof timedOut>((r) => (timer = setTimeout(() => r(timedOut), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (result === timedOut) {
    server.child.kill("SIGKILL");
    throw new Error(`server ${server.name} (pid ${server.pid}) did not exit within ${timeoutMs} ms of SIGTERM:\n${server.output()}`);
  }
  const info: ExitInfo = { ...result, afterMs: Math.round(performance.now() - started) };
  if ((opts.expectCleanExit ?? true) && info.code !== 0) {
    throw new Error(`server ${server.name} exited with ${info.code ?? info.signal}, expected 0:\n${server.output()}`);
  }
  return info;
}

/** SIGKILL (`kill -9`): no shutdown hook runs. Resolves once the process is gone. */
export async function killServer(server: AppServer): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
  await server.exited;
}

export async function stopServers(servers: AppServer[], opts: { timeoutMs?: number; expectCleanExit?: boolean } = {}): Promise<ExitInfo[]> {
  const results = await Promise.allSettled(servers.map((s) => stopServer(s, opts)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<ExitInfo>).value);
}

// ── agents ────────────────────────────────────────────────────────────────────────────────────

export type RegisteredAgent = { id: string; name: string; owner: string; key: string };

/**
 * Registers an agent with the admin CLI (`countersign --json agents create`), which works next to
 * running servers on PostgreSQL. Returns the key it prints once.
 */
export async function createAgentWithCli(
  databaseUrl: string,
  opts: { name?: string; owner?: string } = {},
): Promise<RegisteredAgent> {
  const name = opts.name ?? `e2e-agent-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const owner = opts.owner ?? "agent-owner@example.com";
  return runCliJson(databaseUrl, ["agents", "create", "--name", name, "--owner", owner], parseAgent);
}

/**
 * Runs `countersign --json <args>` against `databaseUrl` and returns what `parse` makes of its
 * output (undefined: not complete yet). Throws with the output if it never parses.
 */
export async function runCliJson<T>(databaseUrl: string, args: string[], parse: (stdout: string) => T | undefined): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "--json", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, COUNTERSIGN_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET, ...E2E_KEYS.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  // The JSON is printed after the command's transaction committed. The CLI can then linger for up to
  // the pool's idle timeout (a sealer pass reopens the database after `closeDatabase`), so once the
  // answer is in, give it a moment to exit on its own and otherwise stop it.
  const deadline = Date.now() + 60_000;
  let result: T | undefined;
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  while (Date.now() < deadline && code === undefined && result === undefined) {
    result = parse(stdout);
    if (result === undefined) await sleep(50);
  }
  result ??= parse(stdout);
  if (result === undefined) {
    child.kill("SIGKILL");
    throw new Error(`countersign ${args.join(" ")} failed (exit ${code}):\n${stdout}\n${stderr}`);
  }
  if (code === undefined) {
    const gone = await Promise.race([exited.then(() => true), sleep(3_000).then(() => false)]);
    if (!gone) {
      child.kill("SIGTERM");
      await exited;
    }
  }
  return result;
}

function parseAgent(stdout: string): RegisteredAgent | undefined {
  try {
    const data = JSON.parse(stdout) as Partial<RegisteredAgent> & { error?: unknown };
    if (typeof data.key === "string" && typeof data.id === "string") return data as RegisteredAgent;
  } catch {
    // not complete yet
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
