// What the per-event MAC costs the create path (issue 11: at most 10 %). On a fresh PostgreSQL
// database, files N requests through the real `createRequest` (policy, risk, MAC, the one-statement
// insert, NOTIFY) with C in flight, and measures this process's CPU per create; then measures the
// CPU of `withMacs` alone on the same events. The share of the MAC in the app's CPU per create is
// the bound on its throughput cost (PostgreSQL's share of the work does not grow: one text column).
//
//   npx tsx scripts/bench/create-mac.ts [--requests 3000] [--concurrency 16]
import { parseArgs } from "node:util";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { withMacs } from "@/lib/audit/mac";
import { settleSealer } from "@/lib/audit/sealer";
import { agentActor, auditEvent } from "@/lib/audit/events";
import { createAgent } from "@/lib/agents/registry";
import { resetEnvCache } from "@/lib/config/env";
import { resetKeyRingForTests } from "@/lib/evidence/keys";
import { loadPolicyFile, setActivePolicyForTests } from "@/lib/policy/load";
import { createRequest } from "@/lib/requests/lifecycle";
import { createRequestBody } from "@/lib/requests/schema";
import { wireRequestEffects } from "@/lib/runtime/wiring";
import { createTestDatabase, E2E_KEYS, TEST_POLICY } from "../../e2e/support/servers";

const { values } = parseArgs({ options: { requests: { type: "string", default: "3000" }, concurrency: { type: "string", default: "16" } } });
const N = Number(values.requests);
const C = Number(values.concurrency);

// Keys as the servers get them; no checkpoint sink (the embedded default would be the checkout's .data).
Object.assign(process.env, E2E_KEYS.env, { COUNTERSIGN_DATA_DIR: "memory://" });
resetEnvCache();
resetKeyRingForTests();
wireRequestEffects();
setActivePolicyForTests(await loadPolicyFile(TEST_POLICY));

const database = await createTestDatabase({ prefix: "countersign_createmac", migrate: false });
const handle = await openDatabase({ databaseUrl: database.url, poolSize: C });
try {
  await migrateDatabase(handle);
  setDatabaseForProcess(handle);
  const { agent } = await createAgent({ name: "bench-bot", owner: "owner@bench.test" }, { actor: { kind: "system", id: "bench", display: "Bench" }, channel: "system" });
  const body = (i: number) =>
    createRequestBody.parse({
      action: "deploy.service",
      resource: `svc/checkout-${i}`,
      environment: "staging",
      intent: "Roll out v2.3.1 of checkout after a green canary",
      context: { command: "kubectl rollout restart deploy/checkout", parameters: { image: "checkout:2.3.1", replicas: 6 } },
      origin: { run_id: `run_${i}`, trace_id: "abc", model: "gpt", tool: "deploy", host: "agent-1" },
    });

  const run = async (count: number, offset: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < count) {
          const i = offset + next++;
          await createRequest(agent, body(i));
        }
      }),
    );
  };
  await run(300, 0); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(N, 1_000_000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const perCreateUs = (cpu.user + cpu.system) / N;

  // The same events as createRequest writes (request.created), MACed alone.
  const events = Array.from({ length: N }, (_, i) =>
    auditEvent({
      type: "request.created",
      actor: agentActor(agent),
      channel: "api",
      at: new Date(),
      request: { id: crypto.randomUUID(), agentId: agent.id, action: "deploy.service", environment: "staging", riskLevel: "medium" },
      payload: { resource: `svc/checkout-${i}`, intent: "Roll out v2.3.1 of checkout after a green canary", params_hash: "ab".repeat(32), on_behalf_of: null, origin: { run_id: `run_${i}` }, risk_score: 40, rule: "everything-else", policy_hash: "cd".repeat(32), approvals_required: 1, approver_groups: ["platform-oncall"] },
    }),
  );
  for (const e of events.slice(0, 300)) await withMacs([e]);
  const m0 = process.cpuUsage();
  for (const e of events) await withMacs([e]);
  const m = process.cpuUsage(m0);
  const macUs = (m.user + m.system) / N;
  console.log(`creates: ${N} in ${wall.toFixed(1)} s (${Math.round(N / wall)}/s in process, ${C} in flight); app CPU per create ${perCreateUs.toFixed(0)} µs`);
  console.log(`MAC (canonical JSON + HMAC-SHA256 of the event): ${macUs.toFixed(1)} µs CPU per create = ${((100 * macUs) / perCreateUs).toFixed(1)} % of the app's CPU per create`);
} finally {
  await settleSealer().catch(() => undefined);
  await closeDatabase().catch(() => undefined);
  await database.drop();
}
