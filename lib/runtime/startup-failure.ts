// The one message a failed start-up prints: configuration and policy errors as written, an
// unreachable database or a full disk in words that say what to check (server.ts and the Next.js
// start-up hook both use it). Kept free of the runtime's imports so server.ts can load it cheaply.
import path from "node:path";
import { isDatabaseUnavailable, isDiskFull } from "@/db/errors";
import { env } from "@/lib/config/env";

/** Where the database is, for a message: host, port and name (never credentials), or the data directory. */
function databaseLocation(): string {
  const { DATABASE_URL: url, COUNTERSIGN_DATA_DIR: dir } = env();
  if (!url) return `the embedded database in ${path.resolve(dir)}`;
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "DATABASE_URL";
  }
}

/** What a human is told when start-up fails: the cause in words, and what to check. */
export function startupFailureMessage(err: unknown): string {
  const detail = err instanceof Error && err.message ? err.message : String((err as { code?: unknown })?.code ?? err);
  if (isDiskFull(err)) {
    return `No space left on the device while opening ${databaseLocation()}. Free some space (or move the data elsewhere) and start again.`;
  }
  if (isDatabaseUnavailable(err)) {
    return `Cannot connect to the database at ${databaseLocation()} (${detail}). Is PostgreSQL running there, and is DATABASE_URL right?`;
  }
  return detail;
}
