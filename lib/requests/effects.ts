// What a committed request change sets off, registered by the channels at start-up so the request
// core imports none of them (lib/runtime/wiring.ts registers the real ones):
//   - announcers turn a change into outbox rows, written in the change's own transaction (webhooks,
//     Slack, Teams);
//   - commit hooks run after the transaction commits (seal the audit chain, kick the outbox).
import type { NewOutboxRow, RequestRow } from "@/db/schema";
import { processWide } from "@/lib/runtime/process-wide";

export type RequestChange = { type: string; at: Date };
export type Announcer = (request: RequestRow, change: RequestChange) => NewOutboxRow[];
export type Committed = { outboxRows: number };
export type CommitHook = (committed: Committed) => void;

type Registry = { announcers: Map<string, Announcer>; hooks: Map<string, CommitHook> };
const registry = processWide<Registry>("request-effects", () => ({ announcers: new Map(), hooks: new Map() }));

/** Registers (or, under the same name, replaces) an announcer. */
export function registerAnnouncer(name: string, announcer: Announcer): void {
  registry.announcers.set(name, announcer);
}

/** Registers (or, under the same name, replaces) a hook run after every committed change. */
export function registerCommitHook(name: string, hook: CommitHook): void {
  registry.hooks.set(name, hook);
}

/**
 * The outbox rows every registered channel derives from a change. A process that runs commands
 * without wiring its channels would silently drop every notification: it is refused instead.
 */
export function announcementsFor(request: RequestRow, change: RequestChange): NewOutboxRow[] {
  if (registry.announcers.size === 0) {
    throw new Error("Request effects are not wired: call wireRequestEffects() (lib/runtime/wiring.ts) before running commands.");
  }
  return [...registry.announcers.values()].flatMap((announce) => announce(request, change));
}

/** Runs the commit hooks; a failing hook is the hook's business, never the caller's. */
export function afterCommit(committed: Committed): void {
  for (const hook of registry.hooks.values()) {
    try {
      hook(committed);
    } catch {
      /* hooks log their own failures */
    }
  }
}
