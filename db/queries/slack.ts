// SQL for Slack: the message posted per request (its channel ID and ts, for later chat.update calls),
// and the Slack accounts people linked to themselves.
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { identities, slackLinkCodes, slackLinks, slackMessages, slackSeenSignatures, type SlackMessageRow } from "../schema";

/** Remembers the posted message; a second post for the same request keeps the first. */
export async function insertSlackMessage(tx: Executor, row: SlackMessageRow): Promise<void> {
  await tx.insert(slackMessages).values(row).onConflictDoNothing();
}

export async function findSlackMessage(tx: Executor, requestId: string): Promise<SlackMessageRow | undefined> {
  const [row] = await tx.select().from(slackMessages).where(eq(slackMessages.requestId, requestId));
  return row;
}

// ── Slack accounts linked to people ───────────────────────────────────────────────────────────

export async function findSlackLink(tx: Executor, teamId: string, userId: string): Promise<typeof slackLinks.$inferSelect | undefined> {
  const [row] = await tx.select().from(slackLinks).where(and(eq(slackLinks.teamId, teamId), eq(slackLinks.userId, userId)));
  return row;
}

/** Binds the Slack account to the person (re-linking a Slack account moves it). */
export async function upsertSlackLink(tx: Executor, row: typeof slackLinks.$inferInsert): Promise<void> {
  await tx
    .insert(slackLinks)
    .values(row)
    .onConflictDoUpdate({ target: [slackLinks.teamId, slackLinks.userId], set: { personId: row.personId, linkedAt: row.linkedAt } });
}

export async function deleteSlackLinksOfPerson(tx: Executor, personId: string, teamId?: string, userId?: string): Promise<number> {
  const scope = teamId && userId ? and(eq(slackLinks.personId, personId), eq(slackLinks.teamId, teamId), eq(slackLinks.userId, userId)) : eq(slackLinks.personId, personId);
  return (await tx.delete(slackLinks).where(scope).returning({ userId: slackLinks.userId })).length;
}

export async function selectSlackLinksOfPerson(tx: Executor, personId: string): Promise<(typeof slackLinks.$inferSelect)[]> {
  return tx.select().from(slackLinks).where(eq(slackLinks.personId, personId));
}

export async function insertSlackLinkCode(tx: Executor, row: typeof slackLinkCodes.$inferInsert): Promise<void> {
  await tx.insert(slackLinkCodes).values(row);
}

/** A one-time code as stored, without using it (the link page describes it before the person confirms). */
export async function findSlackLinkCode(tx: Executor, codeHash: string): Promise<typeof slackLinkCodes.$inferSelect | undefined> {
  const [row] = await tx.select().from(slackLinkCodes).where(eq(slackLinkCodes.codeHash, codeHash));
  return row;
}

/** Uses a one-time code: returns its Slack account if it was unused and unexpired (and marks it used). */
export async function useSlackLinkCode(tx: Executor, codeHash: string, now: Date): Promise<{ teamId: string; userId: string } | undefined> {
  const [row] = await tx
    .update(slackLinkCodes)
    .set({ usedAt: now })
    .where(and(eq(slackLinkCodes.codeHash, codeHash), isNull(slackLinkCodes.usedAt), gt(slackLinkCodes.expiresAt, now)))
    .returning({ teamId: slackLinkCodes.teamId, userId: slackLinkCodes.userId });
  return row;
}

/**
 * Records a Slack request signature seen at `at`, forgetting those seen before `forgetBefore`.
 * True on its first sighting by any instance; false when it was seen already (a replay).
 */
export async function recordSlackSignature(tx: Executor, signature: string, at: Date, forgetBefore: Date): Promise<boolean> {
  await tx.delete(slackSeenSignatures).where(lt(slackSeenSignatures.seenAt, forgetBefore));
  const inserted = await tx
    .insert(slackSeenSignatures)
    .values({ signature, seenAt: at })
    .onConflictDoNothing()
    .returning({ signature: slackSeenSignatures.signature });
  return inserted.length === 1;
}

/**
 * Linked Slack accounts of people any of whose identities was last confirmed in one of `idpGroups`,
 * with every e-mail of that person (so callers can leave out the requester): who to DM for a
 * reminder, an escalation or a break-glass.
 */
export async function selectSlackUsersInGroups(
  tx: Executor,
  idpGroups: readonly string[],
): Promise<{ teamId: string; userId: string; personId: string; emails: string[] }[]> {
  if (idpGroups.length === 0) return [];
  const groups = sql.join(
    idpGroups.map((g) => sql`${g}`),
    sql`, `,
  );
  const rows = await tx
    .select({
      teamId: slackLinks.teamId,
      userId: slackLinks.userId,
      personId: slackLinks.personId,
      emails: sql<string[]>`coalesce((select json_agg(lower(j.email)) from identities j where j.person_id = ${slackLinks.personId} and j.email is not null), '[]'::json)`,
    })
    .from(slackLinks)
    .where(
      sql`exists (select 1 from ${identities} i where i.person_id = ${slackLinks.personId} and jsonb_exists_any(i.groups, array[${groups}]::text[]))`,
    )
    .orderBy(slackLinks.userId);
  return rows.map((r) => ({ ...r, emails: typeof r.emails === "string" ? (JSON.parse(r.emails) as string[]) : r.emails }));
}
