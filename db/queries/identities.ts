// SQL for identities (who signed in, with which groups).
import { eq, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { identities, type IdentityRow } from "../schema";

export async function upsertIdentity(tx: Executor, row: typeof identities.$inferInsert): Promise<void> {
  await tx
    .insert(identities)
    .values(row)
    .onConflictDoUpdate({
      target: identities.id,
      set: {
        email: row.email,
        name: row.name,
        idp: row.idp,
        subject: row.subject,
        groups: row.groups,
        lastSignInAt: row.lastSignInAt,
        firstSignInAt: sql`${identities.firstSignInAt}`,
      },
    });
}

export async function findIdentityByEmail(tx: Executor, email: string): Promise<IdentityRow | undefined> {
  const [row] = await tx.select().from(identities).where(eq(identities.id, email.trim().toLowerCase()));
  return row;
}
