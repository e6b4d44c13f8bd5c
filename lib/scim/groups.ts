// SCIM Groups (RFC 7644 §3): the Okta groups pushed to Countersign and their members. A group's
// displayName is what the policy file's roles and approver groups name, so a membership change
// moves authority at the next decision (lib/auth/authority.ts reads it then); no session changes.
// Every change is written with its `scim.group_changed` audit event naming who was added and removed.
import { randomUUID } from "node:crypto";
import { getDb, type Executor } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import {
  deleteGroupMembers,
  deleteScimGroup,
  findScimGroup,
  groupNameTaken,
  insertGroupMembers,
  insertScimGroup,
  lockScimUsers,
  selectMembersOfGroups,
  selectScimGroups,
  updateScimGroup,
  type ScimGroupFilter,
} from "@/db/queries/scim";
import type { ScimGroupRow } from "@/db/schema";
import { auditEvent } from "@/lib/audit/events";
import { CountersignError } from "@/lib/errors";
import { isUuid } from "@/lib/vocabulary";
import { directoryTransaction, SCIM_ACTOR, type ScimContext } from "./directory";
import { parseFilter } from "./filter";
import { applyPatch, parsePatchRequest } from "./patch";
import { groupView, listResponse, project, wants } from "./resources";
import { canonicalize, groupResource, parseListQuery, parseResourceId, parseWith, type GroupAttributes, type JsonObject } from "./schema";

type Member = { id: string; userName: string };

const notFound = (id: string) => new CountersignError("not_found", `Group ${id} not found.`);
const taken = (name: string) => new CountersignError("conflict", `A group named ${JSON.stringify(name)} already exists.`);

function groupFrom(body: unknown): { attrs: GroupAttributes; id: unknown } {
  const { schemas: _schemas, id, meta: _meta, ...attrs } = parseWith(groupResource, canonicalize(body), "Group");
  return { attrs, id };
}

/** The member ids a body names, once each. */
function memberIds(attrs: GroupAttributes): string[] {
  return [...new Set((attrs.members ?? []).map((m) => m.value.toLowerCase()))];
}

/** The users behind these ids, held until commit; 400 (`invalidValue`) naming any that do not exist. */
async function requireUsers(tx: Executor, ids: readonly string[]): Promise<Member[]> {
  const found = await lockScimUsers(tx, ids.filter(isUuid));
  const missing = ids.filter((id) => !found.some((u) => u.id === id));
  if (missing.length > 0) {
    throw new CountersignError("invalid_request", `No such user: ${missing.join(", ")} (members must be provisioned users).`, {
      issues: missing.map((id) => ({ path: "members", message: `no such user ${id}` })),
    });
  }
  return found;
}

const byName = (a: Member, b: Member) => a.userName.localeCompare(b.userName);
const named = (members: readonly Member[]) => members.map((m) => ({ id: m.id, user_name: m.userName }));

function groupEvent(row: Pick<ScimGroupRow, "id" | "displayName">, at: Date, payload: Record<string, unknown>) {
  return auditEvent({
    type: "scim.group_changed",
    actor: SCIM_ACTOR,
    channel: "system",
    at,
    payload: { scim_id: row.id, display_name: row.displayName, ...payload },
  });
}

// ── reads ─────────────────────────────────────────────────────────────────────────────────────

function groupFilter(filter: string): ScimGroupFilter | "none" {
  const { attr, sub, value } = parseFilter(filter);
  const name = sub ? `${attr}.${sub}` : attr;
  if (name !== "displayName" && name !== "externalId" && name !== "id") {
    throw new CountersignError("invalid_filter", `Filtering groups on ${name} is not supported; filter on displayName, externalId or id.`);
  }
  if (typeof value !== "string") throw new CountersignError("invalid_filter", `${name} compares with a string, such as ${name} eq "value".`);
  if (name === "id") return isUuid(value) ? { attr: "id", value: value.toLowerCase() } : "none";
  return { attr: name, value };
}

export async function listGroups(params: URLSearchParams, ctx: ScimContext): Promise<JsonObject> {
  const query = parseListQuery(params);
  const filter = query.filter ? groupFilter(query.filter) : undefined;
  if (filter === "none") return listResponse([], 0, query.startIndex);
  const db = await getDb();
  const { total, rows } = await selectScimGroups(db, filter, query.startIndex - 1, query.count);
  // Okta lists with excludedAttributes=members: then the members are not even read.
  const members = wants(query, "members") ? await selectMembersOfGroups(db, rows.map((r) => r.id)) : undefined;
  return listResponse(rows.map((r) => project(groupView(r, members ? (members.get(r.id) ?? []) : undefined, ctx.base), query)), total, query.startIndex);
}

export async function getGroup(id: string, params: URLSearchParams, ctx: ScimContext): Promise<JsonObject> {
  const groupId = parseResourceId(id, "Group");
  const query = parseListQuery(params);
  const db = await getDb();
  const row = await findScimGroup(db, groupId);
  if (!row) throw notFound(groupId);
  const members = wants(query, "members") ? (await selectMembersOfGroups(db, [groupId])).get(groupId) : undefined;
  return project(groupView(row, members, ctx.base), query);
}

// ── writes ────────────────────────────────────────────────────────────────────────────────────

/** POST /Groups, with its members: 409 (`uniqueness`) when the displayName exists. */
export async function createGroup(body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const { attrs } = groupFrom(body);
  const ids = memberIds(attrs);
  const now = ctx.now ?? new Date();
  return directoryTransaction(async (tx) => {
    const members = (await requireUsers(tx, ids)).sort(byName);
    const row = await insertScimGroup(tx, { id: randomUUID(), displayName: attrs.displayName, externalId: attrs.externalId ?? null, createdAt: now, updatedAt: now });
    if (!row) throw taken(attrs.displayName);
    await insertGroupMembers(tx, row.id, ids);
    await insertAuditEvents(tx, [groupEvent(row, now, { change: "created", added: named(members), removed: [] })]);
    return groupView(row, members, ctx.base);
  });
}

/** PUT /Groups/{id}: name and members replaced (members left out means none, as RFC 7644 §3.5.1 has it). */
export async function replaceGroup(id: string, body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const groupId = parseResourceId(id, "Group");
  const { attrs, id: claimed } = groupFrom(body);
  if (claimed !== undefined && (typeof claimed !== "string" || claimed.toLowerCase() !== groupId)) {
    throw new CountersignError("mutability", "id is read-only; it must match the id in the URL.");
  }
  return changeGroup(groupId, ctx, () => attrs);
}

/** PATCH /Groups/{id}: Okta adds members (`add`, path `members`), removes them (`members[value eq "…"]`) and renames. */
export async function patchGroup(id: string, body: unknown, ctx: ScimContext): Promise<JsonObject> {
  const groupId = parseResourceId(id, "Group");
  const operations = parsePatchRequest(body);
  return changeGroup(groupId, ctx, (before, members) => {
    const doc: JsonObject = {
      displayName: before.displayName,
      ...(before.externalId ? { externalId: before.externalId } : {}),
      members: members.map((m) => ({ value: m.id })),
    };
    return groupFrom(applyPatch(doc, operations, { readOnly: [], discarded: [] })).attrs;
  });
}

async function changeGroup(groupId: string, ctx: ScimContext, next: (before: ScimGroupRow, members: Member[]) => GroupAttributes): Promise<JsonObject> {
  const now = ctx.now ?? new Date();
  return directoryTransaction(async (tx) => {
    const before = await findScimGroup(tx, groupId, { lock: true });
    if (!before) throw notFound(groupId);
    const current = (await selectMembersOfGroups(tx, [groupId])).get(groupId) ?? [];
    const attrs = next(before, current);
    const wanted = memberIds(attrs);
    const removed = current.filter((m) => !wanted.includes(m.id));
    const added = await requireUsers(tx, wanted.filter((id) => !current.some((m) => m.id === id)));
    const renamed = attrs.displayName !== before.displayName;
    const externalId = attrs.externalId ?? null;
    if (renamed && (await groupNameTaken(tx, attrs.displayName, groupId))) throw taken(attrs.displayName);
    if (!renamed && externalId === before.externalId && added.length === 0 && removed.length === 0) {
      return groupView(before, current, ctx.base);
    }

    const row = await updateScimGroup(tx, groupId, { displayName: attrs.displayName, externalId, updatedAt: now });
    await deleteGroupMembers(tx, groupId, removed.map((m) => m.id));
    await insertGroupMembers(tx, groupId, added.map((m) => m.id));
    await insertAuditEvents(tx, [
      groupEvent(row, now, {
        change: "updated",
        added: named(added.sort(byName)),
        removed: named(removed),
        ...(renamed ? { previous_display_name: before.displayName } : {}),
        ...(externalId !== before.externalId ? { external_id: externalId } : {}),
      }),
    ]);
    const members = [...current.filter((m) => wanted.includes(m.id)), ...added].sort(byName);
    return groupView(row, members, ctx.base);
  });
}

/** DELETE /Groups/{id}: its members lose whatever it granted, at their next decision. */
export async function deleteGroup(id: string, ctx: ScimContext): Promise<void> {
  const groupId = parseResourceId(id, "Group");
  const now = ctx.now ?? new Date();
  await directoryTransaction(async (tx) => {
    const before = await findScimGroup(tx, groupId, { lock: true });
    if (!before) throw notFound(groupId);
    const members = (await selectMembersOfGroups(tx, [groupId])).get(groupId) ?? [];
    await deleteScimGroup(tx, groupId);
    await insertAuditEvents(tx, [groupEvent(before, now, { change: "deleted", added: [], removed: named(members) })]);
  });
}
