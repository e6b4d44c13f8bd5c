// Applies the committed drizzle-kit migrations. Run by `npm run db:migrate` and at server start-up
// (instrumentation.ts), never by `next build`. On PostgreSQL an advisory lock keeps two starting
// instances from migrating at once.
//
// Two roles on PostgreSQL (issue 11): migrations run as the owner role — DATABASE_MIGRATION_URL, or
// DATABASE_URL when that is unset (the quick start: one role) — and the server runs as DATABASE_URL's
// role. When the two differ, every migration run ends by granting the runtime role its privileges
// (countersign_grant_runtime, migration 0012). A server holding only the runtime role's credentials
// does not migrate: it checks that every migration has been applied and says how to apply them.
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { env } from "@/lib/config/env";
import { rowsOf, type DatabaseHandle } from "./client";

export const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");
const MIGRATION_LOCK = 7_214_001;

export class MigrationsPendingError extends Error {
  override name = "MigrationsPendingError";
}

/** The owner's URL for this handle: explicit, else DATABASE_MIGRATION_URL when the handle is DATABASE_URL's, else the handle's own. */
function ownerUrlFor(handle: DatabaseHandle, migrationUrl?: string): string {
  if (migrationUrl) return migrationUrl;
  const e = env();
  if (e.DATABASE_MIGRATION_URL && handle.url === e.DATABASE_URL) return e.DATABASE_MIGRATION_URL;
  return handle.url!;
}

/** How many migrations this build ships (db/migrations/meta/_journal.json). */
export function journalEntries(): number {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

export async function migrateDatabase(handle: DatabaseHandle, opts: { migrationUrl?: string } = {}): Promise<void> {
  if (handle.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { default: postgres } = await import("postgres");
  // One dedicated connection, so the advisory lock and the migration share a session.
  const client = postgres(ownerUrlFor(handle, opts.migrationUrl), { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    const [me] = await client<{ role: string; owns: boolean }[]>`
      select current_user as role,
             coalesce((select pg_has_role(current_user, c.relowner, 'USAGE') from pg_class c
                        where c.oid = to_regclass('public.audit_events')), true) as owns`;
    if (!me!.owns) {
      // The runtime role's credentials only: never try to migrate (it could not), just check.
      const [applied] = await client<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`.catch(() => [{ n: 0 }]);
      if ((applied?.n ?? 0) < journalEntries()) {
        throw new MigrationsPendingError(
          `The database needs migrating, and role "${me!.role}" is not its owner: run \`countersign db migrate\` with DATABASE_MIGRATION_URL set to the owner role's URL.`,
        );
      }
      return;
    }
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    const [runtime] = rowsOf<{ role: string }>(await handle.db.execute(sql`select current_user as role`));
    if (runtime && runtime.role !== me!.role) await client`select countersign_grant_runtime(${runtime.role})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}
