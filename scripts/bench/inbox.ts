// Inbox bench (issue 3): the reviewer inbox's server response with 10,000 pending requests in the
// database, on the production build. Requests are bulk-loaded with SQL (realistic spread of risk,
// environments, agents and actions; deadlines in the future); the page is fetched as a signed-in
// reviewer, unfiltered and filtered. Target: p95 ≤ 150 ms.
import postgres from "postgres";
import {
  createTestDatabase,
  startServers,
  stopServers,
} from "../../e2e/support/servers";
import { BENCH_AUTH_ENV, sessionCookie } from "./session";

export const INBOX_TARGET_P95_MS = 150;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};

async function seedPending(url: string, count: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      insert into agents (id, name, owner, created_at, created_by)
      select gen_random_uuid(), 'agent-' || g, 'owner' || g || '@acme.test', now(), 'bench' from generate_series(1, 20) g;
      insert into requests (id, agent_id, action, resource, environment, intent, context, origin, params_hash, status,
        risk_score, risk_level, risk_reasons, policy_rule, policy_hash, policy_decision, explanation, approvals_required,
        approver_groups, grant_window_seconds, decision_deadline, created_at, updated_at, body_hash)
      select gen_random_uuid(), a.id,
        (array['deploy.service.release','iam.policy.update','data.export.customers','infra.cluster.scale','db.replica.promote'])[1 + g % 5],
        'svc/service-' || (g % 300), (array['production','staging','development'])[1 + g % 3],
        'Bench request ' || g || ': roll out the change described in the context.',
        jsonb_build_object('ticket', 'CHG-' || g, 'rows', g * 7, 'diff', '- v1.' || g || E'\\n+ v1.' || (g + 1)),
        jsonb_build_object('run_id', 'run-' || g, 'model', 'bench-model'),
        md5(g::text) || md5((g * 2)::text), 'pending',
        (g * 37) % 101,
        (case when (g * 37) % 101 >= 85 then 'critical' when (g * 37) % 101 >= 60 then 'high' when (g * 37) % 101 >= 30 then 'medium' else 'low' end)::risk_level,
        '[{"code":"rule","points":20,"message":"rule everything-else: base risk 20"}]'::jsonb,
        'everything-else', md5('policy'), 'require_approval', 'Needs 1 approval from platform-oncall.',
        1 + g % 2, '["platform-oncall"]'::jsonb, 900,
        now() + interval '6 hours' + (g || ' seconds')::interval,
        now() - (g || ' seconds')::interval, now(), md5(g::text)
      from generate_series(1, ${count}) g
      join lateral (select id from agents order by id offset (g % 20) limit 1) a on true;`);
    // Steady state, as autovacuum would leave it: statistics and the visibility map up to date.
    await sql.unsafe("vacuum analyze requests");
    await sql.unsafe("vacuum analyze agents");
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export type InboxBench = {
  pending: number;
  runs: number;
  unfiltered_ms: { p50: number; p95: number; max: number };
  filtered_ms: { p50: number; p95: number; max: number };
  bytes: number;
  ok: boolean;
  markdown: string;
};

export async function runInboxBench(opts: { pending?: number; runs?: number } = {}): Promise<InboxBench> {
  const pending = opts.pending ?? 10_000;
  const runs = opts.runs ?? 60;
  const db = await createTestDatabase({ prefix: "countersign_bench_inbox", migrate: true });
  const servers = await startServers(1, { databaseUrl: db.url, env: BENCH_AUTH_ENV, names: ["inbox"] });
  try {
    await seedPending(db.url, pending);
    const cookie = await sessionCookie(db.url, { subject: "00u-riley", email: "riley@acme.test", name: "Riley", groups: ["platform-oncall"] });
    const base = servers[0]!.url;
    const time = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(base + path, { headers: { cookie }, redirect: "manual" });
      const body = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== 200 || !body.includes("data-testid=\"inbox-item\"")) throw new Error(`inbox answered ${res.status}: ${body.slice(0, 200)}`);
      return { ms, bytes: body.length };
    };
    for (let i = 0; i < 5; i++) await time("/"); // warm-up: compile caches, connections
    const unfiltered: number[] = [];
    const filtered: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await time("/");
      unfiltered.push(r.ms);
      bytes = r.bytes;
      filtered.push((await time("/?risk=high&environment=production")).ms);
    }
    const sum = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), max: pct(xs, 100) });
    const u = sum(unfiltered);
    const f = sum(filtered);
    const ok = u.p95 <= INBOX_TARGET_P95_MS && f.p95 <= INBOX_TARGET_P95_MS;
    const markdown = [
      `| inbox page, ${pending.toLocaleString("en-US")} pending requests, ${runs} runs | p50 ms | p95 ms | target |`,
      "| --- | ---: | ---: | --- |",
      `| \`GET /\` as a reviewer (first page of 50, facets, count) | ${u.p50} | ${u.p95} | p95 ≤ ${INBOX_TARGET_P95_MS} ms ${u.p95 <= INBOX_TARGET_P95_MS ? "✓" : "✗"} |`,
      `| \`GET /?risk=high&environment=production\` | ${f.p50} | ${f.p95} | p95 ≤ ${INBOX_TARGET_P95_MS} ms ${f.p95 <= INBOX_TARGET_P95_MS ? "✓" : "✗"} |`,
    ].join("\n");
    return { pending, runs, unfiltered_ms: u, filtered_ms: f, bytes, ok, markdown };
  } finally {
    await stopServers(servers).catch((err: unknown) => console.error("stopping inbox server:", err));
    await db.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runInboxBench()
    .then((r) => {
      console.log(JSON.stringify({ ...r, markdown: undefined }, null, 2));
      console.log(`\n${r.markdown}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
