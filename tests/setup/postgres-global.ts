// Vitest global setup for the PostgreSQL project: a fresh database per run on the local server,
// owned by an owner role that migrates it, with the app's tests connecting as the runtime role (as
// in production, tests/support/pg-roles.ts); dropped afterwards with its roles.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "@/db/migrate";
import { openDatabase } from "@/db/client";
import { createDatabaseWithRoles, dropDatabaseWithRoles } from "../support/pg-roles";

export const ADMIN_URL = process.env.COUNTERSIGN_TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

declare module "vitest" {
  export interface ProvidedContext {
    /** The runtime role's URL: what the app's tests connect as. */
    databaseUrl: string;
    /** The owner role's URL (migrations). */
    ownerDatabaseUrl: string;
    /**
     * One set of evidence keys for every file of the run: they all write to the one database, and
     * each event's MAC must verify whichever file reads the chain.
     */
    evidenceKeys: { COUNTERSIGN_SIGNING_KEY: string; COUNTERSIGN_SIGNING_KEY_ID: string; COUNTERSIGN_AUDIT_MAC_KEY: string };
  }
}

export default async function setup(project: TestProject) {
  const name = `countersign_test_${Date.now()}_${process.pid}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const roles = await createDatabaseWithRoles(admin, ADMIN_URL, name);
  const handle = await openDatabase({ databaseUrl: roles.runtimeUrl, poolSize: 2 });
  await migrateDatabase(handle, { migrationUrl: roles.ownerUrl });
  await handle.close();
  project.provide("databaseUrl", roles.runtimeUrl);
  project.provide("ownerDatabaseUrl", roles.ownerUrl);
  project.provide("evidenceKeys", {
    COUNTERSIGN_SIGNING_KEY: generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    COUNTERSIGN_SIGNING_KEY_ID: `test-run-${process.pid}`,
    COUNTERSIGN_AUDIT_MAC_KEY: `test-run-mac:${randomBytes(32).toString("base64")}`,
  });
  return async () => {
    await dropDatabaseWithRoles(admin, name);
    await admin.end();
  };
}
