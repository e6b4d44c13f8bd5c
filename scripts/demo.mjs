// `npm run demo`: install dependencies if needed, migrate and seed the embedded database, start the
// console. Uses only Node built-ins so it runs on a fresh clone before `npm ci`.
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const lock = "package-lock.json";
const installed = "node_modules/.package-lock.json";
if (!fs.existsSync(installed) || fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs) {
  console.log("Installing dependencies (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

console.log("Preparing the embedded database with demo data…");
run("npx", ["tsx", "scripts/countersign.ts", "db", "seed"]);

const port = process.env.PORT ?? "3000";
console.log(`\nStarting Countersign on http://localhost:${port} (Ctrl-C to stop)\n`);
const child = spawn("npx", ["next", "dev", "-p", port], {
  stdio: "inherit",
  env: { ...process.env, NEXT_MANUAL_SIG_HANDLE: "true" },
});
const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code) => process.exit(code ?? 0));
