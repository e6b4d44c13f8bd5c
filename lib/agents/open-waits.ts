// The long-polls and event streams an agent holds open on this instance: capped per agent (one
// more answers 429 with Retry-After), and ended the moment the agent or the key it used is revoked
// in any process (the agents channel's NOTIFY), with the 401 the next call would get.
import type { Agent } from "@/db/schema";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { processWide } from "@/lib/runtime/process-wide";
import { countRateLimitRefusal } from "@/lib/observability/metrics";
import { authenticateAgent, onAgentChanged } from "./registry";

export type WaitKind = "stream" | "poll";

type Slot = { kind: WaitKind; authorization: string | null; revoked: AbortController };
type Holder = { byAgent: Map<string, Set<Slot>>; unlisten?: () => void };

const holder = processWide<Holder>("agent-open-waits", () => ({ byAgent: new Map() }));

/** Seconds a refused agent is told to wait: long enough for a poll or stream to end. */
const RETRY_AFTER_SECONDS = 5;

function capOf(kind: WaitKind): number {
  return kind === "stream" ? env().COUNTERSIGN_AGENT_MAX_STREAMS : env().COUNTERSIGN_AGENT_MAX_LONG_POLLS;
}

/**
 * Re-authenticates each open wait of the agent (of every agent when null: the agents channel was
 * re-established and a revocation may have been missed) with the key it came with; ends those
 * refused now.
 */
function recheck(agentId: string | null): void {
  const slots = agentId === null ? [...holder.byAgent.values()].flatMap((set) => [...set]) : [...(holder.byAgent.get(agentId) ?? [])];
  for (const slot of slots) {
    authenticateAgent(slot.authorization).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof CountersignError && err.status === 401) slot.revoked.abort(err);
      },
    );
  }
}

export type WaitSlot = {
  /** Aborts, with the CountersignError (401) as its reason, when the agent or its key is revoked. */
  signal: AbortSignal;
  release(): void;
};

/**
 * Takes one of the agent's stream or long-poll places on this instance, or throws 429. The caller
 * releases it when the stream closes or the poll answers.
 */
export function openWaitSlot(agent: Agent, kind: WaitKind, authorization: string | null): WaitSlot {
  holder.unlisten ??= onAgentChanged(recheck);
  const slots = holder.byAgent.get(agent.id) ?? new Set<Slot>();
  const cap = capOf(kind);
  let held = 0;
  for (const s of slots) if (s.kind === kind) held += 1;
  if (held >= cap) {
    const what = kind === "stream" ? "event streams" : "long-polls";
    countRateLimitRefusal(kind === "stream" ? "streams" : "long_polls");
    throw new CountersignError("rate_limited", `This agent already holds ${cap} open ${what}; close one or retry in ${RETRY_AFTER_SECONDS}s.`, {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  const slot: Slot = { kind, authorization, revoked: new AbortController() };
  slots.add(slot);
  holder.byAgent.set(agent.id, slots);
  let released = false;
  return {
    signal: slot.revoked.signal,
    release() {
      if (released) return;
      released = true;
      slots.delete(slot);
      if (slots.size === 0 && holder.byAgent.get(agent.id) === slots) holder.byAgent.delete(agent.id);
    },
  };
}

/** How many waits of each kind the agent holds here (for tests and metrics). */
export function openWaitCount(agentId: string, kind: WaitKind): number {
  let n = 0;
  for (const s of holder.byAgent.get(agentId) ?? []) if (s.kind === kind) n += 1;
  return n;
}
