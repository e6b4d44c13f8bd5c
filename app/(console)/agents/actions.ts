"use server";

// Agent administration from the console (admins only; the wrapper checks): register, rotate the
// key, revoke.
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { viewerActor } from "@/lib/auth/people";
import { createAgent, createAgentInput, revokeAgent, rotateAgentKey } from "@/lib/agents/registry";
import { consoleAction } from "../_lib/console-action";

export const registerAgentAction = consoleAction(
  "manage_agents",
  createAgentInput.extend({ description: z.string().trim().max(500).optional().transform((s) => s || undefined) }),
  async (input, viewer) => {
    const { agent, key } = await createAgent(input, { actor: viewerActor(viewer), channel: "console" });
    revalidatePath("/agents");
    return { id: agent.id, name: agent.name, key };
  },
);

export const revokeAgentAction = consoleAction("manage_agents", z.object({ agentId: z.uuid() }), async (input, viewer) => {
  const agent = await revokeAgent(input.agentId, { actor: viewerActor(viewer), channel: "console" });
  revalidatePath("/agents");
  return { id: agent.id, name: agent.name };
});

export const rotateAgentKeyAction = consoleAction("manage_agents", z.object({ agentId: z.uuid() }), async (input, viewer) => {
  const { agent, key } = await rotateAgentKey(input.agentId, { actor: viewerActor(viewer), channel: "console" });
  revalidatePath("/agents");
  return { id: agent.id, name: agent.name, key };
});
