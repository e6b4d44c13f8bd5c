// Fixed-concurrency load on `POST /api/v1/requests` with autocannon, the same realistic body for
// every target (a unique resource per request), plus the CPU each process spent doing it.
import autocannon from "autocannon";
import { cpuSnapshot, cpuSince, type CpuSnapshot } from "./cpu";

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

export type LoadFigures = {
  connections: number;
  duration_s: number;
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

export type LoadTarget = { url: string; key?: string; serverPid: number; label: string };

export async function runLoad(
  target: LoadTarget,
  opts: { connections: number; durationSeconds: number; tag: string },
): Promise<LoadFigures> {
  let n = 0;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.key) headers.authorization = `Bearer ${target.key}`;
  const before: CpuSnapshot = cpuSnapshot(target.serverPid);
  const result = await autocannon({
    url: target.url,
    connections: opts.connections,
    duration: opts.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: "POST",
        path: "/api/v1/requests",
        headers,
        setupRequest: (req) => ({ ...req, body: requestBody(`svc/payments-api/${opts.tag}/${(n += 1)}`, `bench-${opts.tag}`) }),
      },
    ],
  });
  const cpu = cpuSince(before);
  const requests = result["2xx"] + result.non2xx;
  const perReq = (ms: number) => (requests > 0 ? round(ms / requests, 3) : 0);
  return {
    connections: opts.connections,
    duration_s: result.duration,
    requests,
    req_per_s: round(requests / result.duration, 1),
    latency_ms: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean, 2),
    },
    status_2xx: result["2xx"],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpu_ms_per_request: { server: perReq(cpu.serverMs), postgres: perReq(cpu.postgresMs), load_generator: perReq(cpu.selfMs) },
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
