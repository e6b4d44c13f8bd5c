// A database of one's own, for tests that need exact global counts or that tamper with the audit
// chain: a fresh PostgreSQL database on the test server (created from ADMIN_URL, migrated, dropped
// afterwards) or a fresh in-memory PGlite. `pointAppAt` points the app's process-wide handle at
// it (so the lifecycle functions write there) and returns a function that points it back.
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { getDatabase, openDatabase, setDatabaseForProcess, type DatabaseHandle } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import type { PassState } from "@/lib/runtime/background-pass";
import { peekProcessWide } from "@/lib/runtime/process-wide";
import { ADMIN_URL } from "../setup/postgres-global";
import { createDatabaseWithRoles, dropDatabaseWithRoles, type DatabaseRoles } from "./pg-roles";

export const onPostgres = process.env.COUNTERSIGN_TEST_DB === "postgres";

export type DedicatedDatabase = {
  handle: DatabaseHandle;
  name: string;
  /** With `roles: true` on PostgreSQL: the owner and runtime roles (`handle` is then the runtime role's). */
  roles?: DatabaseRoles;
  drop(): Promise<void>;
};

export async function createDedicatedDatabase(opts: { poolSize?: number; roles?: boolean } = {}): Promise<DedicatedDatabase> {
  if (!onPostgres) {
    const handle = await openDatabase({ dataDir: "memory://" });
    await migrateDatabase(handle);
    return { handle, name: "memory://", drop: () => handle.close() };
  }
  const name = `countersign_iso_${Date.now()}_${randomUUID().slice(0, 8)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  if (opts.roles) {
    const roles = await createDatabaseWithRoles(admin, ADMIN_URL, name);
    const handle = await openDatabase({ databaseUrl: roles.runtimeUrl, poolSize: opts.poolSize ?? 20 });
    await migrateDatabase(handle, { migrationUrl: roles.ownerUrl });
    return {
      handle,
      name,
      roles,
      async drop() {
        await handle.close().catch(() => {});
        await dropDatabaseWithRoles(admin, name);
        await admin.end({ timeout: 5 });
      },
    };
  }
  await admin.unsafe(`create database ${name}`);
  const handle = await openDatabase({ databaseUrl: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), poolSize: opts.poolSize ?? 20 });
  await migrateDatabase(handle);
  return {
    handle,
    name,
    async drop() {
      await handle.close().catch(() => {});
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** Routes the app's database singleton to `handle`; call the result to restore the previous one. */
export async function pointAppAt(handle: DatabaseHandle): Promise<() => void> {
  const previous = await getDatabase();
  setDatabaseForProcess(handle);
  return () => setDatabaseForProcess(previous);
}

/** Waits until no background seal pass (kickSealer) is running, e.g. before closing its database. */
export async function waitForSealerIdle(timeoutMs = 10_000): Promise<void> {
  const state = peekProcessWide<PassState>("audit-sealer");
  const until = Date.now() + timeoutMs;
  while (state?.running) {
    if (Date.now() > until) throw new Error("the background audit sealer did not go idle");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until no background outbox pass (kickOutbox) is running, e.g. before closing its database. */
export async function waitForOutboxIdle(timeoutMs = 10_000): Promise<void> {
  const state = peekProcessWide<PassState>("outbox-worker");
  const until = Date.now() + timeoutMs;
  while (state?.running) {
    if (Date.now() > until) throw new Error("the background outbox worker did not go idle");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * On PostgreSQL (whose files share one database), a database of this file's own, for checks that
 * would be racy there ("nothing changed", the leases, dropped LISTEN connections); PGlite is per
 * file already. Returns the restore to call in afterAll.
 */
export async function usePrivateDatabase(opts: { poolSize?: number } = {}): Promise<() => Promise<void>> {
  if (!onPostgres) return async () => {};
  const mine = await createDedicatedDatabase({ poolSize: opts.poolSize ?? 5 });
  const restore = await pointAppAt(mine.handle);
  return async () => {
    await waitForSealerIdle(); // the background sealer may still be writing to this database
    restore();
    await mine.drop();
  };
}
