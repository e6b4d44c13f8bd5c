import autocannon from "autocannon";
import { createTestDatabase, startServers, stopServer } from "../../e2e/support/servers";
import { cpuSnapshot, cpuSince } from "./cpu";
const db = await createTestDatabase({ prefix: "countersign_prof" });
try {
  const [s] = await startServers(1, { databaseUrl: db.url });
  for (const p of ["/api/health", "/api/openapi.json", "/api/v1/requests/00000000-0000-0000-0000-000000000000"]) {
    await autocannon({ url: s!.url + p, connections: 32, duration: 2 });
    const b = cpuSnapshot(s!.pid);
    const r = await autocannon({ url: s!.url + p, connections: 32, duration: 5 });
    const c = cpuSince(b);
    const n = r["2xx"] + r.non2xx;
    console.log(p, (n / r.duration).toFixed(0), "req/s", "p50", r.latency.p50, "cpu ms/req server", (c.serverMs / n).toFixed(3), "pg", (c.postgresMs / n).toFixed(3), "status", JSON.stringify(r.statusCodeStats));
  }
  await stopServer(s!);
} finally { await db.drop(); }
