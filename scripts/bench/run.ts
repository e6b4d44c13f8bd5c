// `npm run bench`: the benchmarks of issues 2, 3 and 4 on the production build and real PostgreSQL.
//   (a) bare baseline: node:http + postgres.js, request + audit row in one transaction (SPEC §7)
//   (b) the app (`npm start` = server.ts, one instance, same pool size), same load, same body
//   (b2) reads: `GET /api/v1/requests/{id}` on the app against the bare server reading the same row
//   (c) decision-to-wake latency: long-poll on the app, decision from this process
//   (c2) the agent side (agent-side.ts): wake as the SDK's waitForDecision sees it, and the
//       command gate's overhead on a no-op command
//   (d) the reviewer's inbox at 10,000 pending requests (inbox.ts)
//   (e) the audit timeline at 1,000,000 sealed events (audit.ts): filter queries and their plans,
//       export vs PostgreSQL's COPY with the server's peak RSS, `audit verify`
// (a) and (b), and both sides of (b2), alternate in slices so drift in the machine's background load
// hits both alike.
// Prints a table and a README-ready Markdown table, writes bench-results/latest.json, and cleans
// up (servers stopped, databases dropped). Flags (or BENCH_* env): --duration 10 (s per target)
// --slices 2 --warmup 2 --connections 32 --pool 10 --rounds 200 --wake-warmup 10 --settle-ms 50
// --gate-runs 20 --audit-events 1000000 --audit-runs 50 --skip-audit
// --out <file> --rebuild (next build first) --strict (exit 1 when a target is missed)
// --hot-only (only (a), (b) and (b2): the quick loop while working on the hot path)
// --cpu-prof <dir> (the baseline and the app write V8 CPU profiles there when they stop).
// Issue 15 (two-instance.ts, soak.ts): (f) two `npm start` instances on one database: combined
// create throughput and decision-to-wake on one instance and across the two; (g) the server's RSS
// at rest, under the create load and through a fixed-rate soak (slope). --soak-minutes 1
// --soak-rate 100 --skip-two-instance --skip-memory.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  createAgentWithCli,
  createTestDatabase,
  freePort,
  PG_ADMIN_URL,
  REPO_ROOT,
  sleep,
  startProcess,
  START_ARGS,
  startServers,
  stopServer,
  TEST_POLICY,
  waitForHealth,
  type AppServer,
  type TestDatabase,
} from "../../e2e/support/servers";
import { runLoad, summarize, type LoadFigures, type LoadSlice, type LoadTarget } from "./load";
import { distribution, hotPathReport, hotPathVerdict, markdownReport, TARGETS, terminalReport, verdict, type WakeFigures } from "./report";
import { INBOX_TARGET_P95_MS, runInboxBench, type InboxBench } from "./inbox";
import { runWakeRounds } from "./wake";
import { AUDIT_TARGETS, runAuditBench, type AuditBenchResult } from "./audit";
import { ensureBuild } from "./build";
import { runAgentSideBench, type AgentSideBench } from "./agent-side";
import { runTwoInstanceBench, TWO_INSTANCE_TARGETS, type TwoInstanceBench } from "./two-instance";
import { MEMORY_TARGETS, runMemoryBench, type MemoryBench } from "./soak";

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: process.env.BENCH_DURATION ?? "10" },
    slices: { type: "string", default: process.env.BENCH_SLICES ?? "2" },
    warmup: { type: "string", default: process.env.BENCH_WARMUP ?? "2" },
    connections: { type: "string", default: process.env.BENCH_CONNECTIONS ?? "32" },
    pool: { type: "string", default: process.env.BENCH_POOL ?? "10" },
    rounds: { type: "string", default: process.env.BENCH_ROUNDS ?? "200" },
    "wake-warmup": { type: "string", default: process.env.BENCH_WAKE_WARMUP ?? "10" },
    "settle-ms": { type: "string", default: process.env.BENCH_SETTLE_MS ?? "50" },
    "gate-runs": { type: "string", default: process.env.BENCH_GATE_RUNS ?? "20" },
    "audit-events": { type: "string", default: process.env.BENCH_AUDIT_EVENTS ?? "1000000" },
    "audit-runs": { type: "string", default: process.env.BENCH_AUDIT_RUNS ?? "50" },
    "skip-audit": { type: "boolean", default: process.env.BENCH_SKIP_AUDIT === "1" },
    "hot-only": { type: "boolean", default: process.env.BENCH_HOT_ONLY === "1" },
    "cpu-prof": { type: "string" },
    "soak-minutes": { type: "string", default: process.env.BENCH_SOAK_MINUTES ?? "1" },
    "soak-rate": { type: "string", default: process.env.BENCH_SOAK_RATE ?? "100" },
    "skip-two-instance": { type: "boolean", default: process.env.BENCH_SKIP_TWO_INSTANCE === "1" },
    "skip-memory": { type: "boolean", default: process.env.BENCH_SKIP_MEMORY === "1" },
    out: { type: "string", default: path.join(REPO_ROOT, "bench-results", "latest.json") },
    rebuild: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
  },
});

const int = (name: keyof typeof flags, min: number) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const config = {
  durationSeconds: int("duration", 1),
  slices: int("slices", 1),
  warmupSeconds: int("warmup", 0),
  connections: int("connections", 1),
  pool: int("pool", 1),
  rounds: int("rounds", 1),
  wakeWarmup: int("wake-warmup", 0),
  settleMs: int("settle-ms", 0),
  gateRuns: int("gate-runs", 1),
  // Checked here, before minutes of load: the audit phase comes last.
  auditEvents: int("audit-events", 1000),
  auditRuns: int("audit-runs", 5),
  soakMinutes: Number(flags["soak-minutes"]),
  soakRate: int("soak-rate", 1),
};
if (!(config.soakMinutes > 0)) throw new Error("--soak-minutes must be a number > 0");

const step = (msg: string) => console.log(`\n▸ ${msg}`);
const started = performance.now();

// ── cleanup, whatever happens ─────────────────────────────────────────────────────────────────

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((err: unknown) => console.error("cleanup:", err));
}
process.once("SIGINT", () => {
  console.error("\ninterrupted: cleaning up");
  void cleanup().finally(() => process.exit(130));
});

// ── database helpers ──────────────────────────────────────────────────────────────────────────

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Flush dirty pages so one phase's writes do not become the next phase's checkpoint. */
const checkpoint = () => withSql(PG_ADMIN_URL, (sql) => sql`checkpoint`);

const countRequests = (url: string) => withSql(url, async (sql) => Number((await sql`select count(*)::int as n from requests`)[0]!.n));

async function unsealedCount(url: string): Promise<number> {
  return withSql(url, async (sql) => Number((await sql`select count(*)::int as n from audit_events where seq is null`)[0]!.n));
}

/** How long the app's sealer takes to chain everything the load wrote (SPEC §7: "within milliseconds"). */
async function waitUntilSealed(url: string, timeoutMs = 60_000): Promise<{ backlog: number; drainedMs: number | null }> {
  const t0 = performance.now();
  const backlog = await unsealedCount(url);
  for (let left = backlog; left > 0; left = await unsealedCount(url)) {
    if (performance.now() - t0 > timeoutMs) return { backlog, drainedMs: null };
    await sleep(50);
  }
  return { backlog, drainedMs: Math.round(performance.now() - t0) };
}

// ── phases ────────────────────────────────────────────────────────────────────────────────────

/** Node flags for the servers under test: V8 CPU profiles with --cpu-prof (not allowed in NODE_OPTIONS). */
const profiling = (): string[] => (flags["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(flags["cpu-prof"])}`] : []);

/** The pids of the backends connected to a database (the bench's own monitoring connection aside). */
const backendsOf = (url: string) => () =>
  withSql(url, async (sql) =>
    (await sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`).map((r) => Number(r.pid)),
  );

type Target = LoadTarget & { server: AppServer; db: TestDatabase; warmup2xx: number };

async function startBaseline(): Promise<Target> {
  step("baseline: fresh database, node:http + postgres.js server");
  const db = await createTestDatabase({ prefix: "countersign_bench", suffix: "base", migrate: true });
  cleanups.push(() => db.drop());
  const agentId = randomUUID();
  await withSql(db.url, (sql) => sql`insert into agents (id, name, owner, created_at, created_by) values (${agentId}, 'bench-baseline', 'owner@example.com', now(), 'bench')`);
  const port = await freePort();
  const server = startProcess("baseline", port, [...profiling(), "--import", "tsx", path.join(REPO_ROOT, "scripts", "bench", "baseline-server.ts")], {
    ...process.env,
    NODE_ENV: "production",
    DATABASE_URL: db.url,
    PORT: String(port),
    BENCH_DB_POOL: String(config.pool),
    BENCH_AGENT_ID: agentId,
  });
  cleanups.push(() => stopServer(server, { expectCleanExit: false }));
  await waitForHealth(server, 30_000);
  return { url: server.url, serverPid: server.pid, label: "baseline", server, db, warmup2xx: 0, postgresPids: backendsOf(db.url) };
}

async function startApp(): Promise<Target> {
  step("app: fresh database, npm start (migrates at start-up), agent registered with the CLI");
  const db = await createTestDatabase({ prefix: "countersign_bench", suffix: "app" });
  cleanups.push(() => db.drop());
  const [server] = (await startServers(1, {
    databaseUrl: db.url,
    names: ["app"],
    env: { COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1000000000", COUNTERSIGN_DB_POOL: String(config.pool), LOG_LEVEL: "warn" },
    args: [...profiling(), ...START_ARGS],
  })) as [AppServer];
  cleanups.push(() => stopServer(server, { expectCleanExit: false }));
  const agent = await createAgentWithCli(db.url, { name: "bench-agent", owner: "owner@example.com" });
  return { url: server.url, key: agent.key, serverPid: server.pid, label: "app", server, db, warmup2xx: 0, postgresPids: backendsOf(db.url) };
}

type Sealing = { backlog: number; drainedMs: number | null };

/**
 * Baseline and app alternate in slices (B A B A …) so drift in the machine's background load hits
 * both alike. After each app slice the app's sealer drains its backlog before anything else runs.
 */
async function createThroughput(baseline: Target, app: Target): Promise<{ baseline: LoadFigures; app: LoadFigures; sealing: Sealing[] }> {
  const sliceSeconds = Math.max(1, Math.round(config.durationSeconds / config.slices));
  step(`load: ${config.warmupSeconds} s warm-up each, then ${config.slices} × (baseline ${sliceSeconds} s, app ${sliceSeconds} s) at ${config.connections} connections`);
  for (const target of [baseline, app]) {
    if (config.warmupSeconds === 0) continue;
    const w = await runLoad(target, { connections: config.connections, durationSeconds: config.warmupSeconds, tag: `${target.label}-warmup` });
    if (w.non2xx + w.errors > 0) throw new Error(`${target.label} warm-up: ${w.non2xx} non-2xx, ${w.errors} errors`);
    target.warmup2xx = w.status2xx;
  }
  await waitUntilSealed(app.db.url);
  const slices = { baseline: [] as LoadSlice[], app: [] as LoadSlice[] };
  const sealing: Sealing[] = [];
  for (let i = 0; i < config.slices; i++) {
    for (const target of [baseline, app]) {
      await checkpoint();
      const slice = await runLoad(target, { connections: config.connections, durationSeconds: sliceSeconds, tag: `${target.label}-${i}` });
      slices[target.label as "baseline" | "app"].push(slice);
      console.log(
        `  ${target.label.padEnd(8)} slice ${i + 1}: ${(( slice.status2xx + slice.non2xx) / slice.durationS).toFixed(0)} req/s, ${slice.non2xx} non-2xx, server CPU ${(slice.cpu.serverMs / Math.max(1, slice.status2xx + slice.non2xx)).toFixed(2)} ms/req`,
      );
      if (target === app) {
        const sealed = await waitUntilSealed(app.db.url);
        sealing.push(sealed);
        console.log(`           audit events unsealed when the slice ended: ${sealed.backlog}, all sealed ${sealed.drainedMs ?? "> 60000"} ms later`);
      }
    }
  }
  return { baseline: summarize(slices.baseline, config.connections), app: summarize(slices.app, config.connections), sealing };
}

/** Ids of requests the target filed during the create phase (the rows the read phase reads). */
const filedIds = (url: string, limit = 5000) =>
  withSql(url, async (sql) => (await sql`select id from requests order by created_at desc limit ${limit}`).map((r) => String(r.id)));

/**
 * `GET /api/v1/requests/{id}`: the app (auth, rate limit, the request with its agent and votes, the
 * view) against the bare server reading the same row, alternating slices like the create phase.
 */
async function readLatency(baseline: Target, app: Target): Promise<{ baseline: LoadFigures; app: LoadFigures }> {
  const sliceSeconds = Math.max(1, Math.round(config.durationSeconds / config.slices));
  const ids = { baseline: await filedIds(baseline.db.url), app: await filedIds(app.db.url) };
  step(`read: ${config.slices} × (baseline ${sliceSeconds} s, app ${sliceSeconds} s) of GET /api/v1/requests/{id} at ${config.connections} connections, over ${ids.app.length} ids`);
  for (const target of [baseline, app]) {
    const load = { kind: "read" as const, ids: ids[target.label as "baseline" | "app"] };
    await runLoad(target, { connections: config.connections, durationSeconds: 1, tag: `${target.label}-read-warmup`, load });
  }
  const slices = { baseline: [] as LoadSlice[], app: [] as LoadSlice[] };
  for (let i = 0; i < config.slices; i++) {
    for (const target of [baseline, app]) {
      const load = { kind: "read" as const, ids: ids[target.label as "baseline" | "app"] };
      const slice = await runLoad(target, { connections: config.connections, durationSeconds: sliceSeconds, tag: `${target.label}-read-${i}`, load });
      slices[target.label as "baseline" | "app"].push(slice);
      console.log(`  ${target.label.padEnd(8)} read slice ${i + 1}: ${((slice.status2xx + slice.non2xx) / slice.durationS).toFixed(0)} req/s, ${slice.non2xx} non-2xx`);
    }
  }
  return { baseline: summarize(slices.baseline, config.connections), app: summarize(slices.app, config.connections) };
}

/**
 * Every 2xx must be a row. autocannon abandons the requests in flight when a run ends, and the
 * server may still commit those: allow at most one connection's worth per run beyond the 2xx.
 */
async function checkRows(target: Target, figures: LoadFigures): Promise<string | null> {
  const rows = await countRequests(target.db.url);
  const answered = target.warmup2xx + figures.status_2xx;
  const inFlight = (figures.slices + (config.warmupSeconds > 0 ? 1 : 0)) * config.connections;
  return rows >= answered && rows <= answered + inFlight
    ? null
    : `${target.label}: ${rows} request rows for ${answered} 2xx answers (+ at most ${inFlight} abandoned in flight)`;
}

async function wakePhase(app: Target): Promise<WakeFigures> {
  step(`wake: ${config.wakeWarmup} warm-up + ${config.rounds} rounds (file, long-poll ?wait=30, decide from this process)`);
  const result = await runWakeRounds({
    appUrl: app.url,
    agentKey: app.key!,
    databaseUrl: app.db.url,
    policyPath: TEST_POLICY,
    rounds: config.rounds,
    warmupRounds: config.wakeWarmup,
    settleMs: config.settleMs,
  });
  const s = result.samples;
  return {
    rounds: s.length,
    settle_ms: config.settleMs,
    early_answers: result.earlyAnswers,
    missed: result.missed,
    from_decide_start_ms: distribution(s.map((x) => x.from_decide_start)),
    from_notify_ms: distribution(s.flatMap((x) => (x.from_notify === null ? [] : [x.from_notify]))),
    from_decide_end_ms: distribution(s.map((x) => x.from_decide_end)),
    decide_call_ms: distribution(s.map((x) => x.decide_call)),
    plain_get_ms: distribution(s.map((x) => x.plain_get)),
  };
}

function environment() {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    loadavg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.versions.node,
    commit: git(["rev-parse", "--short", "HEAD"]),
    dirty: git(["status", "--porcelain"]) !== "",
    build_id: fs.readFileSync(path.join(REPO_ROOT, ".next", "BUILD_ID"), "utf8").trim(),
  };
}

async function main(): Promise<number> {
  ensureBuild(flags.rebuild ?? false, (line) => step(line));
  const env = environment();
  const pgVersion = await withSql(PG_ADMIN_URL, async (sql) => String((await sql`show server_version`)[0]!.server_version));
  console.log(
    `Countersign bench: ${env.cpus} cores, PostgreSQL ${pgVersion}, Node ${env.node}, load avg ${env.loadavg_at_start.join(" ")}; ${JSON.stringify(config)}`,
  );

  const baselineTarget = await startBaseline();
  const appTarget = await startApp();
  const load = await createThroughput(baselineTarget, appTarget);
  const rowProblems = (await Promise.all([checkRows(baselineTarget, load.baseline), checkRows(appTarget, load.app)])).filter(Boolean);
  const read = await readLatency(baselineTarget, appTarget);
  await stopServer(baselineTarget.server);
  const hot = hotPathVerdict(load, read);
  const hotReport = hotPathReport(load, read, hot);
  const hotProblems = [
    ...rowProblems,
    ...[load.baseline, load.app, read.baseline, read.app].flatMap((f, i) =>
      f.non_2xx + f.errors > 0 ? [`${["create baseline", "create app", "read baseline", "read app"][i]}: ${f.non_2xx} non-2xx, ${f.errors} connection errors`] : [],
    ),
  ];
  if (flags["hot-only"]) {
    console.log(`\nHot path, ${config.connections} connections, ${load.app.duration_s} s per target (load avg ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} now):\n${hotReport.terminal}\n\n${hotReport.markdown}`);
    fs.mkdirSync(path.dirname(flags.out!), { recursive: true });
    fs.writeFileSync(flags.out!, `${JSON.stringify({ at: new Date().toISOString(), environment: { ...env, postgres: pgVersion }, config, create: load, read, hot_path: hot, problems: hotProblems }, null, 2)}\n`);
    await stopServer(appTarget.server);
    await cleanup();
    if (hotProblems.length > 0) console.error(`\n✗ correctness problems:\n${hotProblems.map((p) => `  - ${p}`).join("\n")}`);
    return hotProblems.length > 0 || (flags.strict && !(hot.throughputOk && hot.readOk)) ? 1 : 0;
  }
  const wake = await wakePhase(appTarget);
  step(`agent side: SDK wake (${config.rounds} event-stream rounds, ${Math.max(10, Math.round(config.rounds / 4))} long-poll rounds), gate overhead (${config.gateRuns} runs)`);
  const agentSide: AgentSideBench = await runAgentSideBench({
    appUrl: appTarget.url,
    agentKey: appTarget.key!,
    databaseUrl: appTarget.db.url,
    policyPath: TEST_POLICY,
    rounds: config.rounds,
    warmupRounds: config.wakeWarmup,
    settleMs: config.settleMs,
    gateRuns: config.gateRuns,
  });

  step("stopping the app (SIGTERM: must exit 0) and dropping the databases");
  const exit = await stopServer(appTarget.server);
  await cleanup();

  // Issue 15: two instances on one database, and the server's memory (each on fresh databases).
  let twoInstance: TwoInstanceBench | null = null;
  if (!flags["skip-two-instance"]) {
    step(`two instances on one database: create load split ${config.connections / 2}/${config.connections / 2}, wake on one instance and across two`);
    twoInstance = await runTwoInstanceBench({
      connections: config.connections,
      durationSeconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      pool: config.pool,
      rounds: config.rounds,
      warmupRounds: config.wakeWarmup,
      settleMs: config.settleMs,
      baselineReqPerS: load.baseline.req_per_s,
      oneInstanceReqPerS: load.app.req_per_s,
    });
  }
  let memory: MemoryBench | null = null;
  if (!flags["skip-memory"]) {
    step(`memory: RSS at rest, under the create load, and a ${config.soakMinutes}-minute soak at ${config.soakRate} req/s`);
    memory = await runMemoryBench({ soakMinutes: config.soakMinutes, soakRate: config.soakRate, connections: config.connections, loadSeconds: Math.max(5, Math.round(config.durationSeconds / 2)), pool: config.pool });
  }

  step("inbox: 10,000 pending requests, the reviewer's inbox page (issue 3)");
  const inbox: InboxBench = await runInboxBench();
  let audit: AuditBenchResult | null = null;
  if (!flags["skip-audit"]) {
    step(`audit: ${Number(flags["audit-events"]).toLocaleString("en")} sealed events (issue 4)`);
    audit = await runAuditBench({ events: config.auditEvents, runs: config.auditRuns, log: (line) => console.log(line) });
  }
  const baseline = load.baseline;
  const app = { figures: load.app, sealing: load.sealing };

  const v = verdict(baseline, app.figures, wake);
  const meta = { cpus: env.cpus, postgres: `PostgreSQL ${pgVersion.split(" ")[0]}`, node: env.node };
  const markdown = [
    markdownReport(baseline, app.figures, wake, v, meta),
    hotPathReport(load, read, hot).markdown,
    agentSide.markdown,
    ...(twoInstance ? [twoInstance.markdown] : []),
    ...(memory ? [memory.markdown] : []),
    inbox.markdown,
    ...(audit ? [audit.markdown] : []),
  ].join("\n\n");
  const problems = [
    ...hotProblems,
    ...(wake.early_answers > 0 ? [`wake: ${wake.early_answers} long-polls answered before the decision`] : []),
    ...(wake.missed > 0 ? [`wake: ${wake.missed} long-polls not woken within 5 s of the decision (excluded from the percentiles)`] : []),
    ...agentSide.wake.filter((w) => w.missed > 0).map((w) => `SDK wake (${w.transport}): ${w.missed} waits not resolved within 5 s of the decision`),
    ...(twoInstance && twoInstance.wake.missed + twoInstance.wake.early_answers > 0
      ? [`two-instance wake: ${twoInstance.wake.missed} missed, ${twoInstance.wake.early_answers} answered before the decision`]
      : []),
    ...(twoInstance && twoInstance.load.a.non_2xx + twoInstance.load.b.non_2xx + twoInstance.load.a.errors + twoInstance.load.b.errors > 0 ? ["two-instance load: non-2xx answers or errors"] : []),
    ...(memory && memory.soak.non_2xx + memory.soak.errors > 0 ? [`soak: ${memory.soak.non_2xx} non-2xx, ${memory.soak.errors} errors`] : []),
  ];

  const json = {
    at: new Date().toISOString(),
    environment: { ...env, postgres: pgVersion },
    config,
    create: { baseline, app: app.figures, throughput_ratio: v.throughputRatio, app_audit_sealing: app.sealing },
    read: { ...read, p99_ratio: hot.readP99Ratio },
    wake,
    agent_side: { ...agentSide, markdown: undefined },
    inbox: { ...inbox, markdown: undefined },
    audit: audit ? { ...audit, markdown: undefined } : null,
    two_instance: twoInstance ? { ...twoInstance, markdown: undefined } : null,
    memory: memory ? { ...memory, markdown: undefined } : null,
    problems,
    targets: {
      throughput_ratio_min: TARGETS.throughputRatio,
      read_p99_ratio_max: TARGETS.readP99Ratio,
      read_ok: hot.readOk,
      wake_p99_ms_max: TARGETS.wakeP99Ms,
      inbox_p95_ms_max: INBOX_TARGET_P95_MS,
      throughput_ok: v.throughputOk,
      wake_ok: v.wakeOk,
      inbox_ok: inbox.ok,
      audit_query_p95_ms_max: AUDIT_TARGETS.queryP95Ms,
      audit_export_ratio_min: AUDIT_TARGETS.exportRatio,
      audit_export_peak_rss_mb_max: AUDIT_TARGETS.exportPeakRssMB,
      audit_verify_seconds_max: AUDIT_TARGETS.verifySeconds,
      audit_ok: audit?.ok ?? null,
      audit_verify_floor_ratio: audit?.verify.floorRatio ?? null,
      two_instance_wake_p99_ms_max: TWO_INSTANCE_TARGETS.wakeP99Ms,
      two_instance_ok: twoInstance?.ok ?? null,
      soak_rss_slope_mb_per_min_max: MEMORY_TARGETS.soakSlopeMBPerMin,
      memory_ok: memory?.ok ?? null,
    },
    app_exit: exit,
    total_seconds: Math.round((performance.now() - started) / 1000),
    markdown,
  };
  fs.mkdirSync(path.dirname(flags.out!), { recursive: true });
  fs.writeFileSync(flags.out!, `${JSON.stringify(json, null, 2)}\n`);

  console.log(`\n${terminalReport(baseline, app.figures, wake, v)}`);
  console.log(`\n${hotReport.terminal}`);
  console.log(`\n${agentSide.markdown}`);
  console.log(`\n${inbox.markdown}`);
  if (twoInstance) console.log(`\n${twoInstance.markdown}`);
  if (memory) console.log(`\n${memory.markdown}`);
  if (audit) console.log(`\n${audit.markdown}`);
  console.log(`\nMarkdown for the README:\n\n${markdown}\n`);
  console.log(`Wrote ${path.relative(process.cwd(), flags.out!)} (${json.total_seconds} s total).`);
  if (problems.length > 0) {
    console.error(`\n✗ correctness problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return 1;
  }
  return flags.strict && !(v.throughputOk && hot.readOk && v.wakeOk && inbox.ok && (audit?.ok ?? true) && (twoInstance?.ok ?? true) && (memory?.ok ?? true)) ? 1 : 0;
}

main()
  .then((code) => process.exit(code))
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  });
