// Exclusive ownership of an embedded database directory, across processes.
import lockfile from "proper-lockfile";

export type DataDirLock = { release(): Promise<void> };

export class DataDirLockedError extends Error {
  constructor(dir: string) {
    super(
      `The embedded database at ${dir} is in use by another Countersign process (probably the running console). ` +
        `Two processes on one PGlite directory corrupt it, so this one will not open it. ` +
        `Stop the console first, or point DATABASE_URL at PostgreSQL to share the database between processes.`,
    );
    this.name = "DataDirLockedError";
  }
}

export async function acquireDataDirLock(dir: string): Promise<DataDirLock> {
  try {
    const release = await lockfile.lock(dir, {
      lockfilePath: `${dir}.lock`,
      stale: 15_000,
      update: 5_000,
      realpath: false,
      onCompromised: (err) => {
        // Losing the lock means another process may now open the directory: stop rather than corrupt.
        console.error(JSON.stringify({ level: "fatal", msg: "data directory lock compromised", err: String(err) }));
        process.exit(1);
      },
    });
    return { release: () => release().catch(() => undefined) };
  } catch (err) {
    if ((err as { code?: string }).code === "ELOCKED") throw new DataDirLockedError(dir);
    throw err;
  }
}
