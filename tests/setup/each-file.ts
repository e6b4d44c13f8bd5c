// Per test file: point the app's database singleton at this run's PostgreSQL database or at a
// fresh in-memory PGlite, load the test policy, and give the file evidence keys of its own.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, inject } from "vitest";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { resetEnvCache } from "@/lib/config/env";
import { migrateDatabase } from "@/db/migrate";
import { parsePolicy, setActivePolicyForTests } from "@/lib/policy/load";
import { wireRequestEffects } from "@/lib/runtime/wiring";

// As every server process does at start-up: commands announce through the registered channels.
wireRequestEffects();

const policyPath = path.join(process.cwd(), "tests", "fixtures", "policy.yaml");
setActivePolicyForTests(parsePolicy(fs.readFileSync(policyPath, "utf8"), policyPath));

if (process.env.COUNTERSIGN_TEST_DB === "postgres") {
  const handle = await openDatabase({ databaseUrl: inject("databaseUrl"), poolSize: 20 });
  setDatabaseForProcess(handle);
} else {
  const handle = await openDatabase({ dataDir: "memory://" });
  await migrateDatabase(handle);
  setDatabaseForProcess(handle);
}

// Grants and checkpoints are signed, events MACed. On PostgreSQL every file writes to the run's one
// database, so all share the run's keys (tests/setup/postgres-global.ts); on PGlite each file's
// database is its own, and keys are generated into a temporary directory (as on the embedded
// database), never into the checkout's .data, and never shared by two files writing at once.
const onPostgres = process.env.COUNTERSIGN_TEST_DB === "postgres";
if (onPostgres && !process.env.COUNTERSIGN_SIGNING_KEY) Object.assign(process.env, inject("evidenceKeys"));
const keysDir = process.env.COUNTERSIGN_SIGNING_KEY ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "countersign-test-keys-"));
if (keysDir) process.env.COUNTERSIGN_KEYS_DIR = keysDir;
// No checkpoint sink unless a file asks for one (a sink serves one database; a test process
// touches several): the embedded default would otherwise be beside the checkout's .data.
process.env.COUNTERSIGN_DATA_DIR = "memory://";
delete process.env.COUNTERSIGN_CHECKPOINT_DIR;
resetEnvCache();

afterAll(async () => {
  await closeDatabase();
  if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
});
