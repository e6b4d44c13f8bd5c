// `npm run demo -- --reset` (`countersign db seed --reset`): drop the embedded demo database so the
// seed runs again with deadlines that start now. Only the embedded database, only while no other
// process holds it (the same lock the console takes), and its default checkpoint sink goes with it
// (checkpoints of a deleted chain would not match the new one). Signing keys stay.
import fs from "node:fs";
import path from "node:path";
import { acquireDataDirLock } from "@/db/data-dir-lock";
import { env } from "@/lib/config/env";
import { checkpointSinkDir } from "@/lib/audit/checkpoints";
import { CountersignError } from "@/lib/errors";

export async function resetEmbeddedDatabase(): Promise<{ dataDir: string }> {
  const e = env();
  if (e.DATABASE_URL) {
    throw new CountersignError(
      "invalid_request",
      "--reset drops only the embedded demo database; DATABASE_URL points at PostgreSQL, which it never touches.",
    );
  }
  if (e.COUNTERSIGN_DATA_DIR.startsWith("memory://")) return { dataDir: e.COUNTERSIGN_DATA_DIR };
  const dataDir = path.resolve(e.COUNTERSIGN_DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  // Refuses (DataDirLockedError) while the console or another CLI has the database open.
  const lock = await acquireDataDirLock(dataDir);
  try {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const sink = checkpointSinkDir();
    const defaultSink = path.join(path.dirname(dataDir), "checkpoints");
    if (sink === defaultSink) fs.rmSync(sink, { recursive: true, force: true });
  } finally {
    await lock.release();
  }
  return { dataDir };
}
