// The two PostgreSQL roles of a production install, made for a test database (issue 11): an owner
// that runs the migrations and owns every table, and a runtime role the app connects as (it may
// insert and read the audit log, never update, delete, truncate or disable its triggers). Both are
// LOGIN roles with a random password, named after the database, and dropped with it.
import { randomBytes } from "node:crypto";
import type postgres from "postgres";

export type DatabaseRoles = {
  /** The database's owner: migrations run as this role. */
  ownerUrl: string;
  /** The app's role (what DATABASE_URL names in production). */
  runtimeUrl: string;
  /** The server's superuser, on this database (tampering tests only). */
  superuserUrl: string;
  runtimeRole: string;
  ownerRole: string;
};

function urlFor(adminUrl: string, database: string, user?: { name: string; password: string }): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user.name;
    url.password = user.password;
  }
  return url.toString();
}

/** Creates the database owned by a fresh owner role, plus a runtime role (grants come with the migration). */
export async function createDatabaseWithRoles(admin: postgres.Sql, adminUrl: string, name: string): Promise<DatabaseRoles> {
  const owner = { name: `${name}_owner`, password: randomBytes(12).toString("hex") };
  const runtime = { name: `${name}_app`, password: randomBytes(12).toString("hex") };
  await admin.unsafe(`create role ${owner.name} login password '${owner.password}'`);
  await admin.unsafe(`create role ${runtime.name} login password '${runtime.password}'`);
  await admin.unsafe(`create database ${name} owner ${owner.name}`);
  return {
    ownerUrl: urlFor(adminUrl, name, owner),
    runtimeUrl: urlFor(adminUrl, name, runtime),
    superuserUrl: urlFor(adminUrl, name),
    runtimeRole: runtime.name,
    ownerRole: owner.name,
  };
}

export async function dropDatabaseWithRoles(admin: postgres.Sql, name: string): Promise<void> {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`drop role if exists ${name}_app`);
  await admin.unsafe(`drop role if exists ${name}_owner`);
}
