// Fixed-concurrency load with autocannon on `POST /api/v1/requests` (the same realistic body for
// every target, a unique resource per request) or `GET /api/v1/requests/{id}` (ids of rows the
// target filed, in turn): every response's latency kept (so slices of a run merge into exact
// percentiles), and the CPU each process spent.
import autocannon from "autocannon";
import { cpuSnapshot, cpuSince } from "./cpu";
import { distribution } from "./report";

export const BENCH_ACTION = "deploy.service.release";

/** A request as a deploy agent would file it: ~1 KiB of JSON with a small diff and parameters. */
export function requestBody(resource: string, runId: string): string {
  return JSON.stringify({
    action: BENCH_ACTION,
    resource,
    environment: "production",
    intent: "Roll out payments-api 2.14.1 to fix the retry storm seen in incident INC-4821; canary 10% first.",
    context: {
      command: "kubectl -n payments set image deploy/payments-api api=registry.internal/payments-api:2.14.1",
      image: { repository: "registry.internal/payments-api", from: "2.14.0", to: "2.14.1" },
      diff: "--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -21,7 +21,7 @@\n-        image: registry.internal/payments-api:2.14.0\n+        image: registry.internal/payments-api:2.14.1\n",
      parameters: { replicas: 6, strategy: "canary", canary_percent: 10, max_unavailable: 1 },
      change_ticket: "CHG-20931",
    },
    origin: { run_id: runId, trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", model: "claude-sonnet", tool: "deploy", host: "agent-runner-3" },
  });
}

/** `postgresPids`: the backends serving the target's database (its CPU is counted from them). */
export type LoadTarget = { url: string; key?: string; serverPid: number; label: string; postgresPids?: () => Promise<number[]> };

/** One autocannon run against one target. */
export type LoadSlice = {
  durationS: number;
  latenciesMs: number[];
  status2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  cpu: { serverMs: number; postgresMs: number; selfMs: number };
};

export type LoadFigures = {
  connections: number;
  duration_s: number;
  slices: number;
  requests: number;
  req_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  status_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  /** CPU milliseconds per request, by process group (approximate, from /proc). */
  cpu_ms_per_request: { server: number; postgres: number; load_generator: number };
};

let sequence = 0;

/** What the load sends: new requests, or reads of these ids (each id in turn). */
export type LoadKind = { kind: "create" } | { kind: "read"; ids: string[] };

export async function runLoad(
  target: LoadTarget,
  opts: { connections: number; durationSeconds: number; tag: string; load?: LoadKind },
): Promise<LoadSlice> {
  const load = opts.load ?? { kind: "create" };
  if (load.kind === "read" && load.ids.length === 0) throw new Error(`${target.label}: no ids to read`);
  let nextId = 0;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.key) headers.authorization = `Bearer ${target.key}`;
  const latenciesMs: number[] = [];
  const before = cpuSnapshot(target.serverPid, await target.postgresPids?.());
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: opts.connections,
        duration: opts.durationSeconds,
        timeout: 30,
        requests: [
          load.kind === "create"
            ? {
                method: "POST",
                path: "/api/v1/requests",
                headers,
                setupRequest: (req) => ({ ...req, body: requestBody(`svc/payments-api/${opts.tag}/${(sequence += 1)}`, `bench-${opts.tag}`) }),
              }
            : {
                method: "GET",
                path: "/api/v1/requests",
                headers,
                setupRequest: (req) => ({ ...req, path: `/api/v1/requests/${load.ids[(nextId += 1) % load.ids.length]}` }),
              },
        ],
      },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latenciesMs.push(responseTime));
  });
  const cpu = cpuSince(before, await target.postgresPids?.());
  return {
    durationS: result.duration,
    latenciesMs,
    status2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpu,
  };
}

/** Merges the slices of one target into its figures (exact percentiles over every response). */
export function summarize(slices: LoadSlice[], connections: number): LoadFigures {
  const sum = (f: (s: LoadSlice) => number) => slices.reduce((acc, s) => acc + f(s), 0);
  const duration = sum((s) => s.durationS);
  const requests = sum((s) => s.status2xx + s.non2xx);
  const latency = distribution(slices.flatMap((s) => s.latenciesMs));
  const perReq = (ms: number) => (requests > 0 ? Math.round((ms / requests) * 1000) / 1000 : 0);
  return {
    connections,
    duration_s: Math.round(duration * 100) / 100,
    slices: slices.length,
    requests,
    req_per_s: Math.round((requests / duration) * 10) / 10,
    latency_ms: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    status_2xx: sum((s) => s.status2xx),
    non_2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    timeouts: sum((s) => s.timeouts),
    cpu_ms_per_request: {
      server: perReq(sum((s) => s.cpu.serverMs)),
      postgres: perReq(sum((s) => s.cpu.postgresMs)),
      load_generator: perReq(sum((s) => s.cpu.selfMs)),
    },
  };
}
