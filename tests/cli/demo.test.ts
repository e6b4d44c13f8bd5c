// `npm run demo`'s own steps, each as a newcomer meets it, without building or serving: a busy port
// is found first (before installing, building or seeding) with the fix in the message, and
// `--reset` (`countersign db seed --reset`) drops the embedded database and seeds it again with
// deadlines that start now — refused while the console holds it, and never on PostgreSQL.
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { acquireDataDirLock } from "@/db/data-dir-lock";

const exec = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-demo-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Run = { code: number; stdout: string; stderr: string; ms: number };

async function run(file: string, args: string[], extraEnv: Record<string, string>): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "", COUNTERSIGN_POLICY: "policy.yaml", LOG_LEVEL: "warn", ...extraEnv };
  const started = Date.now();
  try {
    const { stdout, stderr } = await exec(file, args, { env });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - started };
  }
}

const seed = (dataDir: string, ...args: string[]) =>
  run(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", "--json", "db", "seed", ...args], { COUNTERSIGN_DATA_DIR: dataDir });

/** The pending requests in the embedded database: id and decision deadline. */
async function pendingDeadlines(dataDir: string): Promise<{ id: string; deadline: number }[]> {
  const script = `(async () => {
    const { getDb, closeDatabase } = await import("@/db/client");
    const { requests } = await import("@/db/schema");
    const { eq } = await import("drizzle-orm");
    const db = await getDb();
    const rows = await db.select({ id: requests.id, deadline: requests.decisionDeadline }).from(requests).where(eq(requests.status, "pending"));
    console.log(JSON.stringify(rows.map((r) => ({ id: r.id, deadline: r.deadline.getTime() }))));
    await closeDatabase();
  })()`;
  const r = await run(path.resolve("node_modules/.bin/tsx"), ["-e", script], { COUNTERSIGN_DATA_DIR: dataDir });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { id: string; deadline: number }[];
}

describe("npm run demo", () => {
  it("stops at once on a busy port, naming PORT and the fix, before installing, building or seeding", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve)); // every interface, as another dev server would
    const port = (busy.address() as net.AddressInfo).port;
    const dataDir = path.join(tmp, "busy", "pglite");
    try {
      const r = await run(process.execPath, ["scripts/demo.mjs"], { PORT: String(port), COUNTERSIGN_DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Port ${port} is in use: stop what is using it or run \`PORT=${port + 1} npm run demo\``);
      expect(r.stdout).not.toMatch(/Installing|Building|Preparing/);
      expect(fs.existsSync(dataDir)).toBe(false);
      expect(r.ms).toBeLessThan(5_000);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it("refuses an unknown option and a PORT that is not a port", async () => {
    const bad = await run(process.execPath, ["scripts/demo.mjs", "--rest"], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option --rest. Usage: npm run demo [-- --reset]");
    const port = await run(process.execPath, ["scripts/demo.mjs"], { PORT: "http" });
    expect(port.code).toBe(1);
    expect(port.stderr).toContain("PORT=http is not a port number");
  });

  it("--reset drops the embedded database and seeds it again, with deadlines that start now", { timeout: 240_000 }, async () => {
    const dataDir = path.join(tmp, "reset", "pglite");
    const first = await seed(dataDir);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ skipped: false });
    const before = await pendingDeadlines(dataDir);
    expect(before.length).toBeGreaterThan(0);

    // Seeding again without --reset keeps what is there.
    const again = await seed(dataDir);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: true });

    await new Promise((r) => setTimeout(r, 1_100));
    const reset = await seed(dataDir, "--reset");
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ skipped: false });
    const after = await pendingDeadlines(dataDir);
    expect(after).toHaveLength(before.length);
    expect(after.some((r) => before.some((b) => b.id === r.id))).toBe(false);
    const latest = (rows: { deadline: number }[]) => Math.max(...rows.map((r) => r.deadline));
    expect(latest(after)).toBeGreaterThan(latest(before));
    // The audit history is the new one only, and verifies (its old checkpoints went with it).
    const verify = await run(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", "audit", "verify"], { COUNTERSIGN_DATA_DIR: dataDir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("--reset refuses while the console holds the database, and never touches PostgreSQL", async () => {
    const dataDir = path.join(tmp, "held", "pglite");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "keep-me"), "x");
    const lock = await acquireDataDirLock(dataDir);
    try {
      const r = await seed(dataDir, "--reset");
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "database_in_use", message: expect.stringContaining("is in use by another Countersign process") } });
      expect(fs.existsSync(path.join(dataDir, "keep-me"))).toBe(true);
    } finally {
      await lock.release();
    }
    const pg = await run(path.resolve("node_modules/.bin/tsx"), ["scripts/countersign.ts", "db", "seed", "--reset"], {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/countersign_never_touched",
    });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain("--reset drops only the embedded demo database");
  });
});
