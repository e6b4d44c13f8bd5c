// Per test file: point the app's database singleton at this run's PostgreSQL database or at a
// fresh in-memory PGlite, and load the test policy.
import fs from "node:fs";
import path from "node:path";
import { afterAll, inject } from "vitest";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
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

afterAll(async () => {
  await closeDatabase();
});
