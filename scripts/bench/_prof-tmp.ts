import path from "node:path";
import fs from "node:fs";
import { createTestDatabase, createAgentWithCli, freePort, serverEnv, startProcess, stopServer, waitForHealth, REPO_ROOT } from "../../e2e/support/servers";
import { runLoad } from "./load";

const db = await createTestDatabase({ prefix: "countersign_prof" });
try {
  const port = await freePort();
  const dir = `/tmp/prof/out-${Date.now()}`;
  const server = startProcess("app", port, ["--cpu-prof", `--cpu-prof-dir=${dir}`, path.join(REPO_ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"],
    serverEnv(db.url, port, { COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1000000000", ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {}) }));
  await waitForHealth(server);
  const agent = await createAgentWithCli(db.url, { name: "prof", owner: "owner@example.com" });
  await runLoad({ url: server.url, key: agent.key, serverPid: server.pid, label: "w" }, { connections: 32, durationSeconds: 2, tag: "w" });
  const f = await runLoad({ url: server.url, key: agent.key, serverPid: server.pid, label: "app" }, { connections: 32, durationSeconds: Number(process.env.DUR ?? 8), tag: "m" });
  console.log(JSON.stringify(f));
  console.log(await stopServer(server, { expectCleanExit: false }));
  console.log(dir, fs.readdirSync(dir));
} finally { await db.drop(); }
