// SQL for reviewers' personal tokens: issue, list and revoke a person's own (the person is in every
// WHERE), and find one by its public prefix for authentication.
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Executor } from "../client";
import { people, reviewerTokens, type ReviewerTokenRow } from "../schema";

export async function insertReviewerToken(tx: Executor, row: typeof reviewerTokens.$inferInsert): Promise<ReviewerTokenRow> {
  const [inserted] = await tx.insert(reviewerTokens).values(row).returning();
  return inserted!;
}

/** A person's tokens, newest first, revoked and expired ones included. */
export async function selectReviewerTokensOfPerson(tx: Executor, personId: string): Promise<ReviewerTokenRow[]> {
  return tx.select().from(reviewerTokens).where(eq(reviewerTokens.personId, personId)).orderBy(desc(reviewerTokens.createdAt), desc(reviewerTokens.id));
}

/** The token with this prefix, and whether its person has since been linked into another. */
export async function findReviewerTokenByPrefix(tx: Executor, prefix: string): Promise<{ token: ReviewerTokenRow; merged: boolean } | undefined> {
  const [row] = await tx
    .select({ token: reviewerTokens, mergedInto: people.mergedInto })
    .from(reviewerTokens)
    .innerJoin(people, eq(people.id, reviewerTokens.personId))
    .where(eq(reviewerTokens.prefix, prefix));
  return row && { token: row.token, merged: row.mergedInto !== null };
}

/** The token with this id, as `findReviewerTokenByPrefix`. */
export async function findReviewerTokenById(tx: Executor, id: string): Promise<{ token: ReviewerTokenRow; merged: boolean } | undefined> {
  const [row] = await tx
    .select({ token: reviewerTokens, mergedInto: people.mergedInto })
    .from(reviewerTokens)
    .innerJoin(people, eq(people.id, reviewerTokens.personId))
    .where(eq(reviewerTokens.id, id));
  return row && { token: row.token, merged: row.mergedInto !== null };
}

/** Revokes one of the person's own live tokens; undefined when they hold no such live token. */
export async function revokeReviewerToken(tx: Executor, personId: string, id: string, at: Date): Promise<ReviewerTokenRow | undefined> {
  const [row] = await tx
    .update(reviewerTokens)
    .set({ revokedAt: at })
    .where(and(eq(reviewerTokens.id, id), eq(reviewerTokens.personId, personId), isNull(reviewerTokens.revokedAt)))
    .returning();
  return row;
}

/** Revokes every live token of a person (an admin's "sign out everywhere"); returns how many. */
export async function revokeReviewerTokensOfPerson(tx: Executor, personId: string, at: Date): Promise<number> {
  const rows = await tx
    .update(reviewerTokens)
    .set({ revokedAt: at })
    .where(and(eq(reviewerTokens.personId, personId), isNull(reviewerTokens.revokedAt)))
    .returning({ id: reviewerTokens.id });
  return rows.length;
}

export async function touchReviewerToken(tx: Executor, id: string, at: Date): Promise<void> {
  await tx.update(reviewerTokens).set({ lastUsedAt: at }).where(eq(reviewerTokens.id, id));
}
