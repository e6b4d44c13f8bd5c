// The process's Prometheus metrics (GET /api/metrics). Two kinds: what this process sees happen —
// decisions committed, waiters woken, rate-limit refusals — recorded as it happens by one call that
// only bumps a number; and what the database holds — requests by status and risk, outbox and sealer
// lag, dead deliveries — read at scrape time (db/queries/operations.ts), so every instance reports
// the same totals and the hot path pays nothing for them.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { getDb } from "@/db/client";
import { countRequestsByStatusAndRisk, oldestUnsealedAuditEventAt, readOutboxHealth } from "@/db/queries/operations";
import { getChainStatus } from "@/lib/audit/chain-status";
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";
import { REQUEST_STATUSES, RISK_LEVELS } from "@/lib/vocabulary";

/** Which limit refused a call: the per-minute request budget, or the cap of open long-polls or streams. */
export type RefusedLimit = "requests" | "long_polls" | "streams";

// Human decisions take seconds to hours; wakes take milliseconds.
const DECISION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];
const WAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Gauge({ name: "countersign_requests", help: "Requests by status and risk level (from the database)", labelNames: ["status", "risk"] as const, registers }),
    pending: new Gauge({ name: "countersign_requests_pending", help: "Requests waiting for a decision (from the database)", registers }),
    decisionLatency: new Histogram({
      name: "countersign_decision_latency_seconds",
      help: "From filing to the human decision that ended the wait (approved or denied), observed where the decision commits",
      labelNames: ["outcome"] as const,
      buckets: DECISION_BUCKETS,
      registers,
    }),
    wakeLatency: new Histogram({
      name: "countersign_wake_latency_seconds",
      help: "From a change's commit to its notice waking this process's long-polls and streams of that request",
      buckets: WAKE_BUCKETS,
      registers,
    }),
    outboxLag: new Gauge({ name: "countersign_outbox_lag_seconds", help: "How long the oldest due notification delivery has waited (0: none waiting)", registers }),
    outboxDead: new Gauge({ name: "countersign_outbox_dead_deliveries", help: "Notification deliveries given up on after their last retry", registers }),
    sealerLag: new Gauge({ name: "countersign_audit_sealer_lag_seconds", help: "Age of the oldest audit event not yet sealed into the chain (0: all sealed)", registers }),
    chainVerifiedSeq: new Gauge({
      name: "countersign_audit_chain_verified_seq",
      help: "The audit chain's seq this process has verified through (-1: broken or not yet verified)",
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: "countersign_rate_limit_refusals_total",
      help: "Agent calls refused with 429, by the limit that refused them",
      labelNames: ["limit"] as const,
      registers,
    }),
    scrapeDatabaseUp: new Gauge({ name: "countersign_scrape_database_up", help: "1 when this scrape could read the database-backed series, else 0", registers }),
  };
}

const metrics = processWide("observability-metrics", createMetrics);

/** A human decision committed: the request ended its wait `filedAt → decidedAt` as `outcome`. */
export function observeDecision(outcome: "approved" | "denied", filedAt: Date, decidedAt: Date): void {
  metrics.decisionLatency.observe({ outcome }, Math.max(0, decidedAt.getTime() - filedAt.getTime()) / 1000);
}

/** A notice of a change committed at `committedAtMs` (epoch ms) reached waiters of its request. */
export function observeWake(committedAtMs: number): void {
  metrics.wakeLatency.observe(Math.max(0, Date.now() - committedAtMs) / 1000);
}

export function countRateLimitRefusal(limit: RefusedLimit): void {
  metrics.rateLimitRefusals.inc({ limit });
}

const seconds = (since: Date | null, now: number) => (since ? Math.max(0, (now - since.getTime()) / 1000) : 0);

/** Reads the database-backed series; a failure leaves them at their last values and says so. */
async function collectFromDatabase(): Promise<void> {
  try {
    const db = await getDb();
    const [counts, outbox, unsealedAt, chain] = await Promise.all([
      countRequestsByStatusAndRisk(db),
      readOutboxHealth(db),
      oldestUnsealedAuditEventAt(db),
      getChainStatus(50),
    ]);
    const now = Date.now();
    // Every status × risk pair is reported, zeros included, so a series never vanishes.
    for (const status of REQUEST_STATUSES) for (const risk of RISK_LEVELS) metrics.requests.set({ status, risk }, 0);
    let pending = 0;
    for (const c of counts) {
      metrics.requests.set({ status: c.status, risk: c.riskLevel }, c.count);
      if (c.status === "pending") pending += c.count;
    }
    metrics.pending.set(pending);
    metrics.outboxLag.set(seconds(outbox.oldestDueAt, now));
    metrics.outboxDead.set(outbox.dead);
    metrics.sealerLag.set(seconds(unsealedAt, now));
    metrics.chainVerifiedSeq.set(chain.state === "verified" ? (chain.head?.seq ?? 0) : -1);
    metrics.scrapeDatabaseUp.set(1);
  } catch (err) {
    log.warn({ err }, "metrics scrape could not read the database");
    metrics.scrapeDatabaseUp.set(0);
  }
}

/** The Prometheus text exposition of every series, the database-backed ones read now. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  await collectFromDatabase();
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}
