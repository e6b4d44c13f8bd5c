// The server's memory (issue 15): RSS and heap of one `npm start` process at rest, under the create
// load at full concurrency, and through a soak at a FIXED request rate (not max throughput), where
// the least-squares slope of RSS and heap against time after a warm-up says whether it grows.
//
// The server is started with memory-probe.mjs preloaded (and --expose-gc): every few seconds it
// runs a full collection and appends its own process.memoryUsage() to a file, so the heap figure is
// what is retained, the one a leak grows.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import {
  createAgentWithCli,
  createTestDatabase,
  REPO_ROOT,
  sleep,
  START_ARGS,
  startServers,
  stopServer,
  type AppServer,
  type TestDatabase,
} from "../../e2e/support/servers";
import { requestBody, runLoad } from "./load";

export const MEMORY_TARGETS = { soakSlopeMBPerMin: 1 } as const;
/** Each sample follows a full GC in the server (about 1 % of its time at this interval). */
const SAMPLE_EVERY_MS = 3_000;

export type MemorySample = { t: number; rss: number; heapUsed: number };

export type MemoryBench = {
  rest: { rss_mb: number; heap_used_mb: number };
  under_load: { connections: number; seconds: number; req_per_s: number; rss_mean_mb: number; rss_peak_mb: number };
  soak: {
    minutes: number;
    rate_per_s: number;
    achieved_req_per_s: number;
    non_2xx: number;
    errors: number;
    warmup_s: number;
    samples: number;
    rss_start_mb: number;
    rss_end_mb: number;
    rss_slope_mb_per_min: number;
    heap_slope_mb_per_min: number;
  };
  ok: boolean;
  markdown: string;
};

export type MemoryOptions = {
  soakMinutes: number;
  /** Requests per second during the soak (all connections together). */
  soakRate: number;
  /** Full-concurrency create load, for the "under load" RSS. */
  connections: number;
  loadSeconds: number;
  pool: number;
  log?: (line: string) => void;
};

const MB = 1024 * 1024;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Least-squares slope of y against x (0 when fewer than two points). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function readSamples(file: string): MemorySample[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MemorySample);
}

/** VmRSS of a process from /proc, in bytes (0 when unreadable). */
function procRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const between = (samples: MemorySample[], from: number, to: number) => samples.filter((s) => s.t >= from && s.t <= to);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Fixed-rate create load: `rate` requests per second over all connections, for `seconds`. */
function fixedRate(server: AppServer, key: string, rate: number, seconds: number): Promise<{ requests: number; non2xx: number; errors: number; duration: number }> {
  let n = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: server.url,
        connections: Math.max(1, Math.min(16, Math.ceil(rate / 20))),
        overallRate: rate,
        duration: seconds,
        timeout: 30,
        requests: [
          {
            method: "POST",
            path: "/api/v1/requests",
            headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
            setupRequest: (req) => ({ ...req, body: requestBody(`svc/payments-api/soak/${(n += 1)}`, "bench-soak") }),
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({ requests: result["2xx"] + result.non2xx, non2xx: result.non2xx, errors: result.errors, duration: result.duration });
      },
    );
  });
}

export async function runMemoryBench(opts: MemoryOptions): Promise<MemoryBench> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const file = path.join(os.tmpdir(), `countersign-bench-memory-${process.pid}-${Date.now()}.jsonl`);
  let db: TestDatabase | null = null;
  let server: AppServer | null = null;
  try {
    db = await createTestDatabase({ prefix: "countersign_bench", suffix: "soak" });
    [server] = (await startServers(1, {
      databaseUrl: db.url,
      names: ["soak"],
      args: ["--expose-gc", "--import", path.join(REPO_ROOT, "scripts", "bench", "memory-probe.mjs"), ...START_ARGS],
      env: {
        COUNTERSIGN_RATE_LIMIT_PER_MINUTE: "1000000000",
        COUNTERSIGN_DB_POOL: String(opts.pool),
        LOG_LEVEL: "warn",
        BENCH_MEMORY_FILE: file,
        BENCH_MEMORY_INTERVAL_MS: String(SAMPLE_EVERY_MS),
      },
    })) as [AppServer];
    const agent = await createAgentWithCli(db.url, { name: "bench-soak", owner: "owner@example.com" });

    // At rest: started, healthy, one agent registered, nothing filed yet.
    await sleep(3 * SAMPLE_EVERY_MS);
    const restTo = Date.now();
    const rest = between(readSamples(file), restTo - 2 * SAMPLE_EVERY_MS, restTo);

    log(`  under load: ${opts.connections} connections for ${opts.loadSeconds} s`);
    // Under load, RSS from /proc every 200 ms (no GC forced in between).
    const underLoad: number[] = [];
    const pid = server.pid;
    const poll = setInterval(() => underLoad.push(procRss(pid)), 200);
    const load = await runLoad({ url: server.url, key: agent.key, serverPid: server.pid, label: "soak-load" }, {
      connections: opts.connections,
      durationSeconds: opts.loadSeconds,
      tag: "memory-load",
    });
    clearInterval(poll);
    const loaded = underLoad.filter((x) => x > 0);
    await sleep(3_000);

    const seconds = Math.round(opts.soakMinutes * 60);
    log(`  soak: ${opts.soakRate} req/s for ${seconds} s, memory sampled every ${SAMPLE_EVERY_MS / 1000} s after a full GC`);
    const soakFrom = Date.now();
    const soak = await fixedRate(server, agent.key, opts.soakRate, seconds);
    const soakTo = Date.now();
    // The first fifth (at most a minute) is the warm-up: JIT, pools and caches filling.
    const warmupS = Math.min(60, Math.round(seconds / 5));
    const steady = between(readSamples(file), soakFrom + warmupS * 1000, soakTo);
    const minutesOf = (s: MemorySample) => (s.t - soakFrom) / 60_000;
    const rssSlope = slope(steady.map((s) => ({ x: minutesOf(s), y: s.rss / MB })));
    const heapSlope = slope(steady.map((s) => ({ x: minutesOf(s), y: s.heapUsed / MB })));

    const figures: Omit<MemoryBench, "ok" | "markdown"> = {
      rest: { rss_mb: r1(mean(rest.map((s) => s.rss)) / MB), heap_used_mb: r1(mean(rest.map((s) => s.heapUsed)) / MB) },
      under_load: {
        connections: opts.connections,
        seconds: opts.loadSeconds,
        req_per_s: Math.round((load.status2xx + load.non2xx) / load.durationS),
        rss_mean_mb: r1(mean(loaded) / MB),
        rss_peak_mb: r1(Math.max(0, ...loaded) / MB),
      },
      soak: {
        minutes: opts.soakMinutes,
        rate_per_s: opts.soakRate,
        achieved_req_per_s: Math.round(soak.requests / soak.duration),
        non_2xx: soak.non2xx,
        errors: soak.errors,
        warmup_s: warmupS,
        samples: steady.length,
        rss_start_mb: r1((steady[0]?.rss ?? 0) / MB),
        rss_end_mb: r1((steady.at(-1)?.rss ?? 0) / MB),
        rss_slope_mb_per_min: r2(rssSlope),
        heap_slope_mb_per_min: r2(heapSlope),
      },
    };
    const ok = figures.soak.rss_slope_mb_per_min < MEMORY_TARGETS.soakSlopeMBPerMin && soak.non2xx + soak.errors === 0;
    return { ...figures, ok, markdown: memoryMarkdown(figures, ok) };
  } finally {
    if (server) await stopServer(server, { expectCleanExit: false }).catch(() => undefined);
    if (db) await db.drop().catch(() => undefined);
    fs.rmSync(file, { force: true });
  }
}

export function memoryMarkdown(m: Omit<MemoryBench, "ok" | "markdown">, ok: boolean): string {
  const s = m.soak;
  return [
    `| server memory (\`npm start\`, one instance; sampled every ${SAMPLE_EVERY_MS / 1000} s after a full GC) | RSS MB | heap used MB | |`,
    "| --- | ---: | ---: | --- |",
    `| at rest (started, healthy, nothing filed) | ${m.rest.rss_mb} | ${m.rest.heap_used_mb} | |`,
    `| under the create load (${m.under_load.connections} connections, ${m.under_load.seconds} s, ${m.under_load.req_per_s} req/s): RSS from /proc every 200 ms, mean / peak | ${m.under_load.rss_mean_mb} / ${m.under_load.rss_peak_mb} | | |`,
    `| soak: ${s.rate_per_s} req/s fixed for ${s.minutes} min (${s.achieved_req_per_s} req/s achieved, ${s.non_2xx} non-2xx); after ${s.warmup_s} s warm-up, ${s.samples} samples | ${s.rss_start_mb} → ${s.rss_end_mb} | | |`,
    `| soak slope (least squares, after warm-up) | **${s.rss_slope_mb_per_min} MB/min** | ${s.heap_slope_mb_per_min} MB/min | ${ok ? "✅" : "❌"} target RSS slope < ${MEMORY_TARGETS.soakSlopeMBPerMin} MB/min |`,
  ].join("\n");
}
