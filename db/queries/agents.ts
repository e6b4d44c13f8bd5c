// SQL for agents and their keys.
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client";
import { agentKeys, agents, type Agent, type AgentKey } from "../schema";

export async function insertAgent(tx: Executor, row: typeof agents.$inferInsert): Promise<Agent> {
  const [agent] = await tx.insert(agents).values(row).returning();
  return agent!;
}

export async function insertAgentKey(tx: Executor, row: typeof agentKeys.$inferInsert): Promise<void> {
  await tx.insert(agentKeys).values(row);
}

export async function findAgentById(tx: Executor, id: string): Promise<Agent | undefined> {
  const [agent] = await tx.select().from(agents).where(eq(agents.id, id));
  return agent;
}

export async function findAgentByName(tx: Executor, name: string): Promise<Agent | undefined> {
  const [agent] = await tx.select().from(agents).where(eq(agents.name, name));
  return agent;
}

export async function findKeyWithAgentByPrefix(
  tx: Executor,
  prefix: string,
): Promise<{ key: AgentKey; agent: Agent } | undefined> {
  const [row] = await tx
    .select({ key: agentKeys, agent: agents })
    .from(agentKeys)
    .innerJoin(agents, eq(agents.id, agentKeys.agentId))
    .where(eq(agentKeys.prefix, prefix));
  return row;
}

/** Every agent, revoked ones included, by name. */
export async function listAgentsByName(tx: Executor): Promise<Agent[]> {
  return tx.select().from(agents).orderBy(asc(agents.name));
}

export async function markAgentRevoked(tx: Executor, id: string, at: Date): Promise<Agent | undefined> {
  const [agent] = await tx
    .update(agents)
    .set({ revokedAt: at })
    .where(and(eq(agents.id, id), isNull(agents.revokedAt)))
    .returning();
  await tx
    .update(agentKeys)
    .set({ revokedAt: at })
    .where(and(eq(agentKeys.agentId, id), isNull(agentKeys.revokedAt)));
  return agent;
}

export async function revokeActiveKeys(tx: Executor, agentId: string, at: Date): Promise<void> {
  await tx
    .update(agentKeys)
    .set({ revokedAt: at })
    .where(and(eq(agentKeys.agentId, agentId), isNull(agentKeys.revokedAt)));
}

export async function touchAgentKey(tx: Executor, keyId: string, agentId: string, at: Date): Promise<void> {
  await tx.update(agentKeys).set({ lastUsedAt: at }).where(eq(agentKeys.id, keyId));
  await tx.update(agents).set({ lastUsedAt: at }).where(eq(agents.id, agentId));
}

/** Tells every process that agents or keys changed (they drop cached key lookups). */
export async function notifyAgentsChanged(tx: Executor, agentId: string): Promise<void> {
  await tx.execute(sql`select pg_notify('countersign_agents', ${agentId})`);
}
