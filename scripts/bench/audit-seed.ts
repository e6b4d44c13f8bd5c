// Fills a fresh, migrated database with N realistic audit events, SEALED into one valid hash chain,
// fast: rows are generated in Node in time order (request lifecycles interleaved the way the app
// writes them), chained with the app's own rule (lib/audit/chain.ts), and COPYed in one stream.
//
//   npx tsx scripts/bench/audit-seed.ts [--events 1000000] [--days 90] [--url postgres://…] [--keep]
//
// Without --url it creates its own database (countersign_auditseed_…) and drops it afterwards
// unless --keep is given (then it prints the URL, for `npx tsx scripts/bench/audit.ts --url …`).
//
// How it stays fast on a 2-core box: the secondary indexes are dropped before the load and rebuilt
// from their exact definitions afterwards (two sessions in parallel, one for the trigram GIN index,
// one for the B-trees); the COPY runs with FREEZE in the transaction that (no-op) truncates the
// empty table, so the rows are written once, already frozen and all-visible (no hint-bit writes or
// VACUUM later). The append-only trigger is disabled for the load and re-enabled in the same
// transaction. Each event carries its MAC (lib/audit/mac.ts) under the process's audit MAC key, and
// the requests, their agents and votes are then derived from the events in SQL, so that
// `audit verify`'s reconciliation has rows that agree with them. ANALYZE at the end.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import type { AuditActor, AuditEventRow } from "@/db/schema";
import { chainHashOf, eventCanonical, GENESIS_HASH } from "@/lib/audit/chain";
import { searchFieldsOf } from "@/lib/audit/search-text";
import { macOf } from "@/lib/audit/mac";
import { keyRing, type MacKey } from "@/lib/evidence/keys";
import { outcomeOf } from "@/lib/audit/events";
import { riskLevel } from "@/lib/policy/evaluate";
import type { AuditEventType } from "@/lib/vocabulary";

export type SeedOptions = {
  databaseUrl: string;
  events?: number;
  days?: number;
  /** PRNG seed: the same seed gives the same events (relative to the end time). */
  seed?: number;
  /** Newest event time; default now. */
  end?: Date;
  onProgress?: (phase: string, detail: string) => void;
  /** The audit MAC key (default: this process's keyRing). */
  macKey?: MacKey;
};

export type SeedResult = {
  events: number;
  requests: number;
  from: string;
  to: string;
  head: { seq: number; hash: string };
  seconds: { generateAndCopy: number; indexes: number; analyze: number; total: number };
  /** Node CPU spent generating + hashing + encoding rows (of generateAndCopy). */
  nodeCpuSeconds: number;
  sizes: { tableMB: number; indexesMB: number };
};

// ── deterministic randomness ──────────────────────────────────────────────────────────────────

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Log-uniform: many short delays, a long tail. */
  logBetween(lo: number, hi: number): number {
    return Math.exp(this.between(Math.log(lo), Math.log(hi)));
  }
  hex(chars: number): string {
    let s = "";
    while (s.length < chars) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, "0");
    return s.slice(0, chars);
  }
  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/** Picks with weights, in O(log n). */
class Weighted<T> {
  private readonly cum: number[] = [];
  private readonly total: number;
  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let s = 0;
    for (const w of weights) this.cum.push((s += w));
    this.total = s;
  }
  pick(r: Rand): T {
    const x = r.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/** Zipf-ish weights: a few very active agents and reviewers, a long tail of occasional ones. */
const zipf = (n: number, s = 0.9) => Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s));

// ── the world the events describe ─────────────────────────────────────────────────────────────

const SERVICES = [
  "payments-api", "orders-service", "checkout-web", "search-indexer", "auth-gateway", "ledger", "notifications",
  "inventory", "recommendations", "fraud-scorer", "shipping-quotes", "customer-portal", "reporting-etl", "pricing-engine",
  "email-relay", "kyc-verifier", "loyalty-points", "tax-calculator", "media-transcoder", "feature-store",
] as const;
const DATABASES = ["orders-primary", "customers-main", "ledger-pg", "analytics-dw", "sessions-cache", "billing-db"] as const;
const BUCKETS = ["customer-exports", "invoices-archive", "ml-training-data", "app-logs", "backups-nightly"] as const;
const MODELS = ["gpt-4.1", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.3-70b", "internal-ops-7b"] as const;
const TOOLS = ["terraform-runner", "kubectl-mcp", "psql-mcp", "aws-cli", "gh-actions", "ops-copilot"] as const;

type ActionSpec = { action: string; risk: number; weight: number; kind: "read" | "change" | "deny-prod"; resource: (r: Rand) => string; approvals?: number; approvers: string[] };

const svc = (r: Rand) => `svc/${r.pick(SERVICES)}`;
const dbr = (r: Rand) => `db/${r.pick(DATABASES)}`;
const ACTIONS: ActionSpec[] = [
  { action: "db.orders.read", risk: 0, weight: 14, kind: "read", resource: dbr, approvers: [] },
  { action: "db.customers.read", risk: 0, weight: 8, kind: "read", resource: dbr, approvers: [] },
  { action: "k8s.pod.logs.read", risk: 0, weight: 9, kind: "read", resource: svc, approvers: [] },
  { action: "s3.bucket.read", risk: 0, weight: 5, kind: "read", resource: (r) => `s3://${r.pick(BUCKETS)}`, approvers: [] },
  { action: "billing.invoice.read", risk: 0, weight: 3, kind: "read", resource: (r) => `invoice/INV-${100000 + r.int(900000)}`, approvers: [] },
  { action: "deploy.service.release", risk: 20, weight: 16, kind: "change", resource: svc, approvers: ["platform-oncall"] },
  { action: "deploy.service.rollback", risk: 20, weight: 4, kind: "change", resource: svc, approvers: ["platform-oncall"] },
  { action: "k8s.deployment.scale", risk: 20, weight: 7, kind: "change", resource: svc, approvers: ["platform-oncall"] },
  { action: "k8s.pod.exec", risk: 45, weight: 3, kind: "change", resource: svc, approvers: ["platform-oncall"] },
  { action: "db.orders.migrate", risk: 40, weight: 4, kind: "change", resource: dbr, approvers: ["platform-oncall"] },
  { action: "db.customers.export", risk: 55, weight: 2, kind: "change", resource: dbr, approvers: ["security"] },
  { action: "db.orders.drop", risk: 100, weight: 0.4, kind: "deny-prod", resource: dbr, approvers: ["platform-oncall"] },
  { action: "iam.policy.update", risk: 60, weight: 3, kind: "change", resource: (r) => `role/${r.pick(SERVICES)}-runtime`, approvals: 2, approvers: ["security"] },
  { action: "iam.role.attach", risk: 60, weight: 2, kind: "change", resource: (r) => `role/${r.pick(SERVICES)}-deployer`, approvals: 2, approvers: ["security"] },
  { action: "s3.object.delete", risk: 35, weight: 2, kind: "change", resource: (r) => `s3://${r.pick(BUCKETS)}/${r.hex(8)}`, approvers: ["platform-oncall"] },
  { action: "secrets.value.read", risk: 50, weight: 2, kind: "change", resource: (r) => `secret/${r.pick(SERVICES)}/db-password`, approvers: ["security"] },
  { action: "billing.refund.issue", risk: 30, weight: 3, kind: "change", resource: (r) => `order/ORD-${1000000 + r.int(9000000)}`, approvers: ["platform-oncall"] },
  { action: "dns.record.update", risk: 30, weight: 1, kind: "change", resource: (r) => `dns/${r.pick(SERVICES)}.acme.example`, approvers: ["platform-oncall"] },
  { action: "cdn.cache.purge", risk: 10, weight: 2, kind: "change", resource: (r) => `cdn/${r.pick(SERVICES)}`, approvers: ["platform-oncall"] },
  { action: "feature.flag.toggle", risk: 15, weight: 4, kind: "change", resource: (r) => `flag/${r.pick(SERVICES)}.${r.pick(["new-checkout", "fast-path", "beta-ui", "v2-api"])}`, approvers: ["platform-oncall"] },
];
const ACTION_PICK = new Weighted(ACTIONS, ACTIONS.map((a) => a.weight));

const ENVIRONMENTS = new Weighted(
  [
    ["production", 25],
    ["staging", 10],
    ["development", 0],
    ["sandbox", 0],
    ["dr-production", 25],
  ] as const,
  [38, 27, 25, 6, 4],
);

const FIRST = ["alice", "bob", "carol", "dmitri", "erin", "farah", "gopal", "hana", "ivan", "julia", "kenji", "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "victor", "wen", "xenia", "yusuf", "zoe"];
const LAST = ["nguyen", "smith", "garcia", "okafor", "kowalski", "tanaka", "muller", "rossi", "haddad", "lindqvist", "patel", "silva", "obrien", "kim", "novak"];
const NOTES = [
  "LGTM", "approved per CHG-{n}", "ok, within change window", "matches runbook step 4", "go ahead", "verified params with owner",
  "outside change window, retry after 18:00 UTC", "too broad: scope it to one service", "needs a ticket first", "duplicate of an earlier request",
  "approved for incident INC-{n}", "customer escalation {n}, approved", "denied: missing rollback plan", "please add on_behalf_of",
];
const INTENTS = [
  "Roll out {ver} of {svc} to fix the retry storm seen in INC-{n}",
  "Scale {svc} to {k} replicas ahead of the campaign",
  "Read the last hour of logs from {svc} to triage INC-{n}",
  "Run migration {k}_add_index on {db}",
  "Export customer records for GDPR request DSR-{n}",
  "Refund order ORD-{n} after duplicate charge",
  "Rotate access for {svc} deployer role per SEC-{n}",
  "Purge CDN cache for {svc} after the hotfix",
  "Toggle flag for {svc} to mitigate latency regression",
  "Query {db} for reconciliation report REC-{n}",
];

function fill(r: Rand, template: string): string {
  return template
    .replace("{n}", String(1000 + r.int(9000)))
    .replace("{svc}", r.pick(SERVICES))
    .replace("{db}", r.pick(DATABASES))
    .replace("{ver}", `v${1 + r.int(4)}.${r.int(20)}.${r.int(10)}`)
    .replace("{k}", String(2 + r.int(40)));
}

type Agent = { actor: AuditActor; owner: string };
type User = { actor: AuditActor & { idp: string; groups: string[] } };

function makeAgents(r: Rand, n: number): Agent[] {
  const kinds = ["deploy-bot", "ops-copilot", "migrator", "data-agent", "support-agent", "finops-bot", "sre-assistant"];
  return Array.from({ length: n }, (_, i) => {
    const owner = `${r.pick(FIRST)}.${r.pick(LAST)}@acme.example`;
    return { actor: { kind: "agent", id: r.uuid(), display: `${kinds[i % kinds.length]}-${i + 1}` }, owner };
  });
}

function makeUsers(r: Rand, n: number): User[] {
  const groupSets = [["platform-oncall"], ["platform-oncall"], ["security-team"], ["platform-oncall", "security-team"], ["countersign-admins"], ["compliance"]];
  const seen = new Set<string>();
  const users: User[] = [];
  while (users.length < n) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const email = `${first}.${last}${seen.has(`${first}.${last}`) ? users.length : ""}@acme.example`;
    seen.add(`${first}.${last}`);
    const name = `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`;
    users.push({ actor: { kind: "user", id: email, display: name, idp: r.chance(0.8) ? "okta" : "github", groups: [...r.pick(groupSets)] } });
  }
  return users;
}

const SYSTEM: AuditActor = { kind: "system", id: "countersign", display: "Countersign" };

// ── time: 90 days with office hours busier than nights and weekends ───────────────────────────

function timeWarp(fromMs: number, toMs: number): (u: number) => number {
  const HOUR = 3_600_000;
  const hours = Math.max(1, Math.ceil((toMs - fromMs) / HOUR));
  const cum: number[] = [];
  let s = 0;
  for (let h = 0; h < hours; h++) {
    const d = new Date(fromMs + h * HOUR);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const office = d.getUTCHours() >= 7 && d.getUTCHours() < 19;
    cum.push((s += (weekend ? 0.3 : 1) * (office ? 1 : 0.35)));
  }
  return (u: number) => {
    const x = u * s;
    let lo = 0;
    let hi = hours - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    const before = lo === 0 ? 0 : cum[lo - 1]!;
    const frac = (x - before) / (cum[lo]! - before);
    return Math.min(toMs, fromMs + (lo + frac) * HOUR);
  };
}

// ── events in time order: a min-heap of pending lifecycle events ──────────────────────────────

type Pending = {
  at: number;
  order: number;
  type: AuditEventType;
  actor: AuditActor;
  channel: AuditEventRow["channel"];
  request: { id: string; agentId: string; action: string; environment: string; riskLevel: AuditEventRow["riskLevel"] } | null;
  agentId: string | null;
  payload: Record<string, unknown>;
};

class Heap {
  private a: Pending[] = [];
  get size() {
    return this.a.length;
  }
  private less(i: number, j: number) {
    const x = this.a[i]!;
    const y = this.a[j]!;
    return x.at < y.at || (x.at === y.at && x.order < y.order);
  }
  push(p: Pending) {
    const a = this.a;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  peek(): Pending | undefined {
    return this.a[0];
  }
  pop(): Pending | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const rr = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (rr < a.length && this.less(rr, m)) m = rr;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const MIN = 60_000;

/** Everything one request leads to, as in lib/requests/lifecycle.ts (payload shapes included). */
function requestStory(r: Rand, at: number, agent: Agent, users: Weighted<User>, policyHash: string, push: (p: Omit<Pending, "order">) => void): void {
  const spec = ACTION_PICK.pick(r);
  const [environment, envRisk] = ENVIRONMENTS.pick(r);
  const bulk = r.chance(0.15) ? 5 + r.int(25) : 0;
  const score = Math.min(100, spec.risk + envRisk + bulk);
  const request = { id: r.uuid(), agentId: agent.actor.id, action: spec.action, environment, riskLevel: riskLevel(score) };
  const paramsHash = r.hex(64);
  const rule =
    spec.kind === "read" ? "reads-are-free" : spec.kind === "deny-prod" && environment.endsWith("production") ? "no-prod-db-drops" : spec.action.startsWith("iam.") ? "iam-changes" : "everything-else";
  const approvalsRequired = spec.approvals ?? 1;
  const base = { request, agentId: request.agentId };
  push({
    ...base,
    at,
    type: "request.created",
    actor: agent.actor,
    channel: "api",
    payload: {
      resource: spec.resource(r),
      intent: fill(r, r.pick(INTENTS)),
      params_hash: paramsHash,
      on_behalf_of: r.chance(0.4) ? users.pick(r).actor.id : null,
      origin: { run_id: `run_${r.hex(12)}`, trace_id: r.hex(32), model: r.pick(MODELS), tool: r.pick(TOOLS), host: `agent-host-${1 + r.int(24)}` },
      risk_score: score,
      rule,
      policy_hash: policyHash,
      approvals_required: rule === "reads-are-free" || rule === "no-prod-db-drops" ? 0 : approvalsRequired,
      approver_groups: rule === "reads-are-free" || rule === "no-prod-db-drops" ? [] : spec.approvers,
    },
  });

  let t = at;
  const execute = (grantedAt: number) => {
    if (r.chance(0.06)) return; // approved but never used (the grant lapses quietly)
    t = grantedAt + r.logBetween(200, 10 * MIN);
    push({ ...base, at: t, type: "request.executed", actor: agent.actor, channel: "api", payload: { params_hash: paramsHash } });
    if (r.chance(0.9)) {
      const failed = r.chance(0.05);
      t += r.logBetween(300, 20 * MIN);
      push({
        ...base,
        at: t,
        type: "request.result",
        actor: agent.actor,
        channel: "api",
        payload: { status: failed ? "failed" : "succeeded", detail: failed ? { error: r.pick(["timeout", "permission denied", "conflict", "exit status 1"]), attempt: 1 + r.int(3) } : r.chance(0.5) ? { duration_ms: r.int(90_000) } : null },
      });
    }
  };

  if (rule === "reads-are-free") {
    t += 2 + r.int(30);
    push({ ...base, at: t, type: "request.auto_approved", actor: SYSTEM, channel: "system", payload: { rule } });
    execute(t);
    return;
  }
  if (rule === "no-prod-db-drops") {
    t += 2 + r.int(30);
    push({ ...base, at: t, type: "request.refused", actor: SYSTEM, channel: "system", payload: { rule, explanation: `Rule "${rule}" denies ${spec.action} in ${environment}.` } });
    return;
  }
  const fate = r.next();
  if (fate < 0.07) {
    push({ ...base, at: t + 60 * MIN, type: "request.expired", actor: SYSTEM, channel: "system", payload: { phase: "decision" } });
    return;
  }
  if (fate < 0.1) {
    push({ ...base, at: t + r.logBetween(5_000, 30 * MIN), type: "request.cancelled", actor: agent.actor, channel: "api", payload: { reason: r.chance(0.5) ? "superseded by a newer request" : null } });
    return;
  }
  const denied = fate > 0.9;
  const channels = new Weighted(["console", "slack", "cli"] as const, [55, 40, 5]);
  let approvals = 0;
  const voted = new Set<string>();
  for (let i = 0; i < approvalsRequired; i++) {
    // Distinct reviewers, as the app requires (one vote per reviewer per request).
    let reviewer = users.pick(r);
    while (voted.has(reviewer.actor.id)) reviewer = users.pick(r);
    voted.add(reviewer.actor.id);
    const channel = channels.pick(r);
    t += r.logBetween(8_000, 45 * MIN);
    const note = r.chance(denied ? 0.9 : 0.35) ? fill(r, r.pick(NOTES)) : null;
    if (denied) {
      push({ ...base, at: t, type: "review.denied", actor: reviewer.actor, channel, payload: { note, params_hash: paramsHash } });
      push({ ...base, at: t, type: "request.denied", actor: reviewer.actor, channel, payload: { note } });
      return;
    }
    approvals += 1;
    push({ ...base, at: t, type: "review.approved", actor: reviewer.actor, channel, payload: { note, params_hash: paramsHash } });
    if (approvals === approvalsRequired) {
      const grant = new Date(t + 15 * MIN).toISOString();
      push({ ...base, at: t, type: "request.approved", actor: reviewer.actor, channel, payload: { approvals, approvals_required: approvalsRequired, grant_expires_at: grant } });
      execute(t);
    }
  }
}

// ── COPY text format ──────────────────────────────────────────────────────────────────────────

const COLUMNS = [
  "event_id", "occurred_at", "type", "actor_kind", "actor_id", "actor", "channel", "request_id", "agent_id", "action",
  "environment", "risk_level", "outcome", "payload", "seq", "prev_hash", "hash", "sealed_at", "mac", "search_text", "search_ids",
] as const;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function copyText(v: string | null): string {
  if (v === null) return "\\N";
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

// ── the rows the events describe ──────────────────────────────────────────────────────────────

/** Agents, requests (status, result, params_hash as their events left them) and votes, in SQL. */
async function materializeRequests(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into agents (id, name, owner, created_at, created_by)
      select agent_id, 'bench-' || agent_id, 'owner@bench.test', min(occurred_at), 'audit-seed'
        from audit_events where agent_id is not null group by agent_id`;
    // One pass each (DISTINCT ON, hash joins), never a per-request lookup: this runs before ANALYZE.
    await tx`
      with s as (
        select distinct on (request_id) request_id,
               case type when 'request.auto_approved' then 'approved' when 'request.approved' then 'approved'
                         when 'request.refused' then 'denied' when 'request.denied' then 'denied'
                         when 'request.expired' then 'expired' when 'request.cancelled' then 'cancelled'
                         when 'request.executed' then 'executed' end as status
          from audit_events
         where request_id is not null
           and type in ('request.auto_approved', 'request.approved', 'request.refused', 'request.denied', 'request.expired', 'request.cancelled', 'request.executed')
         order by request_id, seq desc
      ), res as (
        select distinct on (request_id) request_id, payload->>'status' as status
          from audit_events where request_id is not null and type = 'request.result'
         order by request_id, seq desc
      )
      insert into requests (id, agent_id, action, resource, environment, intent, context, origin, on_behalf_of, params_hash,
                            status, risk_score, risk_level, risk_reasons, policy_rule, policy_hash, policy_decision, explanation,
                            approvals_required, approver_groups, grant_window_seconds, decision_deadline, created_at, updated_at,
                            body_hash, result_status)
      select c.request_id, c.agent_id, c.action, c.payload->>'resource', c.environment, c.payload->>'intent', '{}'::jsonb,
             c.payload->'origin', c.payload->>'on_behalf_of', c.payload->>'params_hash',
             coalesce(s.status, 'pending')::request_status, (c.payload->>'risk_score')::int, c.risk_level, '[]'::jsonb,
             c.payload->>'rule', c.payload->>'policy_hash', 'require_approval', '', (c.payload->>'approvals_required')::int,
             c.payload->'approver_groups', 900, c.occurred_at + interval '1 hour', c.occurred_at, c.occurred_at, '', res.status
        from audit_events c
        left join s on s.request_id = c.request_id
        left join res on res.request_id = c.request_id
       where c.type = 'request.created'`;
    await tx`
      insert into reviews (id, request_id, reviewer_id, reviewer_name, idp, groups, decision, channel, created_at)
      select gen_random_uuid(), request_id, actor_id, actor->>'display', coalesce(actor->>'idp', 'okta'), coalesce(actor->'groups', '[]'::jsonb),
             (case type when 'review.approved' then 'approve' else 'deny' end)::review_decision, channel, occurred_at
        from audit_events where type in ('review.approved', 'review.denied') and request_id is not null`;
  });
}

// ── the load ──────────────────────────────────────────────────────────────────────────────────

/** Seeds `events` sealed audit events into the (migrated, empty) database at `databaseUrl`. */
export async function seedAuditEvents(opts: SeedOptions): Promise<SeedResult> {
  const target = opts.events ?? 1_000_000;
  const days = opts.days ?? 90;
  const progress = opts.onProgress ?? (() => {});
  const macKey = opts.macKey ?? (await keyRing()).mac;
  const t0 = performance.now();
  const endMs = (opts.end ?? new Date()).getTime();
  const startMs = endMs - days * 86_400_000;
  // Stories start up to ~2 h before the end, so their later events (reviews, results) still fall before it.
  const warp = timeWarp(startMs, endMs - 2 * 3_600_000);

  const r = new Rand(mulberry32(opts.seed ?? 20_260_401));
  const agents = makeAgents(r, 80);
  const users = makeUsers(r, 120);
  const agentPick = new Weighted(agents, zipf(agents.length));
  const userPick = new Weighted(users, zipf(users.length, 0.8));
  const policyHashes = Array.from({ length: 6 }, () => r.hex(64));

  const sql = postgres(opts.databaseUrl, { max: 3, onnotice: () => {}, idle_timeout: 5 });
  try {
    const [{ n }] = (await sql`select count(*)::int as n from audit_events`) as unknown as [{ n: number }];
    if (n !== 0) throw new Error(`audit_events already holds ${n} rows: the seed needs an empty, freshly migrated database`);
    const indexes = (await sql`
      select i.indexname as name, i.indexdef as def
        from pg_indexes i
       where i.schemaname = current_schema() and i.tablename = 'audit_events'
         and not exists (select 1 from pg_constraint c where c.conrelid = 'audit_events'::regclass and c.conname = i.indexname)
       order by i.indexname`) as unknown as { name: string; def: string }[];

    // ── generate, chain and COPY, in one transaction with the trigger off ──
    let emitted = 0;
    let requests = 0;
    let prev = GENESIS_HASH;
    let firstAt = "";
    let lastAt = "";
    let nodeCpuMs = 0;
    const heap = new Heap();
    let order = 0;
    let pushedEvents = 0;
    const push = (p: Omit<Pending, "order">) => {
      heap.push({ ...p, order: order++ });
      pushedEvents++;
    };

    const row = (p: Pending): string => {
      const seq = ++emitted;
      const occurredAt = new Date(Math.round(p.at));
      const e = {
        eventId: r.uuid(),
        occurredAt,
        type: p.type,
        actor: p.actor,
        channel: p.channel,
        requestId: p.request?.id ?? null,
        agentId: p.request?.agentId ?? p.agentId,
        action: p.request?.action ?? null,
        environment: p.request?.environment ?? null,
        riskLevel: p.request?.riskLevel ?? null,
        outcome: outcomeOf(p.type, p.payload),
        payload: p.payload,
      } as AuditEventRow;
      // The app's own rules, not copies: the chain and the MACs must verify with lib/audit/verify.ts.
      const canonical = eventCanonical(e);
      const search = searchFieldsOf({ ...e, actorId: e.actor.id });
      const hash = chainHashOf(prev, canonical, e.type, seq);
      const iso = occurredAt.toISOString();
      if (seq === 1) firstAt = iso;
      lastAt = iso;
      const line = [
        e.eventId,
        iso,
        e.type,
        e.actor.kind,
        copyText(e.actor.id),
        copyText(JSON.stringify(e.actor)),
        e.channel,
        e.requestId ?? "\\N",
        e.agentId ?? "\\N",
        e.action ?? "\\N",
        e.environment ?? "\\N",
        e.riskLevel ?? "\\N",
        e.outcome ?? "\\N",
        copyText(JSON.stringify(e.payload)),
        String(seq),
        prev,
        hash,
        new Date(occurredAt.getTime() + 3 + (seq % 40)).toISOString(),
        macOf(macKey, canonical),
        // What the app writes with each row (lib/audit/search-text.ts; the app lower-cases the words
        // with the database's lower(), COPY cannot: these generated words are ASCII, alike either way).
        copyText(search.searchText.toLowerCase()),
        `{${search.searchIds.join(",")}}`,
      ].join("\t");
      prev = hash;
      return line + "\n";
    };

    /** Side events that are not part of a request: sign-ins, agent keys, policy reloads, exports. */
    const sideEvents = (at: number) => {
      if (r.chance(0.05)) {
        const u = userPick.pick(r);
        push({ at, type: "auth.signed_in", actor: u.actor, channel: "console", request: null, agentId: null, payload: { idp: u.actor.idp, subject: `${u.actor.idp}:${r.hex(10)}` } });
        if (r.chance(0.3)) push({ at: at + r.logBetween(MIN, 8 * 60 * MIN), type: "auth.signed_out", actor: u.actor, channel: "console", request: null, agentId: null, payload: {} });
      }
      if (r.chance(0.002)) {
        const a = agentPick.pick(r);
        const admin = users[4]!;
        push({ at, type: "agent.key_rotated", actor: admin.actor, channel: r.chance(0.5) ? "cli" : "console", request: null, agentId: a.actor.id, payload: { name: a.actor.display, key_prefix: `csk_${r.hex(8)}` } });
      }
      if (r.chance(0.0006)) {
        push({ at, type: "policy.loaded", actor: SYSTEM, channel: "system", request: null, agentId: null, payload: { source: "/etc/countersign/policy.yaml", hash: r.pick(policyHashes), rules: 5 + r.int(20), pid: 1000 + r.int(60000) } });
      }
      if (r.chance(0.001)) {
        const u = users.find((x) => x.actor.groups.includes("compliance")) ?? users[0]!;
        push({ at, type: "audit.exported", actor: u.actor, channel: "console", request: null, agentId: null, payload: { format: r.chance(0.5) ? "csv" : "ndjson", filter: { action: ACTION_PICK.pick(r).action }, chain_head: emitted > 0 ? { seq: emitted, hash: prev } : null } });
      }
    };

    // Agents are created (by an admin) before their first request.
    const created = new Set<string>();

    async function* chunks(): AsyncGenerator<string> {
      let buf: string[] = [];
      let bytes = 0;
      let cpu = process.cpuUsage();
      const flush = () => {
        const out = buf.join("");
        buf = [];
        bytes = 0;
        return out;
      };
      const emit = (p: Pending) => {
        const line = row(p);
        buf.push(line);
        bytes += line.length;
      };
      let nextReport = 0;
      while (emitted < target) {
        // Story start times follow the events generated so far: the 90 days fill evenly.
        const at = warp(Math.min(1, pushedEvents / target)) + r.next() * 1000;
        while (heap.size > 0 && heap.peek()!.at <= at && emitted < target) emit(heap.pop()!);
        if (emitted >= target) break;
        const agent = agentPick.pick(r);
        if (!created.has(agent.actor.id)) {
          created.add(agent.actor.id);
          push({ at, type: "agent.created", actor: users[4]!.actor, channel: "cli", request: null, agentId: agent.actor.id, payload: { name: agent.actor.display, owner: agent.owner, key_prefix: `csk_${r.hex(8)}` } });
        }
        requestStory(r, at + 1, agent, userPick, r.pick(policyHashes), push);
        requests++;
        sideEvents(at);
        if (bytes >= 1 << 20) {
          const u = process.cpuUsage(cpu);
          nodeCpuMs += (u.user + u.system) / 1000;
          yield flush();
          cpu = process.cpuUsage();
          if (emitted >= nextReport) {
            progress("copy", `${emitted.toLocaleString("en")} / ${target.toLocaleString("en")} events`);
            nextReport = emitted + Math.max(100_000, Math.floor(target / 10));
          }
        }
      }
      while (emitted < target && heap.size > 0) emit(heap.pop()!);
      const u = process.cpuUsage(cpu);
      nodeCpuMs += (u.user + u.system) / 1000;
      if (bytes > 0) yield flush();
    }

    progress("copy", `dropping ${indexes.length} secondary indexes for the load`);
    await sql.begin(async (tx) => {
      await tx`alter table audit_events disable trigger user`;
      for (const ix of indexes) await tx.unsafe(`drop index "${ix.name.replace(/"/g, '""')}"`);
      // Empty (checked above); truncating in this transaction is what allows COPY … FREEZE.
      await tx`truncate audit_events`;
      const writable = await tx.unsafe(`copy audit_events (${COLUMNS.join(", ")}) from stdin with (freeze)`).writable();
      for await (const chunk of chunks()) {
        if (!writable.write(chunk)) await once(writable, "drain");
      }
      writable.end();
      await once(writable, "finish");
      await tx`alter table audit_events enable trigger user`;
    });
    if (emitted !== target) throw new Error(`generated ${emitted} events, wanted ${target}`);
    const tCopy = performance.now();

    // ── rebuild the indexes exactly as the migrations defined them ──
    progress("indexes", `rebuilding ${indexes.length} indexes`);
    const gin = indexes.filter((i) => /using gin/i.test(i.def));
    const btrees = indexes.filter((i) => !/using gin/i.test(i.def));
    const build = (list: { name: string; def: string }[]) =>
      sql.reserve().then(async (conn) => {
        try {
          await conn`set maintenance_work_mem = '1GB'`;
          for (const ix of list) {
            const s = performance.now();
            await conn.unsafe(ix.def);
            progress("indexes", `${ix.name} in ${((performance.now() - s) / 1000).toFixed(1)} s`);
          }
        } finally {
          conn.release();
        }
      });
    await Promise.all([build(gin), build(btrees)]);
    const tIndexes = performance.now();

    progress("requests", "deriving agents, requests and votes from the events");
    await materializeRequests(sql);

    progress("analyze", "analyze audit_events");
    await sql`analyze audit_events`;
    await sql`analyze requests`;
    const tAnalyze = performance.now();

    const [check] = (await sql`select count(*)::int as n, max(seq)::int as head from audit_events`) as unknown as [{ n: number; head: number }];
    if (check.n !== target || check.head !== target) throw new Error(`seed check failed: ${check.n} rows, head #${check.head}`);
    const [sizes] = (await sql`
      select pg_table_size('audit_events')::float8 / 1048576 as table_mb, pg_indexes_size('audit_events')::float8 / 1048576 as indexes_mb`) as unknown as [
      { table_mb: number; indexes_mb: number },
    ];
    return {
      events: target,
      requests,
      from: firstAt,
      to: lastAt,
      head: { seq: target, hash: prev },
      seconds: {
        generateAndCopy: round1((tCopy - t0) / 1000),
        indexes: round1((tIndexes - tCopy) / 1000),
        analyze: round1((tAnalyze - tIndexes) / 1000),
        total: round1((tAnalyze - t0) / 1000),
      },
      nodeCpuSeconds: round1(nodeCpuMs / 1000),
      sizes: { tableMB: Math.round(sizes.table_mb), indexesMB: Math.round(sizes.indexes_mb) },
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

// ── CLI ───────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      days: { type: "string", default: "90" },
      url: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  // Importing the e2e support sets its per-process evidence keys: keep the caller's MAC key, if
  // any, so a --keep database can be verified later by a process given the same key.
  const callerMacKey = process.env.COUNTERSIGN_AUDIT_MAC_KEY;
  const { createTestDatabase } = await import("../../e2e/support/servers");
  if (callerMacKey) {
    process.env.COUNTERSIGN_AUDIT_MAC_KEY = callerMacKey;
    (await import("@/lib/config/env")).resetEnvCache();
    (await import("@/lib/evidence/keys")).resetKeyRingForTests();
  } else if (values.keep) {
    console.log("note: no COUNTERSIGN_AUDIT_MAC_KEY given, so the events carry MACs under a key this process forgets");
  }
  const db = values.url ? null : await createTestDatabase({ prefix: "countersign_auditseed", migrate: true });
  const url = values.url ?? db!.url;
  try {
    const result = await seedAuditEvents({
      databaseUrl: url,
      events: Number(values.events),
      days: Number(values.days),
      onProgress: (phase, detail) => console.log(`  [${phase}] ${detail}`),
    });
    console.log(JSON.stringify(result, null, 2));
    if (db && values.keep) console.log(`\nkept: ${url}`);
  } finally {
    if (db && !values.keep) await db.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
