// SQL for people, their identities and console sessions.
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { rowsOf, type Executor } from "../client";
import {
  identities,
  people,
  scimGroupMembers,
  scimGroups,
  scimUsers,
  sessions,
  type IdentityRow,
  type PersonRow,
  type SessionRow,
} from "../schema";

export type NewIdentity = typeof identities.$inferInsert;

export async function findIdentity(tx: Executor, issuer: string, subject: string): Promise<IdentityRow | undefined> {
  const [row] = await tx.select().from(identities).where(and(eq(identities.issuer, issuer), eq(identities.subject, subject)));
  return row;
}

export async function findIdentityById(tx: Executor, id: string): Promise<IdentityRow | undefined> {
  const [row] = await tx.select().from(identities).where(eq(identities.id, id));
  return row;
}

export async function insertPerson(tx: Executor, row: typeof people.$inferInsert): Promise<PersonRow> {
  const [inserted] = await tx.insert(people).values(row).returning();
  return inserted!;
}

export async function findPerson(tx: Executor, id: string): Promise<PersonRow | undefined> {
  const [row] = await tx.select().from(people).where(eq(people.id, id));
  return row;
}

/** Inserts the identity, or returns undefined when (issuer, subject) exists (a concurrent insert waits, then yields). */
export async function insertIdentity(tx: Executor, row: NewIdentity): Promise<IdentityRow | undefined> {
  const [inserted] = await tx.insert(identities).values(row).onConflictDoNothing({ target: [identities.issuer, identities.subject] }).returning();
  return inserted;
}

export async function deletePersonWithoutIdentities(tx: Executor, id: string): Promise<void> {
  await tx.delete(people).where(and(eq(people.id, id), sql`not exists (select 1 from ${identities} where ${identities.personId} = ${id})`));
}

export async function updateIdentity(tx: Executor, id: string, patch: Partial<Omit<NewIdentity, "id">>): Promise<IdentityRow> {
  const [row] = await tx.update(identities).set(patch).where(eq(identities.id, id)).returning();
  return row!;
}

/** The person another identity with this verified e-mail belongs to (automatic linking), if any. */
export async function findPersonByVerifiedEmail(tx: Executor, email: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ personId: identities.personId })
    .from(identities)
    .where(and(eq(identities.emailVerified, true), sql`lower(${identities.email}) = ${email.toLowerCase()}`))
    .orderBy(identities.createdAt)
    .limit(1);
  return row?.personId;
}

export async function selectIdentitiesOfPerson(tx: Executor, personId: string): Promise<IdentityRow[]> {
  return tx.select().from(identities).where(eq(identities.personId, personId)).orderBy(identities.createdAt);
}

/** Each person id as it stands now: a person linked into another is that other person. */
export async function resolvePeople(tx: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const uuids = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (uuids.length === 0) return new Map();
  const rows = await tx.select({ id: people.id, mergedInto: people.mergedInto }).from(people).where(inArray(people.id, uuids));
  return new Map(rows.map((r) => [r.id, r.mergedInto ?? r.id]));
}

/**
 * Links person `from` into person `into`: their identities, sessions and Slack accounts become
 * `into`'s, and `from` (and anyone already linked into it) resolves to `into` from now on.
 */
export async function mergePeople(tx: Executor, from: string, into: string, at: Date): Promise<void> {
  await tx.update(people).set({ mergedInto: into, mergedAt: at }).where(eq(people.mergedInto, from));
  await tx.update(people).set({ mergedInto: into, mergedAt: at }).where(eq(people.id, from));
  await tx.update(identities).set({ personId: into }).where(eq(identities.personId, from));
  await tx.update(sessions).set({ personId: into }).where(eq(sessions.personId, from));
  await tx.execute(sql`update slack_links set person_id = ${into} where person_id = ${from}`);
}

/** Every person with their identities, for the admin's people page. */
export async function selectPeopleWithIdentities(tx: Executor): Promise<{ person: PersonRow; identity: IdentityRow }[]> {
  return tx
    .select({ person: people, identity: identities })
    .from(identities)
    .innerJoin(people, eq(people.id, identities.personId))
    .orderBy(people.displayName, identities.createdAt);
}

// ── sessions ──────────────────────────────────────────────────────────────────────────────────

export async function insertSession(tx: Executor, row: typeof sessions.$inferInsert): Promise<void> {
  await tx.insert(sessions).values(row);
}

/** A session that has not been ended, with its identity. Idle and lifetime limits are the caller's rule. */
export async function findOpenSession(tx: Executor, id: string): Promise<{ session: SessionRow; identity: IdentityRow } | undefined> {
  const [row] = await tx
    .select({ session: sessions, identity: identities })
    .from(sessions)
    .innerJoin(identities, eq(identities.id, sessions.identityId))
    .where(and(eq(sessions.id, id), isNull(sessions.endedAt)));
  return row;
}

export async function touchSession(tx: Executor, id: string, at: Date): Promise<void> {
  await tx.update(sessions).set({ lastSeenAt: at }).where(and(eq(sessions.id, id), isNull(sessions.endedAt)));
}

export async function endSession(tx: Executor, id: string, at: Date, reason: string): Promise<boolean> {
  const rows = await tx
    .update(sessions)
    .set({ endedAt: at, endedReason: reason })
    .where(and(eq(sessions.id, id), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Ends every open session of a person (or of one identity); returns how many. */
export async function endSessionsOf(tx: Executor, who: { personId: string } | { identityId: string }, at: Date, reason: string): Promise<number> {
  const scope = "personId" in who ? eq(sessions.personId, who.personId) : eq(sessions.identityId, who.identityId);
  const rows = await tx
    .update(sessions)
    .set({ endedAt: at, endedReason: reason })
    .where(and(scope, isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

export async function countOpenSessionsByPerson(tx: Executor, now: Date): Promise<Map<string, number>> {
  const rows = await tx
    .select({ personId: sessions.personId, n: sql<number>`count(*)`.mapWith(Number) })
    .from(sessions)
    .where(and(isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
    .groupBy(sessions.personId);
  return new Map(rows.map((r) => [r.personId, r.n]));
}

// ── the SCIM directory as it bears on identities ───────────────────────────────────────────────

export type DirectoryEntry = { login: string; active: boolean; groups: string[] };

/** For each login provisioned by SCIM: whether it is active and its groups' names. */
export async function selectDirectoryEntries(tx: Executor, logins: readonly string[]): Promise<Map<string, DirectoryEntry>> {
  if (logins.length === 0) return new Map();
  const lowered = logins.map((l) => l.toLowerCase());
  const result = await tx.execute(sql`
    select lower(u.user_name) as login, u.active,
           coalesce(json_agg(g.display_name order by g.display_name) filter (where g.id is not null), '[]') as groups
      from ${scimUsers} u
      left join ${scimGroupMembers} m on m.user_id = u.id
      left join ${scimGroups} g on g.id = m.group_id
     where lower(u.user_name) in (${sql.join(lowered.map((l) => sql`${l}`), sql`, `)})
     group by u.id`);
  const rows = rowsOf<{ login: string; active: boolean; groups: string[] | string }>(result);
  return new Map(
    rows.map((r) => [r.login, { login: r.login, active: r.active, groups: typeof r.groups === "string" ? (JSON.parse(r.groups) as string[]) : r.groups }]),
  );
}
