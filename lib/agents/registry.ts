// Agent registration and authentication. Keys are returned once and stored only as hashes.
import { randomUUID } from "node:crypto";
import { getDatabase, getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import {
  findAgentById,
  findAgentByName,
  findKeyWithAgentByPrefix,
  insertAgent,
  insertAgentKey,
  listAgentsByName,
  markAgentRevoked,
  notifyAgentsChanged,
  revokeActiveKeys,
  touchAgentKey,
} from "@/db/queries/agents";
import type { Agent, AgentKey, AuditActor } from "@/db/schema";
import { auditEvent } from "@/lib/audit/events";
import { assertCan, type Viewer } from "@/lib/auth/viewer";
import { kickSealer } from "@/lib/audit/sealer";
import { CountersignError } from "@/lib/errors";
import type { Channel } from "@/lib/vocabulary";
import { isUniqueViolation } from "@/db/errors";
import { issueAgentKey, parseAgentKey, secretMatches } from "./keys";
import { processWide } from "@/lib/runtime/process-wide";
import { z } from "zod";
import { getActivePolicy } from "@/lib/policy/load";
import { isUuid } from "@/lib/vocabulary";
import {
  identityStillMapsTo,
  isAgentTokenHeader,
  looksLikeJwt,
  tokenError,
  verifyAgentToken,
  verifyWorkloadToken,
  type WorkloadIdentity,
} from "@/lib/auth/workload-identity";

export const createAgentInput = z.strictObject({
  name: z
    .string()
    .trim()
    .min(2)
    .max(80)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, dot, dash and underscore"),
  owner: z.email().max(320).transform((s) => s.toLowerCase()),
  description: z.string().trim().max(500).optional(),
});
export type CreateAgentInput = z.input<typeof createAgentInput>;

export type Performer = { actor: AuditActor; channel: Channel };

export async function createAgent(input: CreateAgentInput, by: Performer): Promise<{ agent: Agent; key: string }> {
  const parsed = createAgentInput.parse(input);
  const db = await getDb();
  const now = new Date();
  const issued = issueAgentKey();
  try {
    const agent = await db.transaction(async (tx) => {
      const agent = await insertAgent(tx, {
        id: randomUUID(),
        name: parsed.name,
        owner: parsed.owner,
        description: parsed.description ?? null,
        createdAt: now,
        createdBy: by.actor.id,
      });
      await insertAgentKey(tx, { id: randomUUID(), agentId: agent.id, prefix: issued.prefix, secretHash: issued.secretHash, createdAt: now });
      await insertAuditEvents(tx, [
        auditEvent({
          type: "agent.created",
          actor: by.actor,
          channel: by.channel,
          at: now,
          agentId: agent.id,
          payload: { name: agent.name, owner: agent.owner, key_prefix: issued.prefix },
        }),
      ]);
      return agent;
    });
    kickSealer();
    return { agent, key: issued.key };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new CountersignError("conflict", `An agent named "${parsed.name}" already exists.`, {
        issues: [{ path: "name", message: `an agent named "${parsed.name}" already exists; choose another name` }],
      });
    }
    throw err;
  }
}

/** An agent by id, or undefined (e.g. to name the agent an audit event refers to). */
export async function findAgent(id: string): Promise<Agent | undefined> {
  return findAgentById(await getDb(), id);
}

/** An agent by id or unique name, or not_found. */
export async function resolveAgent(idOrName: string): Promise<Agent> {
  const db = await getDb();
  const agent = z.uuid().safeParse(idOrName).success ? await findAgentById(db, idOrName) : await findAgentByName(db, idOrName);
  if (!agent) throw new CountersignError("not_found", `No agent "${idOrName}".`);
  return agent;
}

export async function rotateAgentKey(idOrName: string, by: Performer): Promise<{ agent: Agent; key: string }> {
  const agent = await resolveAgent(idOrName);
  if (agent.revokedAt) throw new CountersignError("conflict", `Agent "${agent.name}" is revoked.`);
  const db = await getDb();
  const now = new Date();
  const issued = issueAgentKey();
  await db.transaction(async (tx) => {
    await revokeActiveKeys(tx, agent.id, now);
    await insertAgentKey(tx, { id: randomUUID(), agentId: agent.id, prefix: issued.prefix, secretHash: issued.secretHash, createdAt: now });
    await insertAuditEvents(tx, [
      auditEvent({ type: "agent.key_rotated", actor: by.actor, channel: by.channel, at: now, agentId: agent.id, payload: { name: agent.name, key_prefix: issued.prefix } }),
    ]);
    await notifyAgentsChanged(tx, agent.id);
  });
  agentChanged(agent.id);
  kickSealer();
  return { agent, key: issued.key };
}

export async function revokeAgent(idOrName: string, by: Performer): Promise<Agent> {
  const agent = await resolveAgent(idOrName);
  const db = await getDb();
  const now = new Date();
  const revoked = await db.transaction(async (tx) => {
    const row = await markAgentRevoked(tx, agent.id, now);
    if (!row) return null;
    await insertAuditEvents(tx, [
      auditEvent({ type: "agent.revoked", actor: by.actor, channel: by.channel, at: now, agentId: agent.id, payload: { name: agent.name } }),
    ]);
    await notifyAgentsChanged(tx, agent.id);
    return row;
  });
  if (!revoked) throw new CountersignError("conflict", `Agent "${agent.name}" is already revoked.`);
  agentChanged(agent.id);
  kickSealer();
  return revoked;
}

/**
 * Every agent, for a console viewer who may read, or for the operator's CLI (a local process that
 * holds the database credentials already).
 */
export async function listAgents(reader: Viewer | null | "operator"): Promise<Agent[]> {
  if (reader !== "operator") assertCan(reader, "read");
  return listAgentsByName(await getDb());
}

const TOUCH_EVERY_MS = 60_000;
const CACHE_TTL_MS = 5_000;
const AGENTS_CHANNEL = "countersign_agents";

type CachedKey = { key: AgentKey; agent: Agent; at: number };
type CachedAgent = { agent: Agent | undefined; at: number };
type AuthCache = {
  entries: Map<string, CachedKey>;
  /** Agents by `id:<uuid>` or `name:<name>`, for workload identities (no key to look up). */
  agents: Map<string, CachedAgent>;
  listening?: Promise<unknown>;
  changed: Set<(agentId: string | null) => void>;
};
const authCache = processWide<AuthCache>("agent-key-cache", () => ({ entries: new Map(), agents: new Map(), changed: new Set() }));

/**
 * Calls `fn` with the agent's id whenever any process revokes or rotates that agent or one of its
 * keys — or with null when the agents channel's LISTEN was re-established after a dropped
 * connection (a change may have been missed: any agent may have changed).
 */
export function onAgentChanged(fn: (agentId: string | null) => void): () => void {
  authCache.changed.add(fn);
  return () => authCache.changed.delete(fn);
}

function agentChanged(agentId: string | null): void {
  authCache.entries.clear();
  authCache.agents.clear();
  for (const fn of authCache.changed) fn(agentId);
}

/**
 * Key lookups are cached for a few seconds so the hot path costs no query. Revocation and rotation
 * NOTIFY every process, which drops its cache at once; the TTL bounds staleness if a NOTIFY is missed.
 */
function listenForAgentChanges(): void {
  authCache.listening ??= getDatabase()
    .then((h) => h.listen(AGENTS_CHANNEL, agentChanged, () => agentChanged(null)))
    .catch(() => (authCache.listening = undefined));
}

async function lookupKey(prefix: string): Promise<{ key: AgentKey; agent: Agent } | undefined> {
  listenForAgentChanges();
  const hit = authCache.entries.get(prefix);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit;
  const found = await findKeyWithAgentByPrefix(await getDb(), prefix);
  if (found) {
    if (authCache.entries.size > 10_000) authCache.entries.clear();
    authCache.entries.set(prefix, { ...found, at: Date.now() });
  } else {
    authCache.entries.delete(prefix);
  }
  return found;
}

/** An agent by id or name through the same short cache as keys (dropped when any agent changes). */
async function lookupAgent(by: "id" | "name", value: string): Promise<Agent | undefined> {
  listenForAgentChanges();
  const cacheKey = `${by}:${value}`;
  const hit = authCache.agents.get(cacheKey);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.agent;
  const db = await getDb();
  const agent = by === "id" ? (isUuid(value) ? await findAgentById(db, value) : undefined) : await findAgentByName(db, value);
  if (authCache.agents.size > 10_000) authCache.agents.clear();
  authCache.agents.set(cacheKey, { agent, at: Date.now() });
  return agent;
}

/**
 * The agent a workload identity rule names, refused when it is not registered (the policy names an
 * agent nobody created) or revoked (revoking the agent revokes its workloads too).
 */
export async function agentForWorkload(name: string): Promise<Agent> {
  const agent = await lookupAgent("name", name);
  if (!agent) throw tokenError("agent", `The policy maps this workload to agent "${name}", which is not registered (countersign agents create ${name}).`);
  if (agent.revokedAt) throw new CountersignError("agent_revoked", `Agent "${name}" has been revoked.`);
  return agent;
}

/** Who is calling: the agent, and the workload identity it proved (null for a static key). */
export type AgentCaller = { agent: Agent; workload: WorkloadIdentity | null };

/**
 * Resolves `Authorization: Bearer <credential>` to an active agent, or throws 401. The credential
 * is a static key (cs_…), an agent token /api/v1/token issued, or a trusted issuer's JWT presented
 * directly (verified against the policy's workload_identities on every call).
 */
export async function authenticateCaller(authorization: string | null): Promise<AgentCaller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) throw new CountersignError("unauthorized", "Missing agent key: send Authorization: Bearer <key>.");
  const credential = match[1]!;
  if (looksLikeJwt(credential)) {
    if (isAgentTokenHeader(credential)) {
      const { agentId, identity } = await verifyAgentToken(credential);
      const agent = await lookupAgent("id", agentId);
      if (!agent) throw tokenError("agent", "The agent token names no registered agent.");
      if (agent.revokedAt) throw new CountersignError("agent_revoked", "This agent has been revoked.");
      if (!(await identityStillMapsTo(await getActivePolicy(), identity, agent.name))) {
        throw tokenError("no_matching_identity", "The policy no longer maps this workload identity to this agent; exchange the workload's token again.");
      }
      return { agent, workload: identity };
    }
    const verified = await verifyWorkloadToken(credential, await getActivePolicy());
    return { agent: await agentForWorkload(verified.agentName), workload: verified.identity };
  }
  return { agent: await authenticateAgentKey(credential), workload: null };
}

/** Resolves `Authorization: Bearer <credential>` to an active agent, or throws 401 (see authenticateCaller). */
export async function authenticateAgent(authorization: string | null): Promise<Agent> {
  return (await authenticateCaller(authorization)).agent;
}

async function authenticateAgentKey(credential: string): Promise<Agent> {
  const parsed = parseAgentKey(credential);
  if (!parsed) throw new CountersignError("unauthorized", "Malformed agent key.");
  const found = await lookupKey(parsed.prefix);
  if (!found || !secretMatches(parsed.secret, found.key.secretHash)) {
    throw new CountersignError("unauthorized", "Unknown agent key.");
  }
  if (found.key.revokedAt || found.agent.revokedAt) {
    throw new CountersignError("agent_revoked", "This agent key has been revoked.");
  }
  // "Last used" is advisory: write it at most once a minute so it never costs a write per call.
  const now = new Date();
  if (!found.key.lastUsedAt || now.getTime() - found.key.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    found.key.lastUsedAt = now;
    await touchAgentKey(await getDb(), found.key.id, found.agent.id, now);
  }
  return found.agent;
}
