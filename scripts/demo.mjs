// `npm run demo [-- --reset]`: one command on a fresh clone. Checks the port first (before anything
// slow), installs dependencies if needed (npm ci), builds the production app if the build is missing
// or older than the sources, migrates and seeds the embedded database (--reset drops it first, so
// the seeded requests get fresh deadlines), then serves the production build as `npm start` does, with
// COUNTERSIGN_DEMO=1 (the persona sign-in; lib/auth/config.ts refuses it beside a real identity
// provider or PostgreSQL). Uses only Node built-ins so it runs before `npm ci`.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** What the build depends on: when any of these is newer than .next/BUILD_ID, the demo rebuilds. */
const BUILD_INPUTS = ["app", "components", "lib", "db", "public", "sdk/src", "proxy.ts", "instrumentation.ts", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json"];

/** Why the production build must be (re)made, or null when .next is current. */
export function buildNeeded(root = process.cwd()) {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(buildId)) return "no production build yet";
  const built = fs.statSync(buildId).mtimeMs;
  const newer = (p) => {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (!stat) return null;
    if (!stat.isDirectory()) return stat.mtimeMs > built && !/\.test\.tsx?$/.test(p) ? p : null;
    for (const entry of fs.readdirSync(p)) {
      const found = newer(path.join(p, entry));
      if (found) return found;
    }
    return null;
  };
  for (const input of BUILD_INPUTS) {
    const changed = newer(path.join(root, input));
    if (changed) return `${path.relative(root, changed)} changed since the last build`;
  }
  return null;
}

/** The message to stop with when `port` is taken (something listening, or a bind that fails), else null. */
export async function portProblem(port, host) {
  const fix = `stop what is using it or run \`PORT=${port + 1} npm run demo\``;
  const bind = await new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (err) => resolve(err.code));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (bind === "EADDRINUSE") return `Port ${port} is in use: ${fix}`;
  if (bind) return `Port ${port} cannot be opened (${bind}): ${fix}`;
  // Something on the other loopback family (::1 vs 127.0.0.1) would still catch http://localhost.
  for (const address of ["127.0.0.1", "::1"]) {
    const answered = await new Promise((resolve) => {
      const socket = net.connect({ port, host: address });
      socket.setTimeout(500);
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("timeout", () => (socket.destroy(), resolve(false)));
      socket.once("error", () => resolve(false));
    });
    if (answered) return `Port ${port} is in use: ${fix}`;
  }
  return null;
}

/**
 * Where the demo listens: loopback unless HOSTNAME names an address (the persona sign-in is not
 * for a network; `HOSTNAME=0.0.0.0 npm run demo` shares it). A container's own name is ignored.
 */
export function demoHost(env = process.env) {
  const h = env.HOSTNAME;
  return h && (net.isIP(h) || h === "localhost") ? h : "127.0.0.1";
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

async function waitUntilReady(url, child) {
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(argv) {
  const unknown = argv.filter((a) => a !== "--reset");
  if (unknown.length > 0) {
    console.error(`Unknown option ${unknown[0]}. Usage: npm run demo [-- --reset]`);
    process.exit(2);
  }
  const reset = argv.includes("--reset");
  const portText = process.env.PORT ?? "3000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`PORT=${portText} is not a port number (1–65535).`);
    process.exit(1);
  }
  const host = demoHost();
  if (process.env.DATABASE_URL) {
    console.error("The demo runs on the embedded database; unset DATABASE_URL (or run `npm start` against PostgreSQL instead).");
    process.exit(1);
  }

  const problem = await portProblem(port, host);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }

  const lock = "package-lock.json";
  const installed = "node_modules/.package-lock.json";
  if (!fs.existsSync(installed) || fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs) {
    console.log("Installing dependencies (npm ci)…");
    run("npm", ["ci", "--no-audit", "--no-fund"]);
  }

  const why = buildNeeded();
  if (why) {
    console.log(`Building the production app (${why}; a few minutes the first time)…`);
    run("npm", ["run", "build"]);
  }

  console.log(reset ? "Re-creating the embedded database with fresh demo data…" : "Preparing the embedded database with demo data…");
  run("npx", ["tsx", "scripts/countersign.ts", "db", "seed", ...(reset ? ["--reset"] : [])]);

  // The port may have been taken while we built: say so plainly rather than EADDRINUSE.
  const late = await portProblem(port, host);
  if (late) {
    console.error(late);
    process.exit(1);
  }

  // What `npm start` runs, started directly so Ctrl-C and a SIGTERM reach the server (npm's shell
  // in between would not pass them on) and it drains and seals before exiting.
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOSTNAME: host,
      COUNTERSIGN_DEMO: "1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  });
  const forward = (signal) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code) => process.exit(code ?? 0));

  const url = `http://localhost:${port}`;
  if (await waitUntilReady(`http://${host.includes(":") ? `[${host}]` : host}:${port}/api/health`, child)) {
    console.log(
      `\nCountersign is running on ${url} (Ctrl-C stops it).\n` +
        "Sign in with the development sign-in as one of the demo personas.\n" +
        "Seeded pending requests expire within the hour (their deadlines start at seeding); `npm run demo -- --reset` seeds afresh.\n",
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main(process.argv.slice(2));
}
