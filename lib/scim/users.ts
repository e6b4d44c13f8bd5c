// SCIM Users (RFC 7644 §3): the people Okta assigns to Countersign. Every change is validated in
// full before the transaction starts, written with its `scim.user_changed` audit event, and —
// when it deactivates the user (active false, or DELETE) or moves their userName — ends the
// console sessions of the Okta identities that userName stands for. Authority itself needs no
// push: lib/auth/authority.ts reads `active` and the groups from here at every decision.
import { randomUUID } from "node:crypto";
import { getDb, type Executor } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import {
  deleteScimUser,
  findScimUser,
  forgetGroupsOfIdentities,
  insertScimUser,
  selectGroupsOfUsers,
  selectScimUsers,
  updateScimUser,
  userNameTaken,
  type ScimUserFilter,
} from "@/db/queries/scim";
import type { ScimUserRow } from "@/db/schema";
import { canonicalJson } from "@/lib/audit/canonical";
import { auditEvent } from "@/lib/audit/events";
import { CountersignError } from "@/lib/errors";
import { isUuid } from "@/lib/vocabulary";
import { directoryTransaction, endSessionsOfUserName, SCIM_ACTOR, type ScimContext } from "./directory";
import { parseFilter } from "./filter";
import { applyPatch, parsePatchRequest, type PatchRules } from "./patch";
import { listResponse, project, userView, wants } from "./resources";
import { canonicalize, parseListQuery, parseResourceId, parseWith, userResource, type JsonObject, type UserAttributes } from "./schema";

type Stored = UserAttributes & { active: boolean };

// Group membership is changed on the Group; a password is accepted (Okta may sync one) and never kept.
const USER_RULES: PatchRules = { readOnly: ["groups"], discarded: ["password"] };

const DEACTIVATED = "deactivated in the directory (SCIM)";
const notFound = (id: string) => new CountersignError("not_found", `User ${id} not found.`);
const taken = (userName: string) => new CountersignError("conflict", `A user with userName ${JSON.stringify(userName)} already exists.`);

/** A User body (POST, PUT, or the result of a PATCH): its storable attributes and the id it claims, if any. */
function userFrom(body: unknown): { attrs: UserAttributes; id: unknown } {
  const { schemas: _schemas, id, meta: _meta, groups: _groups, password: _password, ...attrs } = parseWith(userResource, canonicalize(body), "User");
  return { attrs, id };
}

function columns(attrs: Stored) {
  return { userName: attrs.userName, active: attrs.active, externalId: attrs.externalId ?? null, displayName: attrs.displayName ?? null, resource: attrs as JsonObject };
}

/** Top-level attributes whose value differs, by canonical JSON. */
function changedAttributes(before: JsonObject, after: JsonObject): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null)).sort();
}

const storedOf = (row: ScimUserRow): JsonObject => ({ ...row.resource, userName: row.userName, active: row.active });

async function viewOf(tx: Executor, row: ScimUserRow, base: string): Promise<JsonObject> {
  return userView(row, (await selectGroupsOfUsers(tx, [row.id])).get(row.id) ?? [], base);
}

function userEvent(row: Pick<ScimUserRow, "id" | "userName" | "active">, at: Date, payload: Record<string, unknown>) {
  return auditEvent({
    type: "scim.user_changed",
    actor: SCIM_ACTOR,
    channel: "system",
    at,
    payload: { scim_id: row.id, user_name: row.userName, active: row.active, ...payload },
  });
}

// ── reads ─────────────────────────────────────────────────────────────────────────────────────

/** The filters a directory asks users by; `none` when the filter can match nothing (an id that is no UUID). */
function userFilter(filter: string): ScimUserFilter | "none" {
  const { attr, sub, value } = parseFilter(filter);
  const name = sub ? `${attr}.${sub}` : attr;
  const text = (a: "userName" | "externalId" | "displayName"): ScimUserFilter => {
    if (typeof value !== "string") throw new CountersignError("invalid_filter", `${a} compares with a string, such as ${a} eq "value".`);
    return { attr: a, value };
  };
  switch (name) {
    case "userName":
    case "externalId":
    case "displayName":
      return text(name);
    case "id":
      return typeof value === "string" && isUuid(value) ? { attr: "id", value: value.toLowerCase() } : "none";
    case "active":
      if (typeof value !== "boolean") throw new CountersignError("invalid_filter", "active compares with true or false.");
      return { attr: "active", value };
    default:
      throw new CountersignError("invalid_filter", `Filtering users on ${name} is not supported; filter on userName, externalId, displayName, id or active.`);
  }
}

export async function listUsers(params: URLSearchParams, ctx: ScimContext): Promise<JsonObject> {
  const query = parseListQuery(params);
  const filter = query.filter ? userFilter(query.filter) : undefined;
  if (filter === "none") return listResponse([], 0, query.startIndex);
  const db = await getDb();
  const { total, rows } = await selectScimUsers(db, filter, query.startIndex - 1, query.count);
  const groups = wants(query, "groups") ? await selectGroupsOfUsers(db, rows.map((r) => r.id)) : new Map();
  return listResponse(rows.map((r) => project(userView(r, groups.get(r.id) ?? [], ctx.base), query)), total, query.startIndex);
}

export async function getUser(id: string, params: URLSearchParams, ctx: ScimContext): Promise<JsonObject> {
  const userId = parseResourceId(id, "User");
  const query = parseListQuery(params);
  const db = await getDb();
  const row = await findScimUser(db, userId);
  if (!row) throw notFound(userId);
  return project(await viewOf(db, row, ctx.base), query);
}

// ── writes ────────────────────────────────────────────────────────────────────────────────────

/** POST /Users: 409 (`uniqueness`) when the userName exists, case-insensitively. */
export async function createUser(body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const { attrs } = userFrom(body);
  const stored: Stored = { ...attrs, active: attrs.active ?? true };
  const now = ctx.now ?? new Date();
  return directoryTransaction(async (tx) => {
    const row = await insertScimUser(tx, { id: randomUUID(), ...columns(stored), createdAt: now, updatedAt: now });
    if (!row) throw taken(stored.userName);
    // Created inactive: whoever signed in under this login before provisioning is signed out.
    const ended = row.active ? { sessions: 0 } : await endSessionsOfUserName(tx, row.userName, now, DEACTIVATED);
    await insertAuditEvents(tx, [userEvent(row, now, { change: "created", changed: Object.keys(stored).sort(), sessions_ended: ended.sessions })]);
    return userView(row, [], ctx.base);
  });
}

/** PUT /Users/{id}: the resource replaced (an omitted `active` keeps its value: Okta always sends it). */
export async function replaceUser(id: string, body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const userId = parseResourceId(id, "User");
  const { attrs, id: claimed } = userFrom(body);
  if (claimed !== undefined && (typeof claimed !== "string" || claimed.toLowerCase() !== userId)) {
    throw new CountersignError("mutability", "id is read-only; it must match the id in the URL.");
  }
  return changeUser(userId, ctx, (before) => ({ ...attrs, active: attrs.active ?? before.active }));
}

/** PATCH /Users/{id}: a PatchOp message (Okta deactivates with `{"op":"replace","value":{"active":false}}`). */
export async function patchUser(id: string, body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const userId = parseResourceId(id, "User");
  const operations = parsePatchRequest(body);
  return changeUser(userId, ctx, (before) => {
    const { attrs } = userFrom(applyPatch(storedOf(before), operations, USER_RULES));
    if (attrs.active === undefined) throw new CountersignError("invalid_request", "active cannot be removed; replace it with false to deactivate the user.");
    return { ...attrs, active: attrs.active };
  });
}

async function changeUser(userId: string, ctx: ScimContext, next: (before: ScimUserRow) => Stored): Promise<JsonObject> {
  const now = ctx.now ?? new Date();
  return directoryTransaction(async (tx) => {
    const before = await findScimUser(tx, userId, { lock: true });
    if (!before) throw notFound(userId);
    const after = next(before);
    const renamed = after.userName.toLowerCase() !== before.userName.toLowerCase();
    if (renamed && (await userNameTaken(tx, after.userName, userId))) throw taken(after.userName);
    const changed = changedAttributes(storedOf(before), after as JsonObject);
    if (changed.length === 0) return viewOf(tx, before, ctx.base);

    const row = await updateScimUser(tx, userId, { ...columns(after), updatedAt: now });
    const deactivated = before.active && !row.active;
    let sessions = 0;
    if (deactivated) sessions += (await endSessionsOfUserName(tx, row.userName, now, DEACTIVATED)).sessions;
    // The old login no longer names a directory user: its sessions must not outlive the move.
    if (renamed) sessions += (await endSessionsOfUserName(tx, before.userName, now, "userName changed in the directory (SCIM)")).sessions;
    const change = deactivated ? "deactivated" : !before.active && row.active ? "reactivated" : "updated";
    await insertAuditEvents(tx, [
      userEvent(row, now, { change, changed, sessions_ended: sessions, ...(renamed ? { previous_user_name: before.userName } : {}) }),
    ]);
    return viewOf(tx, row, ctx.base);
  });
}

/**
 * DELETE /Users/{id}: the user and their memberships go; like a deactivation it ends the sessions
 * of their identities, and it forgets the groups those identities brought from their last sign-in
 * (no longer in the directory, they would otherwise count until they age out).
 */
export async function deleteUser(id: string, ctx: ScimContext): Promise<void> {
  const userId = parseResourceId(id, "User");
  const now = ctx.now ?? new Date();
  await directoryTransaction(async (tx) => {
    const before = await findScimUser(tx, userId, { lock: true });
    if (!before) throw notFound(userId);
    const groups = (await selectGroupsOfUsers(tx, [userId])).get(userId) ?? [];
    await deleteScimUser(tx, userId);
    const ended = await endSessionsOfUserName(tx, before.userName, now, "deleted from the directory (SCIM)");
    await forgetGroupsOfIdentities(tx, ended.identityIds, now);
    await insertAuditEvents(tx, [
      userEvent({ ...before, active: false }, now, { change: "deleted", groups_left: groups.map((g) => g.displayName), sessions_ended: ended.sessions }),
    ]);
  });
}
