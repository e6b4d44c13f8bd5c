// SQL for the SCIM directory Okta provisions (users, groups, memberships), and for the identities
// a directory change bears on (matched by the provider's issuer and the login = userName).
import { and, asc, count, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../client";
import { identities, scimGroupMembers, scimGroups, scimUsers, type ScimGroupRow, type ScimUserRow } from "../schema";

// ── users ─────────────────────────────────────────────────────────────────────────────────────

/** The user, or undefined when its userName is taken (case-insensitively; a concurrent insert waits, then yields). */
export async function insertScimUser(tx: Executor, row: typeof scimUsers.$inferInsert): Promise<ScimUserRow | undefined> {
  const [inserted] = await tx.insert(scimUsers).values(row).onConflictDoNothing().returning();
  return inserted;
}

/** With `lock`, the row is held until the transaction ends (a concurrent change of the same user waits). */
export async function findScimUser(tx: Executor, id: string, opts: { lock?: boolean } = {}): Promise<ScimUserRow | undefined> {
  const query = tx.select().from(scimUsers).where(eq(scimUsers.id, id));
  const [row] = opts.lock ? await query.for("update") : await query;
  return row;
}

/** Whether another user holds this userName (case-insensitively). */
export async function userNameTaken(tx: Executor, userName: string, exceptId?: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: scimUsers.id })
    .from(scimUsers)
    .where(and(sql`lower(${scimUsers.userName}) = ${userName.toLowerCase()}`, exceptId ? sql`${scimUsers.id} <> ${exceptId}` : undefined));
  return row !== undefined;
}

export async function updateScimUser(tx: Executor, id: string, patch: Partial<Omit<typeof scimUsers.$inferInsert, "id" | "createdAt">>): Promise<ScimUserRow> {
  const [row] = await tx.update(scimUsers).set(patch).where(eq(scimUsers.id, id)).returning();
  return row!;
}

/** Deletes the user; its memberships go with it (ON DELETE CASCADE). */
export async function deleteScimUser(tx: Executor, id: string): Promise<void> {
  await tx.delete(scimUsers).where(eq(scimUsers.id, id));
}

export type ScimUserFilter = { attr: "id" | "userName" | "externalId" | "displayName"; value: string } | { attr: "active"; value: boolean };

function userWhere(filter: ScimUserFilter | undefined): SQL | undefined {
  if (!filter) return undefined;
  switch (filter.attr) {
    case "id":
      return eq(scimUsers.id, filter.value);
    case "userName":
      // userName is not case-exact (RFC 7643 §4.1.1), and unique lower-cased.
      return sql`lower(${scimUsers.userName}) = ${filter.value.toLowerCase()}`;
    case "externalId":
      return eq(scimUsers.externalId, filter.value);
    case "displayName":
      return eq(scimUsers.displayName, filter.value);
    case "active":
      return eq(scimUsers.active, filter.value);
  }
}

/** One page of users in creation order, and how many match in all. */
export async function selectScimUsers(tx: Executor, filter: ScimUserFilter | undefined, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }> {
  const where = userWhere(filter);
  const [{ total }] = (await tx.select({ total: count() }).from(scimUsers).where(where)) as [{ total: number }];
  const rows = limit === 0 ? [] : await tx.select().from(scimUsers).where(where).orderBy(asc(scimUsers.createdAt), asc(scimUsers.id)).offset(offset).limit(limit);
  return { total: Number(total), rows };
}

/**
 * The users with these ids that exist, held against deletion until the transaction ends (so a
 * membership is never written for a user being deleted).
 */
export async function lockScimUsers(tx: Executor, ids: readonly string[]): Promise<{ id: string; userName: string }[]> {
  if (ids.length === 0) return [];
  return tx.select({ id: scimUsers.id, userName: scimUsers.userName }).from(scimUsers).where(inArray(scimUsers.id, [...ids])).for("share");
}

/** Each user's groups (id and name), by user id. */
export async function selectGroupsOfUsers(tx: Executor, userIds: readonly string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
  const out = new Map<string, { id: string; displayName: string }[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const rows = await tx
    .select({ userId: scimGroupMembers.userId, id: scimGroups.id, displayName: scimGroups.displayName })
    .from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(inArray(scimGroupMembers.userId, [...userIds]))
    .orderBy(asc(scimGroups.displayName));
  for (const r of rows) out.get(r.userId)?.push({ id: r.id, displayName: r.displayName });
  return out;
}

// ── groups ────────────────────────────────────────────────────────────────────────────────────

/** The group, or undefined when its displayName is taken. */
export async function insertScimGroup(tx: Executor, row: typeof scimGroups.$inferInsert): Promise<ScimGroupRow | undefined> {
  const [inserted] = await tx.insert(scimGroups).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function findScimGroup(tx: Executor, id: string, opts: { lock?: boolean } = {}): Promise<ScimGroupRow | undefined> {
  const query = tx.select().from(scimGroups).where(eq(scimGroups.id, id));
  const [row] = opts.lock ? await query.for("update") : await query;
  return row;
}

export async function groupNameTaken(tx: Executor, displayName: string, exceptId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: scimGroups.id })
    .from(scimGroups)
    .where(and(eq(scimGroups.displayName, displayName), sql`${scimGroups.id} <> ${exceptId}`));
  return row !== undefined;
}

export async function updateScimGroup(tx: Executor, id: string, patch: Partial<Omit<typeof scimGroups.$inferInsert, "id" | "createdAt">>): Promise<ScimGroupRow> {
  const [row] = await tx.update(scimGroups).set(patch).where(eq(scimGroups.id, id)).returning();
  return row!;
}

/** Deletes the group and its memberships (ON DELETE CASCADE). */
export async function deleteScimGroup(tx: Executor, id: string): Promise<void> {
  await tx.delete(scimGroups).where(eq(scimGroups.id, id));
}

export type ScimGroupFilter = { attr: "id" | "displayName" | "externalId"; value: string };

function groupWhere(filter: ScimGroupFilter | undefined): SQL | undefined {
  if (!filter) return undefined;
  // displayName compares exactly: it is what the policy file names, and policy names are exact.
  const column = { id: scimGroups.id, displayName: scimGroups.displayName, externalId: scimGroups.externalId }[filter.attr];
  return eq(column, filter.value);
}

export async function selectScimGroups(tx: Executor, filter: ScimGroupFilter | undefined, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }> {
  const where = groupWhere(filter);
  const [{ total }] = (await tx.select({ total: count() }).from(scimGroups).where(where)) as [{ total: number }];
  const rows = limit === 0 ? [] : await tx.select().from(scimGroups).where(where).orderBy(asc(scimGroups.createdAt), asc(scimGroups.id)).offset(offset).limit(limit);
  return { total: Number(total), rows };
}

/** Each group's members (user id and userName), by group id. */
export async function selectMembersOfGroups(tx: Executor, groupIds: readonly string[]): Promise<Map<string, { id: string; userName: string }[]>> {
  const out = new Map<string, { id: string; userName: string }[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await tx
    .select({ groupId: scimGroupMembers.groupId, id: scimUsers.id, userName: scimUsers.userName })
    .from(scimGroupMembers)
    .innerJoin(scimUsers, eq(scimUsers.id, scimGroupMembers.userId))
    .where(inArray(scimGroupMembers.groupId, [...groupIds]))
    .orderBy(asc(scimUsers.userName));
  for (const r of rows) out.get(r.groupId)?.push({ id: r.id, userName: r.userName });
  return out;
}

export async function insertGroupMembers(tx: Executor, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx
    .insert(scimGroupMembers)
    .values(userIds.map((userId) => ({ groupId, userId })))
    .onConflictDoNothing();
}

export async function deleteGroupMembers(tx: Executor, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.delete(scimGroupMembers).where(and(eq(scimGroupMembers.groupId, groupId), inArray(scimGroupMembers.userId, [...userIds])));
}

// ── the identities a directory user stands for ────────────────────────────────────────────────

/** Identities of this provider whose login is this userName (case-insensitively): whom a deactivation signs out. */
export async function selectIdentityIdsByLogin(tx: Executor, issuer: string, login: string): Promise<string[]> {
  const rows = await tx
    .select({ id: identities.id })
    .from(identities)
    .where(and(eq(identities.issuer, issuer), sql`lower(${identities.login}) = ${login.toLowerCase()}`));
  return rows.map((r) => r.id);
}

/**
 * The directory removed the user: their identities' groups are confirmed empty as of `at`, and the
 * credential that could refresh them is dropped, so no door (a linked Slack account included) can
 * lean on the groups of an earlier sign-in.
 */
export async function forgetGroupsOfIdentities(tx: Executor, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.update(identities).set({ groups: [], groupsConfirmedAt: at, refreshCredential: null }).where(inArray(identities.id, [...ids]));
}
