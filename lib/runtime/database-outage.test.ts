// What an unreachable database or a full disk looks like to the product, as the drivers report it:
// the agent API answers 503 `unavailable` with Retry-After (never 500 `internal`), and start-up
// prints one sentence that says what to check. Real driver errors where they are cheap to make.
import net from "node:net";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { toResponse } from "@/app/api/_lib/http";
import { isDatabaseUnavailable, isDiskFull } from "@/db/errors";
import { resetEnvCache } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { startupFailureMessage } from "./startup-failure";

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
/** drizzle wraps the driver's error as its cause. */
const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1"), { cause });

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("isDatabaseUnavailable", () => {
  it("recognises postgres.js's own error for a refused connection, through drizzle's wrapping", async () => {
    const sql = postgres(`postgres://postgres@127.0.0.1:${await closedPort()}/x`, { max: 1, connect_timeout: 2 });
    const err = await sql`select 1`.then(
      () => undefined,
      (e: unknown) => e,
    );
    await sql.end({ timeout: 1 });
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isDatabaseUnavailable(wrapped(err))).toBe(true);
  });

  it.each(["CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "ECONNRESET", "57P01", "57P03", "08006", "53300"])("%s", (code) => {
    expect(isDatabaseUnavailable(wrapped(coded(code)))).toBe(true);
  });

  it.each(["23505", "22P02", "42P01", "ENOENT", "not_found"])("not %s", (code) => {
    expect(isDatabaseUnavailable(wrapped(coded(code)))).toBe(false);
  });
});

describe("isDiskFull", () => {
  it("recognises Node's ENOSPC, PostgreSQL's disk_full and PGlite's Emscripten ENOSPC (errno 51, no message)", () => {
    expect(isDiskFull(coded("ENOSPC", "ENOSPC: no space left on device, write"))).toBe(true);
    expect(isDiskFull(wrapped(coded("53100", 'could not extend file "base/1/2": No space left on device')))).toBe(true);
    expect(isDiskFull(Object.assign(Object.create(null) as object, { name: "ErrnoError", errno: 51 }))).toBe(true);
    expect(isDiskFull(Object.assign(Object.create(null) as object, { name: "ErrnoError", errno: 44 }))).toBe(false);
    expect(isDiskFull(coded("ECONNREFUSED"))).toBe(false);
  });
});

describe("toResponse", () => {
  it("answers a lost database connection 503 unavailable with Retry-After, the envelope", async () => {
    const res = toResponse(wrapped(coded("CONNECTION_CLOSED", "write CONNECTION_CLOSED 127.0.0.1:5432")));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await res.json()).toEqual({ error: { code: "unavailable", message: "The database is not answering; retry shortly." } });
  });

  it("answers a write refused for a full disk 503 unavailable too: retryable, nothing was stored", async () => {
    const res = toResponse(wrapped(coded("53100", 'could not extend file "base/1/2": No space left on device')));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
  });

  it("still answers anything else unknown 500 internal, and domain errors by their code", async () => {
    expect(toResponse(new Error("boom")).status).toBe(500);
    expect(toResponse(new CountersignError("not_found", "No such request.")).status).toBe(404);
  });
});

describe("startupFailureMessage", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetEnvCache();
  });

  it("names where the database is (never its password) and what to check", () => {
    process.env.DATABASE_URL = "postgres://app:s3cret@db.internal:6543/countersign";
    resetEnvCache();
    const message = startupFailureMessage(coded("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:6543"));
    expect(message).toBe(
      "Cannot connect to the database at db.internal:6543/countersign (connect ECONNREFUSED 10.0.0.5:6543). Is PostgreSQL running there, and is DATABASE_URL right?",
    );
    expect(message).not.toContain("s3cret");
  });

  it("says the disk is full, for the embedded database's directory", () => {
    delete process.env.DATABASE_URL;
    process.env.COUNTERSIGN_DATA_DIR = "/var/lib/countersign";
    resetEnvCache();
    expect(startupFailureMessage({ name: "ErrnoError", errno: 51 })).toBe(
      "No space left on the device while opening the embedded database in /var/lib/countersign. Free some space (or move the data elsewhere) and start again.",
    );
  });

  it("passes any other error's message through", () => {
    expect(startupFailureMessage(new Error("Invalid Countersign configuration:\n  PORT: too big"))).toBe("Invalid Countersign configuration:\n  PORT: too big");
  });
});
