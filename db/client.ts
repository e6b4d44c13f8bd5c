// The one database handle per process: embedded PGlite when DATABASE_URL is unset, postgres.js
// when it is set. Both speak the same drizzle API and both support LISTEN/NOTIFY.
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { env } from "@/lib/config/env";
import { processWide } from "@/lib/runtime/process-wide";
import * as schema from "./schema";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A database or an open transaction: query functions accept either. */
export type Executor = Database;

export type Listener = (payload: string) => void;

export type DatabaseHandle = {
  kind: "postgres" | "pglite";
  db: Database;
  /** The connection URL, for tools that need a dedicated connection (postgres only). */
  url?: string;
  /**
   * Runs one constant SQL text with positional parameters, as a prepared statement where the
   * driver supports it. Only for hot paths whose SQL lives in db/queries; everything else uses drizzle.
   */
  run(text: string, params: unknown[]): Promise<void>;
  /**
   * run() that answers the rows, each as its values in select-list order, as the driver under
   * drizzle hands them over: decode each with its drizzle column's mapFromDriverValue.
   */
  rows(text: string, params: unknown[]): Promise<unknown[][]>;
  /**
   * PostgreSQL only: runs `COPY (…) TO STDOUT` and returns its output as a stream that holds the
   * connection until it ends (the socket is paused while the reader falls behind). `abandon()`
   * stops an unfinished COPY and drains what is in flight, so the connection returns to the pool.
   */
  copyOut?(text: string): Promise<CopyOut>;
  /** PostgreSQL only: the pool's size (connections this process may open). */
  poolSize?: number;
  /**
   * Subscribe to a NOTIFY channel; resolves once the LISTEN is active. `onListening` runs each time
   * it becomes active: first, and again after the driver re-established a dropped connection
   * (notifications sent while it was down are lost, so listeners should re-read).
   */
  listen(channel: string, fn: Listener, onListening?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

export type CopyOut = { stream: Readable; abandon(): void };

/** The rows of `db.execute(…)`: postgres.js answers an array, PGlite an object holding one. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

type Holder = { handle?: Promise<DatabaseHandle> };
const g = processWide<Holder>("database", () => ({}));

export type OpenOptions = { databaseUrl?: string; dataDir?: string; poolSize?: number };

export async function openDatabase(opts: OpenOptions = {}): Promise<DatabaseHandle> {
  const e = env();
  const url = opts.databaseUrl ?? e.DATABASE_URL;
  return url ? openPostgres(url, opts.poolSize ?? e.COUNTERSIGN_DB_POOL) : openPglite(opts.dataDir ?? e.COUNTERSIGN_DATA_DIR);
}

async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    idle_timeout: 60,
    connect_timeout: 10,
    // After failed connects postgres.js waits before the next attempt, growing to 20 s; a query
    // then waits that long just to fail. Capped at 1 s, a restarted database is back in use (and
    // LISTEN re-established) within a second of accepting connections, and callers fail fast meanwhile.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
  });
  const db = drizzle(sql, { schema }) as unknown as Database;
  return {
    kind: "postgres",
    db,
    url,
    poolSize: max,
    async run(text, params) {
      await sql.unsafe(text, params as never[], { prepare: true });
    },
    async rows(text, params) {
      return (await sql.unsafe(text, params as never[], { prepare: true }).values()) as unknown[][];
    },
    async copyOut(text) {
      // A connection of its own: postgres.js pipelines queries onto busy connections, and nothing
      // should queue behind an export that takes as long as its reader.
      const reserved = await sql.reserve();
      const query = reserved.unsafe(text);
      let stream: Readable;
      try {
        stream = (await query.readable()) as Readable;
      } catch (err) {
        reserved.release();
        throw err;
      }
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        // postgres.js pauses the socket while the reader is behind and resumes it from the stream's
        // read(); once the stream has ended nothing reads, so a pause just before CopyDone would
        // strand the CommandComplete/ReadyForQuery after it and the connection with them. Resume.
        stream._read(0);
        reserved.release();
      };
      stream.once("end", finish).once("close", finish);
      let abandoned = false;
      return {
        stream,
        abandon() {
          if (abandoned || done) return;
          abandoned = true;
          // The server stops on the cancel; until its error arrives, keep reading (and dropping)
          // so the paused socket resumes and the connection is free again.
          stream.on("error", () => undefined);
          void query.cancel();
          stream.resume();
        },
      };
    },
    async listen(channel, fn, onListening) {
      // postgres.js re-issues LISTEN on a new connection whenever its connection closes, and calls
      // onlisten each time that succeeds.
      const sub = await sql.listen(channel, fn, onListening);
      return () => sub.unlisten();
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  // As drizzle's PGlite session queries: dates, times and intervals left as text for the columns' decoders.
  const asText = (value: string) => value;
  const rowsConfig = {
    rowMode: "array" as const,
    parsers: Object.fromEntries([types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((t) => [t, asText])),
  };
  const { drizzle } = await import("drizzle-orm/pglite");
  let lock: DataDirLock | undefined;
  let target = dataDir;
  if (!dataDir.startsWith("memory://")) {
    target = path.resolve(dataDir);
    fs.mkdirSync(target, { recursive: true });
    // Two processes on one PGlite directory corrupt it: hold an exclusive lock for our lifetime.
    lock = await acquireDataDirLock(target);
  }
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const client = await PGlite.create(target, { extensions: { pg_trgm } });
  const db = drizzle(client, { schema }) as unknown as Database;
  return {
    kind: "pglite",
    db,
    async run(text, params) {
      await client.query(text, params);
    },
    async rows(text, params) {
      return (await client.query<unknown[]>(text, params, rowsConfig)).rows;
    },
    async listen(channel, fn, onListening) {
      const unlisten = await client.listen(channel, fn);
      onListening?.(); // in process: never drops
      return unlisten;
    },
    async close() {
      await client.close();
      await lock?.release();
    },
  };
}

/** The process-wide handle (so neither a dev hot reload nor a second copy of this module opens another). */
export function getDatabase(): Promise<DatabaseHandle> {
  if (!g.handle) {
    g.handle = openDatabase().catch((err: unknown) => {
      g.handle = undefined;
      throw err;
    });
  }
  return g.handle;
}

export async function getDb(): Promise<Database> {
  return (await getDatabase()).db;
}

export async function closeDatabase(): Promise<void> {
  const handle = g.handle;
  g.handle = undefined;
  if (handle) await (await handle).close();
}

/** For tests and tools that open their own handle but want the app code to use it. */
export function setDatabaseForProcess(handle: DatabaseHandle): void {
  g.handle = Promise.resolve(handle);
}
