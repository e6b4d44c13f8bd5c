// Two `npm start` processes on one PostgreSQL database (issue 15): the create load split between
// them (combined req/s, against the bare baseline and the one-instance app of the same run), then
// decision-to-wake with the decision made through instance A's reviewer API and the agent
// long-polling on A (one instance) or on B (across instances), rounds alternating between the two.
// "From the commit" is, as in wake.ts, the decision's NOTIFY as this process's own LISTEN sees it.
import {
  createAgentWithCli,
  createTestDatabase,
  startServers,
  stopServer,
  TEST_POLICY,
  type AppServer,
  type TestDatabase,
} from "../../e2e/support/servers";
import { runLoad, summarize, type LoadFigures } from "./load";
import { distribution, type Distribution } from "./report";
import { runWakeRounds } from "./wake";

export const TWO_INSTANCE_TARGETS = { wakeP99Ms: 5 } as const;

export type TwoInstanceBench = {
  load: { a: LoadFigures; b: LoadFigures; combined_req_per_s: number; vs_baseline: number | null; vs_one_instance: number | null };
  wake: {
    rounds: number;
    missed: number;
    early_answers: number;
    /** Waiter on the deciding instance. */
    same_instance_from_notify_ms: Distribution;
    /** Waiter on the other instance. */
    cross_instance_from_notify_ms: Distribution;
    decide_call_ms: Distribution;
  };
  ok: boolean;
  markdown: string;
};

export type TwoInstanceOptions = {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  pool: number;
  rounds: number;
  warmupRounds: number;
  settleMs: number;
  /** The same run's figures, for the ratios. */
  baselineReqPerS?: number;
  oneInstanceReqPerS?: number;
  log?: (line: string) => void;
};

const r2 = (x: number) => Math.round(x * 100) / 100;

export async function runTwoInstanceBench(opts: TwoInstanceOptions): Promise<TwoInstanceBench> {
  const log = opts.log ?? ((line: string) => console.log(line));
  let db: TestDatabase | null = null;
  let servers: AppServer[] = [];
  try {
    db = await createTestDatabase({ prefix: "countersign_bench", suffix: "two" });
    servers = await startServers(2, {
      databaseUrl: db.url,
      names: ["app-a", "app-b"],
      env: { COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1000000000", COUNTERSIGN_DB_POOL: String(opts.pool), LOG_LEVEL: "warn" },
    });
    const [a, b] = servers as [AppServer, AppServer];
    const agent = await createAgentWithCli(db.url, { name: "bench-two", owner: "owner@example.com" });
    const targets = [a, b].map((s) => ({ url: s.url, key: agent.key, serverPid: s.pid, label: s.name }));
    const half = Math.max(1, Math.floor(opts.connections / 2));

    if (opts.warmupSeconds > 0) {
      await Promise.all(targets.map((t) => runLoad(t, { connections: half, durationSeconds: opts.warmupSeconds, tag: `${t.label}-warmup` })));
    }
    log(`  load: ${half} connections on each of two instances for ${opts.durationSeconds} s`);
    const [sa, sb] = await Promise.all(targets.map((t) => runLoad(t, { connections: half, durationSeconds: opts.durationSeconds, tag: t.label })));
    const fa = summarize([sa!], half);
    const fb = summarize([sb!], half);
    const combined = Math.round((fa.requests + fb.requests) / Math.max(fa.duration_s, fb.duration_s));
    const ratio = (of?: number) => (of ? r2(combined / of) : null);

    log(`  wake: ${opts.warmupRounds} warm-up + ${opts.rounds} rounds, decided through app-a's reviewer API, long-polls alternating app-a / app-b`);
    const wake = await runWakeRounds({
      appUrl: a.url,
      pollUrls: [a.url, b.url],
      decideVia: a.url,
      agentKey: agent.key,
      databaseUrl: db.url,
      policyPath: TEST_POLICY,
      rounds: opts.rounds,
      warmupRounds: opts.warmupRounds,
      settleMs: opts.settleMs,
    });
    const notify = (instance: number) => wake.samples.flatMap((s) => (s.instance === instance && s.from_notify !== null ? [s.from_notify] : []));
    const figures: Omit<TwoInstanceBench, "ok" | "markdown"> = {
      load: { a: fa, b: fb, combined_req_per_s: combined, vs_baseline: ratio(opts.baselineReqPerS), vs_one_instance: ratio(opts.oneInstanceReqPerS) },
      wake: {
        rounds: wake.samples.length,
        missed: wake.missed,
        early_answers: wake.earlyAnswers,
        same_instance_from_notify_ms: distribution(notify(0)),
        cross_instance_from_notify_ms: distribution(notify(1)),
        decide_call_ms: distribution(wake.samples.map((s) => s.decide_call)),
      },
    };
    const w = figures.wake;
    const ok =
      w.missed + w.early_answers === 0 &&
      w.same_instance_from_notify_ms.p99 <= TWO_INSTANCE_TARGETS.wakeP99Ms &&
      w.cross_instance_from_notify_ms.p99 <= TWO_INSTANCE_TARGETS.wakeP99Ms &&
      fa.non_2xx + fb.non_2xx + fa.errors + fb.errors === 0;
    return { ...figures, ok, markdown: twoInstanceMarkdown(figures) };
  } finally {
    await Promise.all(servers.map((s) => stopServer(s, { expectCleanExit: false }).catch(() => undefined)));
    if (db) await db.drop().catch(() => undefined);
  }
}

const pass = (ok: boolean) => (ok ? "✅" : "❌");

export function twoInstanceMarkdown(f: Omit<TwoInstanceBench, "ok" | "markdown">): string {
  const l = f.load;
  const w = f.wake;
  const t = TWO_INSTANCE_TARGETS.wakeP99Ms;
  return [
    `| two \`npm start\` instances, one PostgreSQL (${l.a.connections} connections each) | req/s | p99 ms | non-2xx | vs baseline | vs one instance |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    `| app-a | ${Math.round(l.a.req_per_s)} | ${l.a.latency_ms.p99} | ${l.a.non_2xx} | | |`,
    `| app-b | ${Math.round(l.b.req_per_s)} | ${l.b.latency_ms.p99} | ${l.b.non_2xx} | | |`,
    `| combined | **${l.combined_req_per_s}** | | ${l.a.non_2xx + l.b.non_2xx} | ${l.vs_baseline ?? "–"}× | ${l.vs_one_instance ?? "–"}× |`,
    "",
    `| decision-to-wake from the commit (NOTIFY), decided through app-a's reviewer API, ${w.rounds} rounds | n | p50 ms | p99 ms | |`,
    "| --- | ---: | ---: | ---: | --- |",
    `| agent long-polling on app-a (one instance) | ${w.same_instance_from_notify_ms.n} | ${w.same_instance_from_notify_ms.p50} | **${w.same_instance_from_notify_ms.p99}** | ${pass(w.same_instance_from_notify_ms.p99 <= t)} target ≤ ${t} |`,
    `| agent long-polling on app-b (across instances) | ${w.cross_instance_from_notify_ms.n} | ${w.cross_instance_from_notify_ms.p50} | **${w.cross_instance_from_notify_ms.p99}** | ${pass(w.cross_instance_from_notify_ms.p99 <= t)} target ≤ ${t} |`,
    `| (the approve call itself, for scale) | ${w.decide_call_ms.n} | ${w.decide_call_ms.p50} | ${w.decide_call_ms.p99} | |`,
  ].join("\n");
}
