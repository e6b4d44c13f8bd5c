// The agent side (issue 13) as an agent feels it:
//   - decision-to-wake through the SDK: `waitForDecision` over the event stream (and, for
//     comparison, over long-polls), from the decision's NOTIFY (≈ its commit) to the promise
//     resolving in the agent's process — SSE framing, parsing and the SDK's own work included;
//   - the command gate's overhead on a no-op command: `countersign run … -- true` on an action
//     the policy approves at once (file, claim, verify the grant against the JWKS, run, report)
//     against `true` run bare, and against the CLI starting and doing nothing (`--help`), so the
//     Node start-up and the round trips are told apart. Medians of sequential runs.
import { spawn } from "node:child_process";
import path from "node:path";
import { Countersign, type Transport } from "@countersign/sdk";
import { REPO_ROOT, sleep } from "../../e2e/support/servers";
import { requestBody } from "./load";
import { distribution, type Distribution } from "./report";
import { openReviewerSide, type WakeOptions } from "./wake";

const GATE_BIN = path.join(REPO_ROOT, "sdk", "bin", "countersign.js");
/** A round whose wait is not answered this long after the decision is counted as missed. */
const MISS_AFTER_MS = 5_000;

export type SdkWakeFigures = { transport: Transport; rounds: number; missed: number; from_notify_ms: Distribution; from_decide_start_ms: Distribution };
export type GateFigures = { runs: number; bare_ms: Distribution; cli_start_ms: Distribution; gate_ms: Distribution; overhead_p50_ms: number; ratio_p50: number };
export type AgentSideBench = { wake: SdkWakeFigures[]; gate: GateFigures; markdown: string };

export async function runAgentSideBench(opts: Omit<WakeOptions, "waitSeconds"> & { gateRuns: number }): Promise<AgentSideBench> {
  const wake: SdkWakeFigures[] = [];
  const side = await openReviewerSide(opts);
  try {
    const cs = new Countersign({ url: opts.appUrl, key: opts.agentKey });
    for (const [transport, rounds] of [
      ["sse", opts.rounds],
      ["poll", Math.max(10, Math.round(opts.rounds / 4))],
    ] as const) {
      const fromNotify: number[] = [];
      const fromStart: number[] = [];
      let missed = 0;
      for (let i = 0; i < opts.warmupRounds + rounds; i++) {
        const filed = await cs.requestApproval(JSON.parse(requestBody(`svc/payments-api/sdk-wake/${transport}/${i}`, "bench-sdk-wake")) as never);
        let connected = () => {};
        const parked = new Promise<void>((r) => (connected = r));
        let resolvedAt = 0;
        const abandon = new AbortController();
        const waiting = cs
          .waitForDecision(filed.id, { transport, signal: abandon.signal, onUpdate: (v) => v.status === "pending" && connected() })
          .then(
            () => (resolvedAt = performance.now()),
            () => null,
          );
        // The stream's first state says it is open; a long-poll says nothing until it answers.
        if (transport === "sse") await parked;
        await sleep(opts.settleMs);
        const start = performance.now();
        await side.approve(filed.id);
        const guard = setTimeout(() => abandon.abort(), MISS_AFTER_MS);
        await waiting;
        clearTimeout(guard);
        const notifiedAt = await side.takeNotifiedAt(filed.id);
        if (resolvedAt === 0 || notifiedAt === undefined) {
          missed++;
          continue;
        }
        if (i < opts.warmupRounds) continue;
        fromNotify.push(resolvedAt - notifiedAt);
        fromStart.push(resolvedAt - start);
      }
      wake.push({ transport, rounds: fromNotify.length, missed, from_notify_ms: distribution(fromNotify), from_decide_start_ms: distribution(fromStart) });
    }
  } finally {
    await side.close();
  }
  const gate = await gateOverhead(opts.appUrl, opts.agentKey, opts.gateRuns);
  return { wake, gate, markdown: markdown(wake, gate) };
}

/** Wall time of `node <args>` or a command, from spawn to exit; throws on a non-zero exit. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

async function gateOverhead(url: string, key: string, runs: number): Promise<GateFigures> {
  const env = { ...process.env, COUNTERSIGN_URL: url, COUNTERSIGN_KEY: key };
  const bare: number[] = [];
  const cli: number[] = [];
  const gate: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    // Interleaved, so drift in the machine's load hits all three alike; two warm-up rounds.
    const b = await timed("true", [], env);
    const c = await timed(process.execPath, [GATE_BIN, "--help"], env);
    const g = await timed(
      process.execPath,
      [GATE_BIN, "run", "--action", "bench.noop.read", "--env", "staging", "--resource", `bench-${i}`, "--intent", "Gate overhead bench", "--", "true"],
      env,
    );
    if (i < 2) continue;
    bare.push(b);
    cli.push(c);
    gate.push(g);
  }
  const d = { bare: distribution(bare), cli: distribution(cli), gate: distribution(gate) };
  return {
    runs,
    bare_ms: d.bare,
    cli_start_ms: d.cli,
    gate_ms: d.gate,
    overhead_p50_ms: Math.round((d.gate.p50 - d.bare.p50) * 10) / 10,
    ratio_p50: Math.round((d.gate.p50 / d.cli.p50) * 100) / 100,
  };
}

function markdown(wake: SdkWakeFigures[], gate: GateFigures): string {
  const f = (x: number) => x.toFixed(1);
  return [
    "| Agent side (issue 13) | p50 | p99 | n |",
    "|---|---:|---:|---:|",
    ...wake.map(
      (w) =>
        `| SDK decision-to-wake, ${w.transport === "sse" ? "event stream" : "long-poll"}: NOTIFY (≈ commit) → \`waitForDecision\` resolves | ${f(w.from_notify_ms.p50)} ms | ${f(w.from_notify_ms.p99)} ms | ${w.rounds}${w.missed ? ` (${w.missed} missed)` : ""} |`,
    ),
    `| \`true\` run bare | ${f(gate.bare_ms.p50)} ms | ${f(gate.bare_ms.p99)} ms | ${gate.runs} |`,
    `| \`countersign --help\` (Node + CLI start-up, no network) | ${f(gate.cli_start_ms.p50)} ms | ${f(gate.cli_start_ms.p99)} ms | ${gate.runs} |`,
    `| \`countersign run … -- true\`, auto-approved (file, claim, verify grant, run, report) | ${f(gate.gate_ms.p50)} ms | ${f(gate.gate_ms.p99)} ms | ${gate.runs} |`,
    `| gate overhead on a no-op command (p50, gate − bare) | ${f(gate.overhead_p50_ms)} ms | | |`,
    `| gate ÷ CLI start-up (p50): the round trips' share | ${gate.ratio_p50}× | | |`,
  ].join("\n");
}
