// The issue-4 audit bench at 1,000,000 sealed events on real PostgreSQL:
//   (a) every timeline filter through the real `selectTimelinePage`: first page and a deep keyset
//       page, N runs each → p50/p95 (target p95 ≤ 50 ms);
//   (b) EXPLAIN (ANALYZE, FORMAT JSON) of exactly those statements → the index each one uses (no
//       Seq Scan on audit_events);
//   (c) export through the HTTP route of a `next start` server, authenticated as an auditor, vs
//       PostgreSQL's own `COPY (SELECT …) TO STDOUT` of the same rows → rows/s and ratio (target ≥
//       0.3×), with the server process's peak RSS (target ≤ 300 MB);
//   (d) `verifyAuditChain` over the whole chain, in-process and as `countersign audit verify`
//       (target ≤ 5 s), against the hashing floor of the same run (SHA-256 of the same texts).
//
//   npx tsx scripts/bench/audit.ts [--events 1000000] [--runs 50] [--url postgres://… (already
//     seeded: reused, not dropped)] [--export-filter "" --export-filter environment=production] [--formats csv,ndjson]
//     [--no-export] [--no-cli-verify] [--rebuild] [--json out.json]
//
// `runAuditBench(opts)` is the same, for `npm run bench`; it returns all figures and a Markdown table.
import { spawn } from "node:child_process";
import { createHmac, hash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { count } from "drizzle-orm";
import postgres from "postgres";
import {
  createTestDatabase,
  E2E_KEYS,
  REPO_ROOT,
  startServers,
  stopServer,
  TEST_POLICY,
  type AppServer,
  type TestDatabase,
} from "../../e2e/support/servers";
import { openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { cursorOf, timelinePageQuery, timelineWhere, selectTimelinePage, type TimelineCursor, type TimelineFilter, type TimelineSort } from "@/db/queries/timeline";
import { auditEvents } from "@/db/schema";
import { selectChainPage } from "@/db/queries/audit";
import { chainCanonical, chainHash, eventCanonical, GENESIS_HASH } from "@/lib/audit/chain";
import { verifyAuditChain, verifyAuditEvidence } from "@/lib/audit/verify";
import { parallelVerifier } from "@/lib/audit/verify-parallel";
import { resetEnvCache } from "@/lib/config/env";
import { resetKeyRingForTests } from "@/lib/evidence/keys";
import type { AuditEventRow } from "@/db/schema";
import { timelineQuery, toFilter } from "@/lib/audit/timeline";
import { seedAuditEvents, type SeedResult } from "./audit-seed";
import { ensureBuild } from "./build";
import { BENCH_AUTH_ENV, sessionCookie } from "./session";

/** verifySeconds: issue 15 (was 20 s in issue 4); the verify/floor ratio is reported beside it. */
export const AUDIT_TARGETS = { queryP95Ms: 50, exportRatio: 0.3, exportPeakRssMB: 300, verifySeconds: 5 } as const;

export type AuditBenchOptions = {
  /** An already seeded database: used as is and not dropped. Default: a fresh one, seeded, dropped. */
  databaseUrl?: string;
  events?: number;
  /** Timed runs per query and page. */
  runs?: number;
  /** URL parameters of each exported view (the same names as the timeline's), e.g. { environment: "production" }; {} = every event. */
  exportFilters?: Record<string, string>[];
  formats?: ("csv" | "ndjson")[];
  /** Skip (c): no server is started. */
  skipExport?: boolean;
  /** Also time `countersign audit verify` as a process (d). */
  cliVerify?: boolean;
  /** Rebuild `.next` before starting the server (otherwise it is reused, with a warning if stale). */
  rebuild?: boolean;
  log?: (line: string) => void;
};

export type Timing = { n: number; p50: number; p95: number; max: number };
export type PlanInfo = {
  /** Indexes the plan reads audit_events through. */
  indexes: string[];
  /** Access nodes on audit_events, e.g. "Index Scan Backward (audit_events_type_time_idx)". */
  access: string[];
  seqScan: boolean;
  /** EXPLAIN ANALYZE execution time of one run, ms. */
  executionMs: number;
  /** Buffers hit+read by that run. */
  buffers: number;
};
export type QueryFigures = {
  name: string;
  params: Record<string, string>;
  matched: number;
  first: Timing;
  deep: Timing & { offset: number };
  planFirst: PlanInfo;
  planDeep: PlanInfo;
  ok: boolean;
};
export type ExportRun = { label: string; format: string; rows: number; bytes: number; seconds: number; rowsPerSecond: number; ratio?: number; peakRssMB?: number };
export type ExportFigures = {
  filter: Record<string, string>;
  rows: number;
  copy: ExportRun;
  app: ExportRun[];
  serverBaselineRssMB: number;
  ok: boolean;
};
export type VerifyFigures = {
  events: number;
  /** verifyAuditChain: hash links and each event's MAC. */
  seconds: number;
  eventsPerSecond: number;
  /** The hash links alone, as the verifier did before per-event MACs (for the before/after). */
  chainOnlySeconds: number;
  /** verifyAuditEvidence: the above plus checkpoints and every request reconciled. */
  evidenceSeconds: number;
  /** verifyAuditChain with the chunks on worker threads (what the command line runs on PostgreSQL). */
  parallelSeconds: number;
  /** verifyAuditEvidence on worker threads. */
  parallelEvidenceSeconds: number;
  threads: number;
  requests: number;
  cliSeconds?: number;
  /** The hashing floor in the same run: SHA-256 of `events` chain texts, the bytes verify hashes, nothing else. */
  floor: { sha256Seconds: number; sha256AndHmacSeconds: number; textsCycled: number };
  /** The judged verify time (the CLI's, else verifyAuditEvidence's) over the SHA-256 floor. */
  floorRatio: number;
  ok: boolean;
};

export type AuditBenchResult = {
  environment: { cpus: number; postgres: string; node: string };
  events: number;
  seed: SeedResult | null;
  queries: QueryFigures[];
  exports: ExportFigures[];
  verify: VerifyFigures;
  ok: boolean;
  seconds: number;
  markdown: string;
};

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

function timing(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => r2(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN);
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Scan Direction"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
};

function planInfo(plan: { Plan: PlanNode; "Execution Time"?: number }): PlanInfo {
  const info: PlanInfo = { indexes: [], access: [], seqScan: false, executionMs: r2(plan["Execution Time"] ?? NaN), buffers: 0 };
  info.buffers = (plan.Plan["Shared Hit Blocks"] ?? 0) + (plan.Plan["Shared Read Blocks"] ?? 0);
  const walk = (n: PlanNode) => {
    if (n["Index Name"] && (n["Relation Name"] === undefined || n["Relation Name"] === "audit_events" || n["Index Name"].startsWith("audit_events_"))) {
      if (!info.indexes.includes(n["Index Name"])) info.indexes.push(n["Index Name"]);
      const dir = n["Scan Direction"] === "Backward" ? " Backward" : "";
      info.access.push(`${n["Node Type"]}${dir} (${n["Index Name"]})`);
    }
    if (n["Node Type"] === "Seq Scan" && n["Relation Name"] === "audit_events") {
      info.seqScan = true;
      info.access.push("Seq Scan (audit_events)");
    }
    n.Plans?.forEach(walk);
  };
  walk(plan.Plan);
  return info;
}

/** EXPLAIN of exactly the statement `selectTimelinePage` sends (same SQL text, same parameters). */
async function explainPage(raw: postgres.Sql, db: Database, filter: TimelineFilter, sort: TimelineSort, limit: number, after?: TimelineCursor): Promise<PlanInfo> {
  const q = timelinePageQuery(db, filter, sort, limit, after).toSQL();
  const rows = await raw.unsafe(`explain (analyze, buffers, format json) ${q.sql}`, q.params as postgres.ParameterOrJSON<never>[]);
  const plan = (rows[0] as Record<string, unknown>)["QUERY PLAN"] as [{ Plan: PlanNode; "Execution Time": number }];
  return planInfo(plan[0]);
}

// ── (a) + (b): the filter queries ─────────────────────────────────────────────────────────────

type QueryCase = { name: string; params: Record<string, string> };

async function discoverCases(raw: postgres.Sql): Promise<QueryCase[]> {
  const [span] = await raw<{ max: Date }[]>`select max(occurred_at) as max from audit_events`;
  const end = span!.max;
  const daysAgo = (d: number) => new Date(end.getTime() - d * 86_400_000).toISOString();
  // Real values from the data, as a user would pick them from the filter menus.
  const [reviewer] = await raw<{ id: string }[]>`
    select actor_id as id from audit_events where actor_kind = 'user' and type = 'review.approved' group by 1 order by count(*) desc offset 3 limit 1`;
  const [agent] = await raw<{ id: string }[]>`
    select agent_id::text as id from audit_events where agent_id is not null group by 1 order by count(*) desc offset 5 limit 1`;
  const [ticket] = await raw<{ t: string }[]>`
    select substring(payload->>'note' from 'CHG-[0-9]+') as t from audit_events
     where type = 'review.approved' and payload->>'note' like '%CHG-%' order by id desc limit 1`;
  // A request with a few events, for the request-id, params_hash and free-text-id filters.
  const [request] = await raw<{ id: string; hash: string }[]>`
    select r.id::text as id, r.params_hash as hash from requests r
     where exists (select 1 from audit_events e where e.request_id = r.id) order by r.created_at desc, r.id desc offset 100 limit 1`;
  if (!reviewer || !agent || !ticket || !request) throw new Error("the audit data lacks the values the bench filters on: seed it with scripts/bench/audit-seed.ts");
  return [
    { name: "no filter (newest first)", params: {} },
    { name: "time range: last 7 days", params: { from: daysAgo(7), to: end.toISOString() } },
    { name: "time range: one day, 30 days ago", params: { from: daysAgo(31), to: daysAgo(30) } },
    { name: "type", params: { type: "review.denied" } },
    { name: "types (two)", params: { type: "request.denied,request.expired" } },
    { name: "actor (reviewer)", params: { actor: reviewer.id } },
    { name: "agent", params: { agent: agent.id } },
    { name: "action", params: { action: "iam.policy.update" } },
    { name: "environment", params: { environment: "staging" } },
    { name: "risk", params: { risk: "critical" } },
    { name: "outcome", params: { outcome: "failed" } },
    { name: "channel", params: { channel: "slack" } },
    { name: "free text, rare (ticket id)", params: { q: ticket.t } },
    { name: "free text, common (service)", params: { q: "payments-api" } },
    { name: "action + risk", params: { action: "deploy.service.release", risk: "high" } },
    { name: "environment + outcome + last 30 days", params: { environment: "production", outcome: "denied", from: daysAgo(30) } },
    { name: "agent + type", params: { agent: agent.id, type: "request.result" } },
    { name: "free text + environment", params: { q: "payments-api", environment: "production" } },
    { name: "request id", params: { request: request.id } },
    { name: "free text, a request id", params: { q: request.id } },
    { name: "params_hash (through its requests)", params: { params_hash: request.hash } },
    { name: "sort by type (asc)", params: { sort: "type", dir: "asc" } },
    { name: "sort by actor (desc) + channel", params: { sort: "actor", dir: "desc", channel: "slack" } },
  ];
}

async function measureQueries(raw: postgres.Sql, db: Database, runs: number, log: (s: string) => void): Promise<QueryFigures[]> {
  const cases = await discoverCases(raw);
  const out: QueryFigures[] = [];
  for (const c of cases) {
    const q = timelineQuery.parse(c.params);
    const filter = toFilter(q);
    const sort: TimelineSort = { by: q.sort, dir: q.dir };
    const [{ n: matched }] = (await db.select({ n: count() }).from(auditEvents).where(timelineWhere(filter))) as [{ n: number }];
    // The deep page starts after the row in the middle of the view (at most 500,000 rows in).
    const offset = Math.min(Math.floor(matched / 2), 500_000);
    const [pivot] = await timelinePageQuery(db, filter, sort, 1).offset(offset);
    const after = pivot ? cursorOf(sort, pivot) : undefined;

    const time = async (cursor?: TimelineCursor) => {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) await selectTimelinePage(db, filter, sort, q.limit, cursor); // warm-up
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await selectTimelinePage(db, filter, sort, q.limit, cursor);
        samples.push(performance.now() - t);
      }
      return timing(samples);
    };
    const first = await time();
    const deep = await time(after);
    const planFirst = await explainPage(raw, db, filter, sort, q.limit);
    const planDeep = await explainPage(raw, db, filter, sort, q.limit, after);
    const ok = first.p95 <= AUDIT_TARGETS.queryP95Ms && deep.p95 <= AUDIT_TARGETS.queryP95Ms && !planFirst.seqScan && !planDeep.seqScan && planFirst.indexes.length > 0 && planDeep.indexes.length > 0;
    out.push({ name: c.name, params: c.params, matched, first, deep: { ...deep, offset }, planFirst, planDeep, ok });
    log(
      `  ${ok ? "ok  " : "FAIL"} ${c.name.padEnd(38)} ${String(matched).padStart(8)} rows  first p50 ${first.p50.toFixed(1)} p95 ${first.p95.toFixed(1)} ms  deep p50 ${deep.p50.toFixed(1)} p95 ${deep.p95.toFixed(1)} ms  ${planFirst.access.join(" + ")}`,
    );
  }
  return out;
}

// ── (c): export over HTTP vs COPY ─────────────────────────────────────────────────────────────

const CSV_SELECT = `seq, event_id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at, type,
  actor->>'kind' as actor_kind, actor->>'id' as actor_id, actor->>'display' as actor_display, channel, request_id, agent_id,
  action, environment, risk_level, outcome, payload::text as payload, prev_hash, hash`;

function sqlLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** The same view as the export's filter, as literal SQL (COPY takes no parameters). Only equality filters. */
function copyWhere(filter: Record<string, string>): string {
  const columns: Record<string, string> = { environment: "environment", action: "action", outcome: "outcome", risk: "risk_level", channel: "channel", type: "type", actor: "actor_id", agent: "agent_id" };
  const parts = Object.entries(filter).map(([k, v]) => {
    const col = columns[k];
    if (!col) throw new Error(`export filter ${k} is not supported by the bench's COPY baseline (use equality filters)`);
    return `${col} = ${sqlLiteral(v)}`;
  });
  // The timeline is the sealed chain (timelineWhere): the same rows, through the same indexes.
  return `where ${["seq is not null", ...parts].join(" and ")}`;
}

/** Through the app's own `copyOut` (a reserved connection, handed back once the COPY has ended). */
async function copyBaseline(handle: DatabaseHandle, filter: Record<string, string>): Promise<ExportRun> {
  const started = performance.now();
  const { stream } = await handle.copyOut!(`copy (select ${CSV_SELECT} from audit_events ${copyWhere(filter)} order by occurred_at desc, id desc) to stdout with (format csv, header)`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  // Quoted payloads never hold a raw newline (JSON escapes them), so lines = rows + header.
  const rows = lines - 1;
  return { label: "PostgreSQL COPY (SELECT …) TO STDOUT, CSV", format: "csv", rows, bytes, seconds: r2(seconds), rowsPerSecond: Math.round(rows / seconds) };
}

function readRss(pid: number): { rss: number; hwm: number } {
  let rss = 0;
  let hwm = 0;
  const pids = [pid, ...childrenOf(pid)];
  for (const p of pids) {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, "utf8");
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // gone
    }
  }
  return { rss, hwm };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const k of kids.split(/\s+/).filter(Boolean)) out.push(Number(k), ...childrenOf(Number(k)));
    }
  } catch {
    // no /proc children file: count the process alone
  }
  return out;
}

async function appExport(
  server: AppServer,
  cookie: string,
  filter: Record<string, string>,
  format: "csv" | "ndjson",
  expectedRows: number,
  countNow: () => Promise<number>,
): Promise<ExportRun> {
  const url = `${server.url}/api/audit/export?${new URLSearchParams({ ...filter, format }).toString()}`;
  let peak = readRss(server.pid).rss;
  const sampler = setInterval(() => (peak = Math.max(peak, readRss(server.pid).rss)), 20);
  const started = performance.now();
  try {
    const res = await fetch(url, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    let bytes = 0;
    let lines = 0;
    let tail = "";
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
    }
    const seconds = (performance.now() - started) / 1000;
    // The trailer names the row count: it must be exactly the view.
    const last = tail.trimEnd().split("\n").at(-1) ?? "";
    const summary =
      format === "ndjson"
        ? (JSON.parse(last) as { _export: { rows: number } })._export
        : (JSON.parse(JSON.parse(`"${/^#export,"(.*)",[\w.-]+$/.exec(last)?.[1]?.replace(/""/g, '\\"') ?? ""}"`) as string) as { rows: number });
    // The view is what it was when the export began: at least what was counted before the request,
    // at most what is counted now (the running server seals events of its own meanwhile — expiries
    // of seeded requests, the export's own audit.exported event).
    const after = await countNow();
    if (summary.rows < expectedRows || summary.rows > after + 1) {
      throw new Error(`the ${format} export's trailer says ${summary.rows} rows, the view had ${expectedRows} before it and ${after} after`);
    }
    const dataLines = lines - 1 - (format === "csv" ? 1 : 0);
    if (dataLines !== summary.rows) throw new Error(`the ${format} export streamed ${dataLines} rows, its trailer says ${summary.rows}`);
    clearInterval(sampler);
    peak = Math.max(peak, readRss(server.pid).rss);
    return {
      label: `Countersign GET /api/audit/export?format=${format} (npm start, auditor session)`,
      format,
      rows: summary.rows,
      bytes,
      seconds: r2(seconds),
      rowsPerSecond: Math.round(summary.rows / seconds),
      peakRssMB: Math.round(Math.max(peak, readRss(server.pid).hwm)),
    };
  } finally {
    clearInterval(sampler);
  }
}

async function measureExports(raw: postgres.Sql, handle: DatabaseHandle, databaseUrl: string, filters: Record<string, string>[], formats: ("csv" | "ndjson")[], rebuild: boolean, log: (s: string) => void): Promise<ExportFigures[]> {
  ensureBuild(rebuild, log);
  // A real sign-in configuration (the provider is never contacted: the bench mints the session).
  const [server] = await startServers(1, { databaseUrl, names: ["audit-export"], env: BENCH_AUTH_ENV });
  try {
    const cookie = await sessionCookie(databaseUrl, { subject: "00u-audrey", email: "audrey@acme.example", name: "Audrey Auditor", groups: ["compliance"] });
    // The server records policy.loaded at start-up: let it be sealed, so the view holds still.
    for (let i = 0; ; i++) {
      const [row] = await raw<{ n: number }[]>`select count(*)::int as n from audit_events where seq is null`;
      if (row!.n === 0) break;
      if (i > 500) throw new Error(`${row!.n} audit events still unsealed 10 s after the server started`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const out: ExportFigures[] = [];
    for (const filter of filters) out.push(await measureExport(raw, handle, server!, cookie, filter, formats, log));
    return out;
  } finally {
    await stopServer(server!, { expectCleanExit: false }).catch(() => undefined);
  }
}

async function measureExport(raw: postgres.Sql, handle: DatabaseHandle, server: AppServer, cookie: string, filter: Record<string, string>, formats: ("csv" | "ndjson")[], log: (s: string) => void): Promise<ExportFigures> {
  {
    const baselineRss = readRss(server.pid).rss;
    const expected = Number((await raw.unsafe(`select count(*)::int as n from audit_events ${copyWhere(filter)}`))[0]!.n);
    log(`  exporting ${expected.toLocaleString("en")} rows (${JSON.stringify(filter)}); server RSS ${Math.round(baselineRss)} MB before`);
    const copies: ExportRun[] = [await copyBaseline(handle, filter)];
    log(`  COPY: ${copies[0]!.rowsPerSecond.toLocaleString("en")} rows/s (${copies[0]!.seconds} s)`);
    // The running server seals events of its own meanwhile (the export it just answered, a
    // checkpoint): COPY must see the view as counted before it, plus at most what was sealed since.
    const countedAfter = Number((await raw.unsafe(`select count(*)::int as n from audit_events ${copyWhere(filter)}`))[0]!.n);
    if (copies[0]!.rows < expected || copies[0]!.rows > countedAfter) {
      throw new Error(`COPY returned ${copies[0]!.rows} rows, the view has ${expected} before it and ${countedAfter} after`);
    }
    const app: ExportRun[] = [];
    for (const format of formats) {
      // The view as this export begins (the exports before it may have added audit.exported events).
      const countView = async () => Number((await raw.unsafe(`select count(*)::int as n from audit_events ${copyWhere(filter)}`))[0]!.n);
      const run = await appExport(server, cookie, filter, format, await countView(), countView);
      app.push(run);
      log(`  app ${format}: ${run.rowsPerSecond.toLocaleString("en")} rows/s (${run.seconds} s), peak RSS ${run.peakRssMB} MB`);
    }
    // COPY once more after the exports; the better of the two is the baseline (the stricter ratio).
    copies.push(await copyBaseline(handle, filter));
    log(`  COPY again: ${copies[1]!.rowsPerSecond.toLocaleString("en")} rows/s (${copies[1]!.seconds} s)`);
    const copy = copies.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    for (const run of app) run.ratio = r2(run.rowsPerSecond / copy.rowsPerSecond);
    const ok = app.every((a) => (a.ratio ?? 0) >= AUDIT_TARGETS.exportRatio && (a.peakRssMB ?? Infinity) <= AUDIT_TARGETS.exportPeakRssMB);
    return { filter, rows: expected, copy, app, serverBaselineRssMB: Math.round(baselineRss), ok };
  }
}

// ── (d): verify ───────────────────────────────────────────────────────────────────────────────

/** The walk without MACs, checkpoints or reconciliation: what `audit verify` did before issue 11. */
async function chainOnlyWalk(db: Database): Promise<number> {
  let prev = GENESIS_HASH;
  let after = 0;
  for (;;) {
    const rows = await selectChainPage(db, after, 10_000);
    for (const row of rows) {
      const e = { ...row, occurredAt: new Date(row.occurredAtMs) } as unknown as AuditEventRow;
      if (chainHash(prev, e, row.seq) !== row.hash) throw new Error(`chain-only walk: hash mismatch at #${row.seq}`);
      prev = row.hash;
    }
    if (rows.length < 10_000) return after + rows.length;
    after = rows.at(-1)!.seq;
  }
}

/**
 * What verifying cannot go below in this process: one SHA-256 per event over the exact text the
 * chain hashes (prev_hash ‖ canonical content with seq), and with each event's HMAC-SHA256 too. The
 * texts of the first FLOOR_TEXTS events are built first (not timed) and cycled to `events` hashes.
 */
const FLOOR_TEXTS = 20_000;
async function hashingFloor(db: Database, events: number): Promise<VerifyFigures["floor"]> {
  const texts: string[] = [];
  const macTexts: string[] = [];
  for (let after = 0; texts.length < Math.min(events, FLOOR_TEXTS); ) {
    const rows = await selectChainPage(db, after, 10_000);
    for (const row of rows) {
      const content = eventCanonical({ ...row, occurredAt: new Date(row.occurredAtMs) } as unknown as AuditEventRow);
      macTexts.push(content);
      texts.push(row.prevHash + chainCanonical(content, row.type, row.seq));
    }
    if (rows.length < 10_000) break;
    after = rows.at(-1)!.seq;
  }
  if (texts.length === 0) return { sha256Seconds: 0, sha256AndHmacSeconds: 0, textsCycled: 0 };
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < events; i++) sink ^= hash("sha256", texts[i % texts.length]!, "hex").charCodeAt(0);
  const sha256Seconds = (performance.now() - t0) / 1000;
  const secret = Buffer.alloc(32, 1);
  const t1 = performance.now();
  for (let i = 0; i < events; i++) {
    const k = i % texts.length;
    sink ^= hash("sha256", texts[k]!, "hex").charCodeAt(0);
    sink ^= createHmac("sha256", secret).update(macTexts[k]!, "utf8").digest()[0]!;
  }
  const sha256AndHmacSeconds = (performance.now() - t1) / 1000;
  if (sink === -1) console.log(sink); // keeps the loops' results observable
  return { sha256Seconds: r2(sha256Seconds), sha256AndHmacSeconds: r2(sha256AndHmacSeconds), textsCycled: texts.length };
}

async function measureVerify(db: Database, databaseUrl: string, cli: boolean, log: (s: string) => void): Promise<VerifyFigures> {
  const t0 = performance.now();
  await chainOnlyWalk(db);
  const chainOnlySeconds = (performance.now() - t0) / 1000;
  log(`  hash links only (the verifier before per-event MACs): ${chainOnlySeconds.toFixed(1)} s`);
  const started = performance.now();
  let lastLog = 0;
  const result = await verifyAuditChain({
    db,
    onProgress: (done, total) => {
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        log(`  verified ${done.toLocaleString("en")} / ${total.toLocaleString("en")}`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (!result.ok) throw new Error(`the chain did not verify: ${JSON.stringify(result.broken)}`);
  log(`  verifyAuditChain (links + MACs): ${result.sealed.toLocaleString("en")} events in ${seconds.toFixed(1)} s`);
  const t1 = performance.now();
  const evidence = await verifyAuditEvidence({ db, sinkFile: null });
  const evidenceSeconds = (performance.now() - t1) / 1000;
  if (!evidence.ok) throw new Error(`the evidence did not verify: ${JSON.stringify(evidence.broken)}`);
  log(`  verifyAuditEvidence (+ checkpoints, ${evidence.checked.requests?.toLocaleString("en")} requests reconciled): ${evidenceSeconds.toFixed(1)} s`);
  const threads = os.availableParallelism();
  const t2 = performance.now();
  const par = await verifyAuditChain({ db, parallel: parallelVerifier({ databaseUrl }) });
  const parallelSeconds = (performance.now() - t2) / 1000;
  if (!par.ok || par.sealed !== result.sealed) throw new Error(`the parallel verifier disagreed: ${JSON.stringify(par)}`);
  log(`  verifyAuditChain on ${threads} worker threads: ${parallelSeconds.toFixed(1)} s`);
  const t3 = performance.now();
  const parEvidence = await verifyAuditEvidence({ db, sinkFile: null, parallel: parallelVerifier({ databaseUrl }) });
  const parallelEvidenceSeconds = (performance.now() - t3) / 1000;
  if (!parEvidence.ok) throw new Error(`the parallel evidence check failed: ${JSON.stringify(parEvidence.broken)}`);
  log(`  verifyAuditEvidence on ${threads} worker threads: ${parallelEvidenceSeconds.toFixed(1)} s`);
  let cliSeconds: number | undefined;
  if (cli) {
    const t = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "countersign.ts"), "--json", "audit", "verify"], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, COUNTERSIGN_POLICY: TEST_POLICY, LOG_LEVEL: "warn", NODE_ENV: "production" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.once("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`audit verify exited ${code}:\n${stdout}\n${stderr}`))));
    });
    cliSeconds = r1((performance.now() - t) / 1000);
    const parsed = JSON.parse(out) as { ok: boolean; sealed: number };
    if (!parsed.ok) throw new Error(`countersign audit verify failed: ${out}`);
    log(`  countersign audit verify (process, incl. start-up): ${parsed.sealed.toLocaleString("en")} events in ${cliSeconds} s`);
  }
  const judged = cliSeconds ?? evidenceSeconds;
  const floor = await hashingFloor(db, result.sealed);
  const floorRatio = floor.sha256Seconds > 0 ? Math.round((judged / floor.sha256Seconds) * 10) / 10 : 0;
  log(`  hashing floor: ${result.sealed.toLocaleString("en")} × SHA-256 of the chain texts ${floor.sha256Seconds} s (with each HMAC ${floor.sha256AndHmacSeconds} s); verify / floor ${floorRatio}×`);
  return {
    floor,
    floorRatio,
    events: result.sealed,
    seconds: r1(seconds),
    eventsPerSecond: Math.round(result.sealed / seconds),
    chainOnlySeconds: r1(chainOnlySeconds),
    evidenceSeconds: r1(evidenceSeconds),
    parallelSeconds: r1(parallelSeconds),
    parallelEvidenceSeconds: r1(parallelEvidenceSeconds),
    threads,
    requests: evidence.checked.requests ?? 0,
    cliSeconds,
    ok: judged <= AUDIT_TARGETS.verifySeconds,
  };
}

// ── report ────────────────────────────────────────────────────────────────────────────────────

const pass = (ok: boolean) => (ok ? "✅" : "❌");
const shortIndex = (s: string) => s.replace(/^audit_events_/, "").replace(/_idx$|_key$/, "");

export function auditMarkdown(r: Omit<AuditBenchResult, "markdown">): string {
  const lines: string[] = [];
  lines.push(
    `Audit at ${r.events.toLocaleString("en")} sealed events, measured by \`scripts/bench/audit.ts\` on ${r.environment.cpus} cores, ${r.environment.postgres} on loopback, Node ${r.environment.node}.`,
    "",
    `| timeline query (\`selectTimelinePage\`, 50 rows) | rows matched | first page p50 / p95 ms | deep keyset page p50 / p95 ms | plan (index on audit_events) | |`,
    "| --- | ---: | ---: | ---: | --- | :---: |",
  );
  for (const q of r.queries) {
    const plan = [...new Set([...q.planFirst.access, ...q.planDeep.access])].map((a) => a.replace(/\(audit_events_(.*?)\)/, (_, n: string) => `(${shortIndex(`audit_events_${n}`)})`)).join(", ");
    lines.push(`| ${q.name} | ${q.matched.toLocaleString("en")} | ${q.first.p50.toFixed(1)} / ${q.first.p95.toFixed(1)} | ${q.deep.p50.toFixed(1)} / ${q.deep.p95.toFixed(1)} | ${plan} | ${pass(q.ok)} |`);
  }
  const worst = Math.max(...r.queries.flatMap((q) => [q.first.p95, q.deep.p95]));
  lines.push("", `Target: each p95 ≤ ${AUDIT_TARGETS.queryP95Ms} ms (worst ${worst.toFixed(1)} ms) and no Seq Scan on audit_events (${r.queries.filter((q) => q.planFirst.seqScan || q.planDeep.seqScan).length} with one). N = ${r.queries[0]?.first.n ?? 0} runs per page.`);
  for (const e of r.exports) {
    lines.push(
      "",
      `| export of ${e.rows.toLocaleString("en")} rows (${Object.entries(e.filter).map(([k, v]) => `${k}=${v}`).join("&") || "all events"}) | seconds | rows/s | vs COPY | server peak RSS | |`,
      "| --- | ---: | ---: | ---: | ---: | :---: |",
      `| ${e.copy.label} | ${e.copy.seconds} | ${e.copy.rowsPerSecond.toLocaleString("en")} | 1.00× | | |`,
      ...e.app.map(
        (a) =>
          `| ${a.label} | ${a.seconds} | ${a.rowsPerSecond.toLocaleString("en")} | ${(a.ratio ?? 0).toFixed(2)}× | ${a.peakRssMB} MB | ${pass((a.ratio ?? 0) >= AUDIT_TARGETS.exportRatio && (a.peakRssMB ?? Infinity) <= AUDIT_TARGETS.exportPeakRssMB)} |`,
      ),
      "",
      `Target: ≥ ${AUDIT_TARGETS.exportRatio}× COPY, peak RSS ≤ ${AUDIT_TARGETS.exportPeakRssMB} MB (server at ${e.serverBaselineRssMB} MB before the exports).`,
    );
  }
  const v = r.verify;
  lines.push(
    "",
    "| chain verification | events | seconds | events/s | |",
    "| --- | ---: | ---: | ---: | :---: |",
    `| hash links only (the check before per-event MACs) | ${v.events.toLocaleString("en")} | ${v.chainOnlySeconds} | ${Math.round(v.events / v.chainOnlySeconds).toLocaleString("en")} | |`,
    `| \`verifyAuditChain\` (links + each event's MAC, in process) | ${v.events.toLocaleString("en")} | ${v.seconds} | ${v.eventsPerSecond.toLocaleString("en")} | |`,
    `| the same, chunks on ${v.threads} worker threads (what \`audit verify\` runs on PostgreSQL) | ${v.events.toLocaleString("en")} | ${v.parallelSeconds} | ${Math.round(v.events / v.parallelSeconds).toLocaleString("en")} | ${r2(v.seconds / v.parallelSeconds)}× the sequential walk |`,
    `| \`verifyAuditEvidence\` on ${v.threads} worker threads (+ checkpoints, every request reconciled) | ${v.events.toLocaleString("en")} | ${v.parallelEvidenceSeconds} | | sequential: ${v.evidenceSeconds} s |`,
    `| \`verifyAuditEvidence\` (+ checkpoints, ${v.requests.toLocaleString("en")} requests reconciled, in process) | ${v.events.toLocaleString("en")} | ${v.evidenceSeconds} | ${Math.round(v.events / v.evidenceSeconds).toLocaleString("en")} | ${v.cliSeconds === undefined ? pass(v.ok) : ""} |`,
    ...(v.cliSeconds !== undefined ? [`| \`countersign audit verify\` (whole process) | ${v.events.toLocaleString("en")} | ${v.cliSeconds} | ${Math.round(v.events / v.cliSeconds).toLocaleString("en")} | ${pass(v.ok)} |`] : []),
    `| hashing floor: ${v.events.toLocaleString("en")} × SHA-256 of the same chain texts (prev_hash ‖ canonical content), in process, nothing else | ${v.events.toLocaleString("en")} | ${v.floor.sha256Seconds} | ${Math.round(v.events / Math.max(v.floor.sha256Seconds, 0.001)).toLocaleString("en")} | |`,
    `| the same with each event's HMAC-SHA256 (the two primitives verify must run) | ${v.events.toLocaleString("en")} | ${v.floor.sha256AndHmacSeconds} | ${Math.round(v.events / Math.max(v.floor.sha256AndHmacSeconds, 0.001)).toLocaleString("en")} | |`,
    "",
    `Target: ≤ ${AUDIT_TARGETS.verifySeconds} s. Verify / SHA-256 floor in this run: **${v.floorRatio}×** (${v.cliSeconds !== undefined ? "the whole CLI process" : "verifyAuditEvidence"} against the floor).`,
  );
  if (r.seed) {
    lines.push(
      "",
      `Seeded by \`scripts/bench/audit-seed.ts\` in ${r.seed.seconds.total} s (generate + chain + COPY ${r.seed.seconds.generateAndCopy} s, indexes ${r.seed.seconds.indexes} s, ANALYZE ${r.seed.seconds.analyze} s): ${r.seed.requests.toLocaleString("en")} request lifecycles over ${r.seed.from.slice(0, 10)} … ${r.seed.to.slice(0, 10)}; table ${r.seed.sizes.tableMB} MB, indexes ${r.seed.sizes.indexesMB} MB.`,
    );
  }
  return lines.join("\n");
}

// ── the bench ─────────────────────────────────────────────────────────────────────────────────

export async function runAuditBench(opts: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const started = performance.now();
  const events = opts.events ?? 1_000_000;
  // The seed writes MACs, and the CLI verify runs in production: both need the same evidence keys.
  // A database seeded earlier under a key of its own (audit-seed.ts --keep with
  // COUNTERSIGN_AUDIT_MAC_KEY set): BENCH_AUDIT_MAC_KEY names it, since the e2e support this module
  // imports replaced the variable with its own per-process keys.
  if (process.env.BENCH_AUDIT_MAC_KEY) {
    process.env.COUNTERSIGN_AUDIT_MAC_KEY = process.env.BENCH_AUDIT_MAC_KEY;
    resetEnvCache();
    resetKeyRingForTests();
  } else if (!process.env.COUNTERSIGN_AUDIT_MAC_KEY) {
    Object.assign(process.env, E2E_KEYS.env);
    resetEnvCache();
    resetKeyRingForTests();
  }
  let created: TestDatabase | null = null;
  let handle: DatabaseHandle | null = null;
  let raw: postgres.Sql | null = null;
  try {
    let seed: SeedResult | null = null;
    let url = opts.databaseUrl;
    if (!url) {
      created = await createTestDatabase({ prefix: "countersign_auditbench", migrate: true });
      url = created.url;
      log(`▸ seeding ${events.toLocaleString("en")} sealed audit events into ${created.name}`);
      seed = await seedAuditEvents({ databaseUrl: url, events, onProgress: (phase, detail) => log(`  [${phase}] ${detail}`) });
      log(`  seeded in ${seed.seconds.total} s`);
    }
    raw = postgres(url, { max: 2, onnotice: () => {} });
    handle = await openDatabase({ databaseUrl: url, poolSize: 4 });
    const [sealed] = await raw<{ n: number }[]>`select count(*)::int as n from audit_events where seq is not null`;
    const present = sealed?.n ?? 0;

    log(`▸ (a, b) timeline queries: ${opts.runs ?? 50} runs per page, EXPLAIN of each`);
    const queries = await measureQueries(raw, handle.db, opts.runs ?? 50, log);

    log("▸ (d) chain verification");
    const verify = await measureVerify(handle.db, url, opts.cliVerify ?? true, log);

    let exportFigures: ExportFigures[] = [];
    if (!opts.skipExport) {
      log("▸ (c) export over HTTP vs COPY");
      exportFigures = await measureExports(raw, handle, url, opts.exportFilters ?? [{}, { environment: "production" }], opts.formats ?? ["csv", "ndjson"], opts.rebuild ?? false, log);
    }

    const [version] = await raw<{ v: string }[]>`select current_setting('server_version') as v`;
    const partial = {
      environment: { cpus: os.cpus().length, postgres: `PostgreSQL ${version!.v.split(" ")[0]}`, node: process.versions.node },
      events: present,
      seed,
      queries,
      exports: exportFigures,
      verify,
      ok: queries.every((q) => q.ok) && verify.ok && exportFigures.every((e) => e.ok),
      seconds: r1((performance.now() - started) / 1000),
    };
    return { ...partial, markdown: auditMarkdown(partial) };
  } finally {
    await raw?.end({ timeout: 5 }).catch(() => undefined);
    await handle?.close().catch(() => undefined);
    if (created) await created.drop().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  }
}

// ── CLI ───────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      events: { type: "string", default: process.env.BENCH_AUDIT_EVENTS ?? "1000000" },
      runs: { type: "string", default: process.env.BENCH_AUDIT_RUNS ?? "50" },
      "export-filter": { type: "string", multiple: true, default: ["", "environment=production"] },
      formats: { type: "string", default: "csv,ndjson" },
      "no-export": { type: "boolean", default: false },
      "no-cli-verify": { type: "boolean", default: false },
      rebuild: { type: "boolean", default: false },
      json: { type: "string" },
    },
  });
  const result = await runAuditBench({
    databaseUrl: values.url,
    events: Number(values.events),
    runs: Number(values.runs),
    exportFilters: values["export-filter"].map((f) => Object.fromEntries(new URLSearchParams(f))),
    formats: values.formats.split(",").map((f) => f.trim()) as ("csv" | "ndjson")[],
    skipExport: values["no-export"],
    cliVerify: !values["no-cli-verify"],
    rebuild: values.rebuild,
  });
  console.log(`\n${result.markdown}\n`);
  console.log(`audit bench ${result.ok ? "PASS" : "FAIL"} in ${result.seconds} s`);
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(result, null, 2));
  if (!result.ok) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.once("SIGINT", () => process.exit(130));
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
