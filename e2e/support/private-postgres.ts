// A PostgreSQL server of a spec's own (initdb into a temporary directory, on a free port), for
// faults that must not touch the shared server other specs use: restarting it, stopping it.
// Needs the PostgreSQL binaries and, when run as root, the `postgres` OS user (initdb refuses root).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./servers";

const run = promisify(execFile);

export const PG_BIN = process.env.COUNTERSIGN_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export type PrivatePostgres = {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  urlFor(database: string): string;
  /** `pg_ctl restart -m fast`: open connections are ended, the server is back when this resolves. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
};

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the `postgres` OS user when we are root. */
async function pg(bin: string, args: string[]): Promise<string> {
  const file = path.join(PG_BIN, bin);
  const { stdout, stderr } = asRoot ? await run("runuser", ["-u", "postgres", "--", file, ...args]) : await run(file, args);
  return stdout + stderr;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-private-pg-"));
  if (asRoot) await run("chown", ["postgres:postgres", dir]);
  const data = path.join(dir, "data");
  const port = await freePort();
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const ctl = (...args: string[]) => pg("pg_ctl", ["-D", data, "-w", "-t", "30", "-l", path.join(dir, "log"), ...args]);
  await ctl("-o", options, "start");
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    await ctl("-m", "fast", "stop");
  };
  return {
    port,
    dir,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async restart() {
      await ctl("-m", "fast", "-o", options, "restart");
    },
    stop,
    async destroy() {
      try {
        await stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
